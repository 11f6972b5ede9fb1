"""Backup and restore: a real workflow history, backed up, erased, restored, compared; and
every file a restore must refuse (changed, cut short, from elsewhere, broken) refused with a
sentence before anything is written."""

import gzip
import hashlib
import hmac
import io
import json

import pytest
import zstandard
from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult
from reversion.models import Version

from editorial import workflow
from editorial.exporters import Export
from editorial.models import (
    Answer,
    ExportRecord,
    HistoryLink,
    Job,
    JobKind,
    JobState,
    WorkflowEvent,
)
from editorial.storage import backup as backups
from editorial.storage import chain
from editorial.storage.backup import LEFT_OUT, backed_up_models
from editorial.storage.history import HistoryIsPermanent
from tests.conftest import RMV_SOURCE
from tests.storage.conftest import emptied

pytestmark = pytest.mark.django_db

SOURCE = RMV_SOURCE
NATURAL = (ContentType, Permission, Group)


def _natural(obj):
    return tuple(obj.natural_key()) if obj is not None else None


def snapshot() -> dict[str, list[dict]]:
    """Every column of every backed-up row; ids except where databases number differently."""
    tables = {}
    for model in backed_up_models():
        label = model._meta.label_lower
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


ZSTD = b"\x28\xb5\x2f\xfd"


def decompressed(data: bytes) -> bytes:
    """A backup's bytes as text bytes: zstd (written now), gzip (written before) or plain."""
    if data[:4] == ZSTD:
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def text_of(path) -> str:
    """The file's lines as text, whether it is compressed or not."""
    return decompressed(path.read_bytes()).decode()


def put(path, text: str) -> None:
    """Write `text` as the file, compressed as it was (new files: plain)."""
    data = text.encode()
    start = path.read_bytes()[:4] if path.exists() else b""
    if start == ZSTD:
        data = zstandard.ZstdCompressor(write_checksum=True).compress(data)
    elif start[:2] == b"\x1f\x8b":
        data = gzip.compress(data)
    path.write_bytes(data)


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
    assert (len(before["editorial.reviewopening"]), len(before["editorial.reviewdecision"])) == (
        1,
        2,
    )
    # The history chain came back whole: it verifies, export records' heads included.
    verified = chain.verify()
    assert verified.problem is None and verified.exports == 1

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


def test_backup_to_stdout_is_the_same_file(history, tmp_path):
    path = tmp_path / "editorial.json"
    call_command("backup", str(path), stderr=io.StringIO())
    out = io.BytesIO()
    call_command("backup", "-", stdout=out, stderr=io.StringIO())
    assert out.getvalue()[:4] == ZSTD  # compressed, as the file
    to_file = text_of(path).splitlines()
    to_stdout = decompressed(out.getvalue()).decode().splitlines()
    # The header says when; the rows and each table's hash are the same.
    assert to_file[1:-1] == to_stdout[1:-1]
    manifest = [json.loads(lines[-1])["manifest"] for lines in (to_file, to_stdout)]
    assert manifest[0] == manifest[1]


# --- every table, by construction -------------------------------------------------------


def test_a_backup_holds_every_table_of_the_app_registry_but_those_left_out_for_a_reason(
    history, tmp_path
):
    path = tmp_path / "editorial.json"
    call_command("backup", str(path), stderr=io.StringIO())
    lines = text_of(path).splitlines()
    tables = [json.loads(line)["table"] for line in lines if line.startswith('{"table": ')]
    registry = {model._meta.label_lower for model in apps.get_models()}
    assert set(tables) == registry - set(LEFT_OUT)
    assert len(tables) == len(set(tables))
    # Those the issue found missing are in, with their rows.
    manifest = json.loads(lines[-1])["manifest"]
    assert manifest["editorial.reviewopening"]["rows"] == 1
    assert manifest["editorial.reviewdecision"]["rows"] == 2
    assert manifest["editorial.historylink"]["rows"] == HistoryLink.objects.count()
    assert set(LEFT_OUT) == {
        "contenttypes.contenttype",
        "auth.permission",
        "sessions.session",
        "axes.accessattempt",
        "axes.accessattemptexpiration",
        "axes.accesslog",
        "axes.accessfailurelog",
        "django_tasks_database.dbtaskresult",
    }


