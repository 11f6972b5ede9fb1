"""The history's hash chain: sealed as transactions commit, verified link by link, and every
kind of tampering a database superuser can do with raw SQL named by verify_history.

The attacks go round the triggers of migration 0007 the ways an attacker with the database
would: the transaction-local switch (`unlocked()`: on PostgreSQL the setting
`editorial.history_unlocked`, which any role may set; on SQLite the connection function any
program may register), or dropping or disabling the triggers.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import io
import threading
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from reversion.models import Revision, Version

from editorial import workflow
from editorial.exporters import Export
from editorial.importers import batch, import_paths
from editorial.models import Answer, ApprovedVersion, ExportRecord, HistoryLink, Status
from editorial.models import WorkflowEvent as Event
from editorial.storage import chain, versioning
from editorial.storage.history import unlocked
from tests.conftest import FIXTURES, put_in_state
from tests.history_day import work_a_day

GUARDED = [
    "editorial_workflowevent",
    "reversion_revision",
    "reversion_version",
    "editorial_approvedversion",
    "editorial_historylink",
]


def sql(statement: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def fetch(statement: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


@contextmanager
def without_triggers(how: str = "replica"):
    """The triggers out of the way, as a superuser or the tables' owner may (undone with the
    test's transaction). PostgreSQL: `session_replication_role = replica` (superuser), or
    "disable": ALTER TABLE … DISABLE TRIGGER USER (the owner); SQLite: dropped."""
    if connection.vendor == "postgresql" and how == "replica":
        sql("SET LOCAL session_replication_role = replica")
        yield
        sql("SET LOCAL session_replication_role = DEFAULT")
    elif connection.vendor == "postgresql":
        sql("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE waits for no pending check
        for table in GUARDED:
            sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield
        for table in GUARDED:
            sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    else:
        triggers = fetch("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        for name, _ in triggers:
            if any(name.startswith(table) for table in GUARDED):
                sql(f"DROP TRIGGER {name}")
        yield
        for name, text in triggers:
            if any(name.startswith(table) for table in GUARDED):
                sql(text)


def verify_fails(match: str) -> str:
    """verify_history exits non-zero naming the first row that does not fit."""
    with pytest.raises(CommandError, match=match) as failed:
        call_command("verify_history", stdout=io.StringIO())
    return str(failed.value)


def verify_clean() -> str:
    out = io.StringIO()
    call_command("verify_history", stdout=out)
    assert "History verified" in out.getvalue(), out.getvalue()
    return out.getvalue()


# --- a history sealed by real commits -----------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_realistic_history_sealed_by_its_commits_verifies_clean(people):
    """What CI checks after the suite: every path that appends history seals it."""
    record = work_a_day(people)
    out = verify_clean()
    revisions, links = Revision.objects.count(), HistoryLink.objects.count()
    assert revisions == links > 20
    assert f"{links} links seal {revisions} revisions" in out
    for name, model in (("versions", Version), ("events", Event), ("approvals", ApprovedVersion)):
        assert f"{model.objects.count()} {name}" in out
    assert ApprovedVersion.objects.count() == 5  # two of the first, three in bulk
    # Positions run 1, 2, … with no gap; each link carries its revision and its rows.
    assert list(HistoryLink.objects.values_list("position", flat=True)) == list(range(1, links + 1))
    # The export pinned the head it was made at.
    assert record.chain_position == links
    assert record.chain_digest == HistoryLink.objects.get(position=links).digest
    assert "1 export record fit the chain" in out


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rolled_back_transaction_or_savepoint_leaves_no_link(answer, editor):
    before = HistoryLink.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.edit(answer, user=editor, text="Never kept.")
        raise RuntimeError
    assert HistoryLink.objects.count() == before
    with transaction.atomic():
        workflow.edit(answer, user=editor, text="Kept.")
        with pytest.raises(RuntimeError), transaction.atomic():
            workflow.edit(answer, user=editor, text="Rolled back.")
            raise RuntimeError
    assert HistoryLink.objects.count() == before + 1
    verify_clean()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_bulk_import_rolled_back_and_written_again_file_by_file_seals_what_stays(
    monkeypatch,
):
    """The bulk path's savepoint fails after writing (hashing) its rows; each file is then
    written alone, on SQLite with the same ids again: what is sealed is what stays."""
    real = batch.create_documents

    def written_then_failed(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("a failure after the bulk write")

    monkeypatch.setattr(batch, "create_documents", written_then_failed)
    assert not import_paths([FIXTURES]).failed
    assert Revision.objects.count() == HistoryLink.objects.count() == 2
    verify_clean()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_writers_at_once_append_one_chain_in_commit_order(seeds, editor):
    """Eight connections editing at once: the advisory lock gives one chain, no fork."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL: several writers at once")
    answers = list(Answer.objects.order_by("pk")[:8])
    errors = []

    def edit(answer):
        try:
            for round_ in range(3):
                workflow.edit(answer, user=editor, text=f"{answer.text} Round {round_}.")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=edit, args=(answer,)) for answer in answers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    verify_clean()
    assert HistoryLink.objects.count() == Revision.objects.count()


