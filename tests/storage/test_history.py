"""History that cannot be erased: events, revisions, versions, approvals and the chain's
links refuse change and delete."""

from contextlib import contextmanager

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from reversion.models import Revision, Version

from editorial import workflow
from editorial.importers import import_paths
from editorial.models import ApprovedVersion, HistoryLink, WorkflowEvent
from editorial.storage import chain
from editorial.storage.history import HistoryIsPermanent, unlocked
from tests.conftest import FIXTURES, RMV_SOURCE, settle_claims

pytestmark = pytest.mark.django_db

SOURCE = RMV_SOURCE
TABLES = [
    "editorial_workflowevent",
    "reversion_revision",
    "reversion_version",
    "editorial_approvedversion",
    "editorial_historylink",
]


@contextmanager
def refused(error=IntegrityError, match="Editorial history is permanent"):
    """The write inside is refused, in its own savepoint so the test's transaction lives on."""
    with pytest.raises(error, match=match), transaction.atomic():
        yield


def sql(statement: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement)


def history() -> dict[str, list[tuple]]:
    """Every row of the guarded tables, every column, in id order."""
    rows = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT * FROM {table} ORDER BY 1")  # noqa: S608
            rows[table] = cursor.fetchall()
    return rows


@pytest.fixture
def worked(answer, people):
    """An answer with a real history: edited, sourced, submitted, approved, all sealed."""
    editor, reviewer = people["editor"], people["reviewer"]
    workflow.edit(answer, user=editor, text=answer.text + " Checked.")
    workflow.edit(answer, user=editor, sources=[SOURCE])
    settle_claims(answer, editor)
    workflow.submit(answer, user=editor, reviewer=reviewer, comment="Ready.")
    workflow.approve(answer, user=reviewer, comment="Fine.")
    chain.seal()  # as the commit would: the test's transaction never commits
    return answer


def test_the_triggers_exist_after_every_migration():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        names = {name for (name,) in cursor.fetchall()}
    suffixes = ["update", "delete"] if connection.vendor == "sqlite" else ["", "truncate"]
    expected = {
        f"{table}_permanent{'_' + suffix if suffix else ''}"
        for table in TABLES
        for suffix in suffixes
    }
    assert expected <= names


def test_the_event_log_refuses_bulk_update_and_delete_with_a_readable_error(worked):
    before = history()
    with pytest.raises(HistoryIsPermanent, match="workflow events cannot be changed"):
        WorkflowEvent.objects.filter(answer=worked).update(comment="Nothing happened.")
    with pytest.raises(HistoryIsPermanent, match="workflow events cannot be deleted"):
        WorkflowEvent.objects.all().delete()
    with refused(HistoryIsPermanent, match="history is permanent"):
        WorkflowEvent.objects.bulk_update(list(WorkflowEvent.objects.all()), ["comment"])
    assert history() == before


def test_versions_and_revisions_refuse_orm_delete_with_a_readable_error(worked):
    before = history()
    with refused(HistoryIsPermanent, match="versions cannot be deleted"):
        Version.objects.get_for_object(worked).delete()
    with refused(HistoryIsPermanent, match="cannot be deleted"):
        Revision.objects.all().delete()
    with refused(HistoryIsPermanent, match="history is permanent"):
        Version.objects.get_for_object(worked).first().delete()
    assert history() == before


def test_approvals_and_links_refuse_orm_change_and_delete_with_a_readable_error(worked):
    before = history()
    for model, rows, change in (
        (ApprovedVersion, "approved versions", {"text": "Forged."}),
        (HistoryLink, "history links", {"rows": ""}),
    ):
        with pytest.raises(HistoryIsPermanent, match=f"{rows} cannot be changed"):
            model.objects.update(**change)
        with pytest.raises(HistoryIsPermanent, match=f"{rows} cannot be deleted"):
            model.objects.all().delete()
        row = model.objects.first()
        with pytest.raises(ValidationError, match="are append-only"):
            row.save()
        with pytest.raises(ValidationError, match="are append-only"):
            row.delete()
    assert history() == before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE editorial_workflowevent SET comment = 'rewritten'",
        "UPDATE editorial_workflowevent SET revision_id = NULL",
        "DELETE FROM editorial_workflowevent",
        "UPDATE reversion_version SET serialized_data = '[]'",
        "UPDATE reversion_version SET object_id = '0'",
        "DELETE FROM reversion_version",
        "UPDATE reversion_revision SET comment = 'rewritten'",
        "UPDATE reversion_revision SET user_id = NULL",
        "DELETE FROM reversion_revision",
        "UPDATE editorial_approvedversion SET text = 'Forged.'",
        "UPDATE editorial_approvedversion SET approved_by_id = NULL",
        "DELETE FROM editorial_approvedversion",
        "UPDATE editorial_historylink SET digest = ''",
        "DELETE FROM editorial_historylink",
    ],
)
def test_the_database_refuses_raw_sql_that_changes_or_deletes_history(worked, statement):
    before = history()
    with refused(IntegrityError, match="Editorial history is permanent"):
        sql(statement)
    assert history() == before