def queued_import(user) -> tuple[Job, DBTaskResult]:
    """An import job as the admin leaves it before a worker takes it: its job and the task
    framework's row."""
    job = Job.objects.create(kind=JobKind.IMPORT, created_by=user, files_total=1)
    task = DBTaskResult.objects.create(
        task_path="editorial.tasks.imports.run_import",
        args_kwargs={"args": [], "kwargs": {"job_id": job.pk}},
        backend_name="default",
    )
    return job, task


def test_the_task_queue_is_left_out_and_unfinished_jobs_come_back_failed(
    history, tmp_path, fresh_content_types
):
    job, _ = queued_import(User.objects.get(username="managing"))
    done = Job.objects.create(kind=JobKind.EXPORT, state=JobState.SUCCEEDED)
    path = tmp_path / "editorial.json"
    call_command("backup", str(path), stderr=io.StringIO())
    tables = [json.loads(line)["table"] for line in text_of(path).splitlines()[1:-1]
              if line.startswith('{"table": ')]  # fmt: skip
    assert "django_tasks_database.dbtaskresult" not in tables

    emptied()
    call_command("restore", str(path), stdout=io.StringIO())
    # Nothing queued comes back to run again; the job's record does, failed with its reason.
    assert not DBTaskResult.objects.exists()
    restored = Job.objects.get(pk=job.pk)
    assert restored.state == JobState.FAILED and restored.finished_at is not None
    assert "Unfinished when the backup" in restored.reason
    assert Job.objects.get(pk=done.pk).state == JobState.SUCCEEDED


def test_a_backup_made_while_the_queue_was_backed_up_still_restores(
    history, tmp_path, monkeypatch, fresh_content_types
):
    queued_import(User.objects.get(username="managing"))
    before = snapshot()
    # Written as the previous version wrote it: the task queue's table among the rows.
    monkeypatch.delitem(backups.LEFT_OUT, "django_tasks_database.dbtaskresult")
    path = tmp_path / "editorial.json"
    call_command("backup", str(path), stderr=io.StringIO())
    manifest = json.loads(text_of(path).splitlines()[-1])["manifest"]
    assert manifest["django_tasks_database.dbtaskresult"]["rows"] == 1
    monkeypatch.undo()

    emptied()
    call_command("restore", str(path), stdout=io.StringIO())
    assert not DBTaskResult.objects.exists()  # its rows checked, then passed over
    after = snapshot()
    for label in ("editorial.answer", "reversion.version", "editorial.workflowevent"):
        assert after[label] == before[label]


# --- refused before anything is written --------------------------------------------------


def nothing_restored() -> bool:
    return not (User.objects.exists() or Answer.objects.exists() or Version.objects.exists())


def refused(path, match: str, **options) -> None:
    with pytest.raises(CommandError, match=match) as refusal:
        call_command("restore", str(path), stdout=io.StringIO(), **options)
    message = str(refusal.value)
    assert "nothing was restored" in message and "Traceback" not in message
    assert message.endswith(".")
    assert nothing_restored()


def rewrite(path, change, *, key: bytes | None = None) -> None:
    """Change the rows with `change(row) -> row`, as someone editing the file would; with
    `key`, re-sign the manifest too (as only a holder of the key can)."""
    lines = text_of(path).splitlines()
    out, tables, current = [lines[0]], {}, None
    for line in lines[1:-1]:
        if line.startswith('{"table": '):
            current = json.loads(line)["table"]
            tables[current] = [0, hashlib.sha256()]
            out.append(line)
            continue
        row = json.dumps(change(json.loads(line)))
        tables[current][0] += 1
        tables[current][1].update((row + "\n").encode())
        out.append(row)
    manifest = json.loads(lines[-1])
    listed = {label: {"rows": n, "sha256": h.hexdigest()} for label, (n, h) in tables.items()}
    if key is not None:
        manifest = {"manifest": listed, "hmac": backups._signature(key, lines[0], listed)}
    else:
        manifest["manifest"] = listed  # counts and hashes fixed up, the signature as it was
    out.append(json.dumps(manifest))
    put(path, "\n".join(out) + "\n")