# --- tampering, each named ----------------------------------------------------------------


@pytest.fixture
def sealed(answer, people):
    """An answer with an edit, sources, a submission and an approval, every revision sealed
    (the test's transaction never commits, so it seals as a commit would)."""
    approved = put_in_state(answer, Status.APPROVED, people)
    chain.seal()
    verify_clean()
    return approved


def link_of(revision_id: int) -> int:
    return HistoryLink.objects.get(revision_id=revision_id).position


def test_an_untouched_database_verifies_clean(sealed):
    out = verify_clean()
    head = chain.head()
    assert f"Head: {head.position}:{head.digest} (link {head.position};" in out
    out = io.StringIO()
    call_command("verify_history", head=f"{head.position}:{head.digest}", stdout=out)
    assert "History verified" in out.getvalue()


def test_an_update_of_an_event_is_named(sealed):
    event = Event.objects.filter(answer=sealed).last()
    with unlocked():
        sql("UPDATE editorial_workflowevent SET comment = 'Nothing to see.' WHERE id = %s",
            [event.pk])  # fmt: skip
    verify_fails(
        rf"Event {event.pk}, sealed in link {link_of(event.revision_id)} \(revision "
        rf"{event.revision_id}\), was changed after it was sealed\."
    )


def test_an_update_of_a_version_or_an_approval_is_named(sealed):
    version = Version.objects.get_for_object(sealed).first()
    with unlocked():
        sql("UPDATE reversion_version SET serialized_data = replace(serialized_data, "
            "'Registry', 'Ministry') WHERE id = %s", [version.pk])  # fmt: skip
    verify_fails(rf"Version {version.pk}, sealed in link \d+ .* was changed after it was sealed")
    with unlocked():
        sql("UPDATE reversion_version SET serialized_data = replace(serialized_data, "
            "'Ministry', 'Registry') WHERE id = %s", [version.pk])  # fmt: skip
    verify_clean()  # put back exactly, it fits again
    approval = sealed.approved
    with unlocked():  # what exports read: the approved text
        sql("UPDATE editorial_approvedversion SET text = 'Forged.' WHERE id = %s", [approval.pk])
    verify_fails(rf"Approval {approval.pk}, sealed in link \d+ .*was changed after it was sealed")


def test_an_update_with_the_triggers_disabled_is_named_too(sealed):
    revision = Revision.objects.order_by("pk").last()
    with without_triggers(how="disable"):
        sql("UPDATE reversion_revision SET comment = 'Nothing happened.' WHERE id = %s",
            [revision.pk])  # fmt: skip
    verify_fails(rf"Revision {revision.pk}, sealed in link {link_of(revision.pk)} .*was changed")


def test_a_delete_is_named(sealed):
    event = Event.objects.filter(answer=sealed, action="submit").get()
    with unlocked():
        sql("DELETE FROM editorial_workflowevent WHERE id = %s", [event.pk])
    verify_fails(rf"Event {event.pk}, sealed in link \d+ .*is missing: it was deleted\.")