def test_the_database_refuses_the_orm_paths_that_skip_python(worked):
    before = history()
    for queryset in (Version.objects.all(), Revision.objects.all(), WorkflowEvent.objects.all()):
        with refused(IntegrityError, match="Editorial history is permanent"):
            queryset._raw_delete(queryset.db)
    for queryset, change in (
        (Version.objects.all(), {"serialized_data": "[]"}),
        (Revision.objects.all(), {"comment": "rewritten"}),
    ):
        with refused(IntegrityError, match="Editorial history is permanent"):
            queryset.update(**change)
    assert history() == before


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_refuses_truncate(worked):
    before = history()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no FK check
    for table in TABLES:
        with refused(IntegrityError, match="cannot be truncated"):
            sql(f"TRUNCATE {table} CASCADE")
    assert history() == before


def test_deleterevisions_fails_and_every_version_stays(worked):
    before = history()
    assert len(before["reversion_version"]) > 40
    with pytest.raises(HistoryIsPermanent, match="cannot be deleted"):
        call_command("deleterevisions", "editorial", days=0, verbosity=0)
    with pytest.raises(HistoryIsPermanent):
        call_command("deleterevisions", "editorial", keep=1, verbosity=0)
    assert history() == before
    # import, 2 edits, its claims settled (an edit), 2 steps
    assert Version.objects.get_for_object(worked).count() == 6


def test_the_app_still_appends_history_on_every_path(answer, people):
    """Import, re-import, edit, steps, approval and revert only ever insert into the guarded
    tables (and the chain seals what they wrote)."""
    editor, reviewer = people["editor"], people["reviewer"]
    chain.seal()
    counts = [len(rows) for rows in history().values()]
    workflow.edit(answer, user=editor, text=answer.text + " First.")
    workflow.edit(answer, user=editor, sources=[SOURCE])
    settle_claims(answer, editor)
    workflow.submit(answer, user=editor, reviewer=reviewer)
    workflow.request_changes(answer, user=reviewer, comment="Say which law.")
    first = Version.objects.get_for_object(answer).order_by("pk").first()
    workflow.revert(answer, user=editor, version_id=first.pk)
    workflow.edit(answer, user=editor, sources=[SOURCE])
    workflow.submit(answer, user=editor, reviewer=reviewer)
    workflow.approve(answer, user=reviewer)
    import_paths([FIXTURES])  # identical re-import: nothing
    chain.seal()
    after = [len(rows) for rows in history().values()]
    assert all(new > old for new, old in zip(after, counts, strict=True))


def test_unlocked_lifts_the_guard_only_inside(worked):
    event = WorkflowEvent.objects.filter(answer=worked).last()
    with unlocked():
        WorkflowEvent.objects.filter(pk=event.pk).update(comment="Maintenance.")
        with connection.cursor() as cursor:
            cursor.execute("UPDATE reversion_revision SET comment = 'Maintenance.'")
    event.refresh_from_db()
    assert event.comment == "Maintenance."
    with refused(IntegrityError, match="Editorial history is permanent"):
        sql("UPDATE reversion_revision SET comment = 'Again.'")
    with pytest.raises(HistoryIsPermanent):
        WorkflowEvent.objects.filter(pk=event.pk).update(comment="Again.")


def test_unlocked_ends_with_its_transaction_when_it_fails(worked):
    with pytest.raises(ValueError), unlocked():
        raise ValueError("the maintenance failed")
    with refused(IntegrityError, match="Editorial history is permanent"):
        sql("DELETE FROM reversion_version")


def test_flush_refuses_where_settings_keep_the_history(worked, settings):
    settings.EDITORIAL_FLUSH_ERASES_HISTORY = False
    before = history()
    with pytest.raises(CommandError, match="history .* is permanent"):
        call_command("flush", interactive=False, verbosity=0)
    assert history() == before