def edit_text(row):
    if row["model"] == "editorial.approvedversion":
        row["fields"]["text"] = "Text nobody approved."
    return row


def make_superuser(row):
    if row["model"] == "auth.user" and row["fields"]["username"] == "editor":
        row["fields"]["is_superuser"] = True
    return row


def replace_password(row):
    if row["model"] == "auth.user" and row["fields"]["username"] == "managing":
        row["fields"]["password"] = "md5$attacker$0123456789abcdef0123456789abcdef"
    return row


def test_a_row_changed_in_the_file_is_refused(backed_up):
    text = text_of(backed_up)
    put(backed_up, text.replace("Checked in 2024.", "Checked in 1924.", 1))
    refused(backed_up, r"The rows of [\w.]+ are not those its manifest lists")


@pytest.mark.parametrize("change", [edit_text, make_superuser, replace_password])
def test_rows_changed_with_the_manifest_made_to_match_are_refused(backed_up, change):
    rewrite(backed_up, change)
    refused(backed_up, "Its manifest is not signed by the key it names: the file was changed")


@pytest.mark.parametrize("keep", [0.0, 0.5, 0.999])
def test_a_file_cut_short_is_refused(backed_up, keep):
    """Cut in its compressed bytes: zstd's frame end is missing (0.0: its frame header only)."""
    data = backed_up.read_bytes()
    backed_up.write_bytes(data[: int(len(data) * keep)] if keep else data[:10])
    refused(backed_up, "It ends before its manifest.*incomplete")


@pytest.mark.parametrize("keep", [0.0, 0.5, 0.999])
def test_a_plain_file_cut_short_is_refused(backed_up, keep):
    """A backup written --uncompressed (or before compression), cut short."""
    data = text_of(backed_up).encode()
    backed_up.write_bytes(data[: int(len(data) * keep)] if keep else data[: data.index(b"\n") + 1])
    refused(backed_up, "It ends before its manifest.*incomplete")


def test_a_file_cut_at_a_line_is_refused(backed_up):
    lines = text_of(backed_up).splitlines(keepends=True)
    put(backed_up, "".join(lines[:-1]))
    refused(backed_up, "It ends before its manifest: it is incomplete")


def test_a_file_from_another_deployment_is_refused_and_restores_with_its_key(
    history, tmp_path, fresh_content_types, settings
):
    key_file = tmp_path / "backup.key"
    put(key_file, "a key kept apart from the backups, 32 characters or more\n")
    made_elsewhere = tmp_path / "elsewhere.json"
    call_command("backup", str(made_elsewhere), key_file=str(key_file), stderr=io.StringIO())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, reset_sequences=False, verbosity=0)
    ContentType.objects.clear_cache()
    call_command("migrate", verbosity=0)
    refused(made_elsewhere, r"It was made with another key \(id \w+\) than this deployment's "
            r"SECRET_KEY \(id \w+\): it comes from another deployment")  # fmt: skip
    out = io.StringIO()
    call_command("restore", str(made_elsewhere), key_file=str(key_file), stdout=out)
    assert "Restored" in out.getvalue()


def test_a_key_rotated_into_the_fallbacks_still_restores(backed_up, settings):
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-" + "y" * 30
    call_command("restore", str(backed_up), stdout=io.StringIO())
    assert Answer.objects.exists()