def test_a_whole_revision_deleted_is_named(sealed):
    """A step removed whole, its rows and (for the foreign key) its link: the gap shows."""
    revision = Event.objects.get(answer=sealed, action="submit").revision_id
    position = link_of(revision)
    with without_triggers():
        for table in ("editorial_workflowevent", "reversion_version"):
            sql(f"DELETE FROM {table} WHERE revision_id = %s", [revision])
        sql("DELETE FROM editorial_historylink WHERE revision_id = %s", [revision])
        sql("DELETE FROM reversion_revision WHERE id = %s", [revision])
    verify_fails(
        rf"The chain breaks after link {position - 1}: links {position} to {position} are "
        r"missing \(deleted\)\."
    )


def test_the_end_of_the_chain_is_proven_by_a_head_kept_elsewhere(sealed):
    """The last revision removed with its link leaves a shorter chain that fits: only a head
    noted before (printed by verify_history, carried by each export record) shows it."""
    head = chain.head()
    revision = HistoryLink.objects.get(position=head.position).revision_id
    with without_triggers():
        sql("UPDATE editorial_answer SET approved_id = NULL WHERE id = %s", [sealed.pk])
        # The decision's review-quality facts name its event: they go with it (not history).
        sql(
            "DELETE FROM editorial_reviewdecision WHERE event_id IN "
            "(SELECT id FROM editorial_workflowevent WHERE revision_id = %s)",
            [revision],
        )
        for table in ("editorial_workflowevent", "editorial_approvedversion", "reversion_version"):
            sql(f"DELETE FROM {table} WHERE revision_id = %s", [revision])
        sql("DELETE FROM editorial_historylink WHERE revision_id = %s", [revision])
        sql("DELETE FROM reversion_revision WHERE id = %s", [revision])
    verify_clean()
    with pytest.raises(
        CommandError,
        match=rf"The head given was noted at link {head.position}, but the chain ends at link "
        rf"{head.position - 1}: links were removed from its end\.",
    ):
        call_command("verify_history", head=f"{head.position}:{head.digest}")


def test_a_row_inserted_in_the_middle_is_named(sealed):
    """An event slipped into an old, sealed revision, as if it had happened then."""
    revision = Revision.objects.order_by("pk").first()
    sql(
        "INSERT INTO editorial_workflowevent (answer_id, actor_id, action, from_status, "
        "to_status, comment, revision_id, created_at) "
        "SELECT answer_id, actor_id, 'approve', 'in_review', 'approved', 'Approved early.', "
        "revision_id, created_at FROM editorial_workflowevent WHERE revision_id = %s "
        "ORDER BY id LIMIT 1",
        [revision.pk],
    )
    (inserted,) = fetch("SELECT max(id) FROM editorial_workflowevent")[0]
    verify_fails(
        rf"Event {inserted} was added to revision {revision.pk} after it was sealed in link "
        rf"{link_of(revision.pk)}"
    )


def test_a_revision_written_around_the_app_is_named(sealed):
    """A whole revision inserted by hand (no link seals it)."""
    sql(
        "INSERT INTO reversion_revision (date_created, user_id, comment) "
        "SELECT date_created, user_id, 'Approved (by hand)' FROM reversion_revision "
        "ORDER BY id LIMIT 1"
    )
    (inserted,) = fetch("SELECT max(id) FROM reversion_revision")[0]
    verify_fails(rf"Revision {inserted} is in no link of the chain")


def test_a_link_rewritten_or_removed_is_named(sealed):
    last = HistoryLink.objects.count()
    with unlocked():
        sql("UPDATE editorial_historylink SET digest = %s WHERE position = %s",
            ["0" * 64, last])  # fmt: skip
    verify_fails(rf"Link {last} \(revision \d+\) does not fit the chain")
    with unlocked():
        sql("DELETE FROM editorial_historylink WHERE position = 2")
    verify_fails(r"The chain breaks after link 1: links 2 to 2 are missing \(deleted\)\.")


def test_an_answer_pointed_at_an_older_approval_is_named(sealed, people):
    """Exports read the approval an answer names: switching it is switching what leaves."""
    workflow.edit(sealed, user=people["editor"], text=sealed.text + " Later.")
    again = put_in_state(Answer.objects.get(pk=sealed.pk), Status.APPROVED, people)
    chain.seal()
    older, latest = again.approvals.order_by("pk")
    sql("UPDATE editorial_answer SET approved_id = %s WHERE id = %s", [older.pk, again.pk])
    verify_fails(
        rf"Answer {again.pk} names approval {older.pk} as its current one, but its latest "
        rf"approval is {latest.pk}"
    )


