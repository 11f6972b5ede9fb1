"""Backup and restore: a real workflow history, backed up, erased, restored, compared."""

import io
import json

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection
from reversion.models import Version

from editorial import workflow
from editorial.exporters import Export
from editorial.models import Answer, ExportRecord, Notice, WorkflowEvent
from editorial.storage.backup import MODELS
from editorial.storage.history import HistoryIsPermanent
from tests.conftest import RMV_SOURCE, settle_claims

pytestmark = pytest.mark.django_db

SOURCE = RMV_SOURCE
NATURAL = (ContentType, Permission, Group)


def _natural(obj):
    return tuple(obj.natural_key()) if obj is not None else None


def snapshot() -> dict[str, list[dict]]:
    """Every column of every backed-up row; ids except where databases number differently."""
    tables = {}
    for label in MODELS:
        model = apps.get_model(label)
        rows = []
        for obj in model.objects.order_by("pk"):
            row = {}
            for field in model._meta.concrete_fields:
                if field.is_relation and field.related_model in NATURAL:
                    row[field.name] = _natural(getattr(obj, field.name))
                elif not (model in NATURAL and field.primary_key):
                    row[field.name] = getattr(obj, field.attname)
            for field in model._meta.many_to_many:
                row[field.name] = sorted(_natural(o) for o in getattr(obj, field.name).all())
            rows.append(row)
        tables[label] = sorted(rows, key=repr) if model in NATURAL else rows
    return tables


@pytest.fixture
def history(seeds, people):
    """Edits, sources, an approval then a new draft, a request for changes, an archive, an
    export: every kind of row a backup must carry."""
    editor, reviewer, managing = people["editor"], people["reviewer"], people["managing"]
    answers = Answer.objects.filter(document__subject="Massachusetts").order_by("position")
    first, second, third = answers[1], answers[2], answers[3]
    workflow.edit(first, user=editor, text=first.text + " Checked in 2024.", sources=[SOURCE])
    # Its claims settled in one edit: "2024" linked to the source, the agencies marked known.
    workflow.settle_claims(
        first, user=editor, claims=[c.key for c in workflow.unsettled_claims(first)],
        kind="common_knowledge", reason="The agencies the question names.",
        overrides={"2024": {"kind": "source", "source_id": first.sources.get().pk,
                            "excerpt": SOURCE["excerpt"]}},
    )  # fmt: skip
    workflow.submit(first, editor, reviewer=reviewer, comment="Sourced.")
    workflow.approve(first, reviewer, comment="Fine.")
    workflow.edit(first, user=editor, text=first.text + " Later.")  # approved stays pinned
    workflow.edit(second, user=editor, sources=[SOURCE])
    settle_claims(second, editor)
    workflow.submit(second, editor, reviewer=reviewer)
    workflow.request_changes(second, reviewer, comment="Which law?")
    workflow.archive(third, managing, comment="Duplicate.")
    Export("jsonl", user=managing, channel="command").write_to(io.BytesIO())
    assert Notice.objects.exists() and ExportRecord.objects.exists()
    assert first.claim_evidence.exists() and first.approved.claims
    return first


@pytest.fixture
def fresh_content_types():
    """Flushing inside the test renumbers content types; the cache must forget them."""
    ContentType.objects.clear_cache()
    yield
    ContentType.objects.clear_cache()


def test_backup_restores_into_an_emptied_database_exactly(history, tmp_path, fresh_content_types):
    before = snapshot()
    exported = ExportRecord.objects.get()
    answer_type = ContentType.objects.get_for_model(Answer).pk
    path = tmp_path / "editorial.json"
    err = io.StringIO()
    call_command("backup", str(path), stderr=err)
    assert "Backed up" in err.getvalue()

    # An empty database as a new deployment has it: schema, content types, permissions.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # TRUNCATE waits for no FK check
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, reset_sequences=False, verbosity=0)
    ContentType.objects.clear_cache()
    assert not User.objects.exists() and not Version.objects.exists()
    assert not Group.objects.exists()
    assert ContentType.objects.get_for_model(Answer).pk != answer_type  # renumbered

    out = io.StringIO()
    call_command("restore", str(path), stdout=out)
    rows = sum(len(table) for table in before.values())
    assert f"Restored {rows} rows" in out.getvalue()
    after = snapshot()
    for label in before:  # row by row first, for a readable failure
        for old, new in zip(before[label], after[label], strict=False):
            assert {k: v for k, v in old.items() if new.get(k) != v} == {}, (label, new)
    assert after == before
    assert {label: len(table) for label, table in before.items()}["reversion.version"] > 40

    # The restored history works: versions find their answers, export gives the same bytes.
    restored = Answer.objects.get(pk=history.pk)
    # Imported, edited, evidence for its claims, submitted, approved, edited again.
    assert Version.objects.get_for_object(restored).count() == 6
    assert restored.approved.text != restored.text
    again = Export("jsonl", channel="command")
    again.write_to(io.BytesIO())
    assert (again.count, again.sha256) == (exported.answer_count, exported.sha256)
    # New rows are numbered after the restored ones, and the history is still permanent.
    last_event = before["editorial.workflowevent"][-1]["id"]
    workflow.edit(restored, user=User.objects.get(username="editor"), text="After restore.")
    assert WorkflowEvent.objects.filter(answer=restored).last().pk > last_event
    with pytest.raises(HistoryIsPermanent):
        call_command("deleterevisions", "editorial", days=0, verbosity=0)


def test_restore_refuses_a_database_that_is_not_empty(history, tmp_path):
    path = tmp_path / "editorial.json"
    call_command("backup", str(path), stderr=io.StringIO())
    before = snapshot()
    with pytest.raises(CommandError, match="needs an empty database"):
        call_command("restore", str(path))
    assert snapshot() == before


def test_restore_refuses_a_file_that_is_not_a_backup(db, tmp_path):
    path = tmp_path / "other.json"
    path.write_text('[{"model": "auth.user", "pk": 1, "fields": {}}]')
    with pytest.raises(CommandError, match="Not an Editorial backup"):
        call_command("restore", str(path))
    path.write_text("not json")
    with pytest.raises(CommandError, match="Not a backup file"):
        call_command("restore", str(path))
    assert not User.objects.exists()


def test_backup_to_stdout_is_the_same_file(history, tmp_path):
    path = tmp_path / "editorial.json"
    call_command("backup", str(path), stderr=io.StringIO())
    out = io.StringIO()
    call_command("backup", "-", stdout=out, stderr=io.StringIO())
    to_file, to_stdout = json.loads(path.read_text()), json.loads(out.getvalue())
    assert to_file.pop("created_at") <= to_stdout.pop("created_at")
    assert to_file == to_stdout