def test_a_broken_reference_is_a_sentence_and_nothing_stays(backed_up, tmp_path):
    """A file signed by the key (so it verifies) whose rows name an answer it does not hold."""
    key = backups.keys()[0]

    def orphan(row):
        if row["model"] == "editorial.notice":
            row["fields"]["event"] = 999_999
        return row

    rewrite(backed_up, orphan, key=key)
    refused(backed_up, r"Its rows do not fit together here, so nothing was restored: .*999999")


def test_a_row_naming_what_the_database_lacks_is_a_sentence(backed_up):
    key = backups.keys()[0]

    def unknown_group(row):
        if row["model"] == "auth.user" and row["fields"]["groups"]:
            row["fields"]["groups"] = [["A group no migration made"]]
        return row

    rewrite(backed_up, unknown_group, key=key)
    refused(backed_up, "A row names something this database does not have")


def test_a_copied_row_naming_a_person_the_database_lacks_is_a_sentence(backed_up):
    """Tables copied in bulk name people by username too (read whole before the copy)."""
    key = backups.keys()[0]

    def unknown_person(row):
        if row["model"] == "editorial.workflowevent" and row["fields"].get("actor"):
            row["fields"]["actor"] = ["somebody-who-never-worked-here"]
        return row

    rewrite(backed_up, unknown_person, key=key)
    refused(backed_up, "somebody-who-never-worked-here")


def test_restore_refuses_a_file_that_is_not_a_backup(db, tmp_path):
    path = tmp_path / "other.json"
    for text, match in (
        ('[{"model": "auth.user", "pk": 1, "fields": {}}]\n', "not an Editorial backup"),
        ("not json\n", "not an Editorial backup"),
        ("", "not an Editorial backup"),
        (
            '{"format": "editorial-backup", "version": 1, "counts": {}, "models": {}}\n',
            "format version 1; this version of Editorial restores version 2",
        ),
    ):
        put(path, text)
        refused(path, match)
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    refused(path, "not an Editorial backup")


def test_a_table_the_manifest_lists_but_the_file_lacks_is_refused(backed_up):
    lines = text_of(backed_up).splitlines()
    start = lines.index(json.dumps({"table": "editorial.reviewdecision"}))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith('{"table": '))
    put(backed_up, "\n".join(lines[:start] + lines[end:]) + "\n")
    refused(
        backed_up, r"The table editorial\.reviewdecision is in its manifest but not among its rows"
    )


def test_a_file_signed_by_the_key_but_lacking_a_table_is_from_another_version(backed_up):
    key = backups.keys()[0]
    lines = text_of(backed_up).splitlines()
    header = json.loads(lines[0])
    header["tables"].remove("editorial.reviewdecision")
    start = lines.index(json.dumps({"table": "editorial.reviewdecision"}))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith('{"table": '))
    kept = [json.dumps(header)] + lines[1:start] + lines[end:-1]
    manifest = json.loads(lines[-1])["manifest"]
    del manifest["editorial.reviewdecision"]
    signature = backups._signature(key, kept[0], manifest)
    kept.append(json.dumps({"manifest": manifest, "hmac": signature}))
    put(backed_up, "\n".join(kept) + "\n")
    refused(backed_up, "made by another version of Editorial: it lacks editorial.reviewdecision")


def test_the_signature_is_an_hmac_of_the_header_and_manifest(history, tmp_path):
    path = tmp_path / "editorial.json"
    call_command("backup", str(path), stderr=io.StringIO())
    lines = text_of(path).splitlines()
    last = json.loads(lines[-1])
    key = hmac.new(settings_secret().encode(), b"editorial.storage.backup", hashlib.sha256)
    message = lines[0] + "\n" + json.dumps(last["manifest"], sort_keys=True, separators=(",", ":"))
    expected = hmac.new(key.digest(), message.encode(), hashlib.sha256).hexdigest()
    assert last["hmac"] == expected
    assert json.loads(lines[0])["key_id"] == backups._key_id(key.digest())


def settings_secret() -> str:
    from django.conf import settings

    return settings.SECRET_KEY