def _forged_link(key: bytes, position: int, previous: str, revision_id, sealed_at, rows):
    return chain.digest(
        key, position=position, previous=previous, revision_id=revision_id,
        sealed_at=sealed_at, rows=rows,
    )  # fmt: skip


def rebuild(*, key: bytes, rewrite: str) -> None:
    """Truncate the history and write it again with one comment rewritten, the chain
    recomputed link by link with `key`, as an attacker who knows the algorithm would."""
    links = list(HistoryLink.objects.order_by("position").values())
    events = list(Event.objects.order_by("pk").values())
    tables = chain.Tables()
    with without_triggers():
        sql("DELETE FROM editorial_historylink")
        sql("DELETE FROM editorial_workflowevent")  # (PostgreSQL: TRUNCATE, the same)
        for row in events:
            row["comment"] = rewrite if row["action"] == "approve" else row["comment"]
            columns = ", ".join(row)
            marks = ", ".join(["%s"] * len(row))
            sql(f"INSERT INTO editorial_workflowevent ({columns}) VALUES ({marks})",
                list(row.values()))  # fmt: skip
        previous = chain.GENESIS
        leaves = tables.of_revisions([link["revision_id"] for link in links])
        for link in links:
            rows = chain.rows_text(leaves[link["revision_id"]])
            previous = _forged_link(key, link["position"], previous, link["revision_id"],
                                    link["sealed_at"], rows)  # fmt: skip
            sql(
                "INSERT INTO editorial_historylink (position, revision_id, rows, sealed_at, "
                "digest) VALUES (%s, %s, %s, %s, %s)",
                [link["position"], link["revision_id"], rows, link["sealed_at"], previous],
            )


def test_a_truncate_and_rebuild_without_the_key_is_named(sealed):
    """Every row and link consistent with each other, but the key is not the deployment's."""
    guessed = hashlib.sha256(b"what the attacker guessed").digest()
    rebuild(key=guessed, rewrite="Approved without reading it.")
    verify_fails(r"Link 1 \(revision \d+\) does not fit the chain: its digest is not what")


def test_a_rebuild_with_the_key_is_still_named_by_the_heads_exports_carry(sealed, managing):
    """Someone holding SECRET_KEY as well: the head an export carried no longer fits."""
    Export("jsonl", user=managing, channel="command").write_to(io.BytesIO())
    record = ExportRecord.objects.get()
    assert record.chain_position == HistoryLink.objects.count()
    rebuild(key=chain.keys()[0], rewrite="Approved without reading it.")
    verify_fails(
        rf"Export record {record.pk} was made at link {record.chain_position}, whose digest "
        r"was then .*: the history up to it was rebuilt\."
    )


def test_links_cut_from_the_end_are_named_by_an_export_made_after_them(sealed, managing):
    Export("md", user=managing, channel="command").write_to(io.BytesIO())
    last = HistoryLink.objects.count()
    with unlocked():
        sql("DELETE FROM editorial_historylink WHERE position = %s", [last])
    verify_fails(
        rf"Export record \d+ was made at link {last}, but the chain ends at link {last - 1}"
    )


def test_history_removed_whole_leaves_answers_without_any(sealed):
    with without_triggers():
        # The decisions' review-quality facts name their events: they go too (not history).
        for table in (
            "editorial_historylink",
            "editorial_approvedversion",
            "editorial_reviewdecision",
        ):
            sql(f"DELETE FROM {table}")
        sql("UPDATE editorial_answer SET approved_id = NULL")
        for table in ("editorial_workflowevent", "reversion_version", "reversion_revision"):
            sql(f"DELETE FROM {table}")
    verify_fails(r"Answer \d+ has no history at all, not even its import")


# --- what the chain is made of --------------------------------------------------------


def test_a_link_is_an_hmac_of_the_previous_digest_and_its_rows(sealed):
    first, second = HistoryLink.objects.order_by("position")[:2]
    message = "\n".join(
        [
            "2",
            first.digest,
            str(second.revision_id),
            second.sealed_at.astimezone(datetime.UTC).isoformat(),
            second.rows,
        ]
    )
    expected = hmac.new(chain.keys()[0], message.encode(), hashlib.sha256).hexdigest()
    assert second.digest == expected
    kinds = [line.split(" ")[0] for line in second.rows.splitlines()]
    assert kinds[0] == "revision" and "version" in kinds and "event" in kinds


def test_content_leaves_out_the_id_and_empty_values_and_reads_alike_everywhere():
    import datetime

    row = {
        "id": 7,
        "comment": "",
        "text": "a\nb",
        "created_at": datetime.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=datetime.UTC),
        "sources": [{"url": "u", "title": "t"}],
        "claims": [],
        "actor_id": None,
        "version": 0,
    }
    assert chain.content(row) == (
        b"created_at:32:2026-01-02T03:04:05.000006+00:00\n"
        b'sources:25:[{"title":"t","url":"u"}]\n'
        b"text:3:a\nb\n"
        b"version:1:0"
    )


def test_a_key_rotated_into_the_fallbacks_still_verifies(sealed, settings):
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-after-rotation-" + "x" * 30
    verify_clean()
    settings.SECRET_KEY_FALLBACKS = []
    verify_fails(r"Link 1 \(revision \d+\) does not fit the chain")


def test_bulk_rows_hashed_as_written_equal_rows_read_back(seeds):
    """The import's versions and events are hashed from what was written; verify reads them
    back: both must give the same hash, row by row."""
    chain.seal()
    tables = chain.Tables()
    revisions = list(Revision.objects.values_list("pk", flat=True))
    for link in HistoryLink.objects.filter(revision_id__in=revisions):
        read_back = chain.rows_text(tables.of_revisions([link.revision_id])[link.revision_id])
        assert link.rows == read_back


def test_rows_written_with_their_ids_are_sealed_without_reading_them_back_unless_others_joined(
    seeds,
):
    """Versions written in bulk bring their ids (storage.bulk.numbered), so sealing only
    counts each revision's rows. A revision that also got a row some other way is read back:
    its link must list that row too, as verify reads it."""
    chain.seal()
    answers = list(Answer.objects.order_by("pk")[:3])
    with transaction.atomic():
        alone, joined = versioning.create_revisions(
            [Revision(comment=name, date_created=timezone.now()) for name in ("alone", "joined")]
        )
        versioning.write_versions(
            versioning.versions_of(answers[:2], [alone, joined]),
        )
        other = Version.objects.get_for_object(answers[2]).first()
        other.pk, other.revision = None, joined  # a row the bulk writer did not note
        other.save()
        with CaptureQueriesContext(connection) as queries:
            chain.seal()
    tables = chain.Tables()
    for revision in (alone, joined):
        link = HistoryLink.objects.get(revision_id=revision.pk)
        assert link.rows == chain.rows_text(tables.of_revisions([revision.pk])[revision.pk])
    assert HistoryLink.objects.get(revision_id=joined.pk).rows.count("version ") == 2
    # The lone revision's version was not read back: only the joined one's were.
    read = [
        q["sql"] for q in queries if "reversion_version" in q["sql"] and "count(" not in q["sql"]
    ]
    assert len(read) == 1 and str(alone.pk) not in read[0].split("IN")[-1]
    verify_clean()


def test_a_numbered_row_swapped_for_another_in_its_revision_is_read_back(seeds):
    """As many rows as were noted is not enough: one of them gone and another in its place
    (history unlocked) must be sealed as it is, not as it was noted."""
    chain.seal()
    answers = list(Answer.objects.order_by("pk")[:3])
    with transaction.atomic():
        (revision,) = versioning.create_revisions(
            [Revision(comment="swapped", date_created=timezone.now())]
        )
        versioning.write_versions(versioning.versions_of(answers[:2], [revision, revision]))
        with unlocked():
            Version.objects.filter(revision=revision).order_by("pk").first().delete()
        other = Version.objects.get_for_object(answers[2]).first()
        other.pk, other.revision = None, revision
        other.save()
        chain.seal()
    link = HistoryLink.objects.get(revision_id=revision.pk)
    assert link.rows == chain.rows_text(chain.Tables().of_revisions([revision.pk])[revision.pk])
    assert str(other.pk) in link.rows
