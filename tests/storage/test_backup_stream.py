"""Backup as a stream: zstd by default, gzip and plain files (as backups were before) still
restored,
compressed bytes changed or cut refused before anything is written, every row written as
Django's serializer writes it, and memory flat in the database's size."""

import datetime
import gzip
import io
import json
import tracemalloc

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management import call_command
from django.db import connection
from reversion.models import Version

from editorial.models import Answer, ApprovedVersion, Document, Status, WorkflowEvent
from editorial.storage import chain, search
from editorial.storage.backup import backed_up_models, read_backup, write_backup
from editorial.storage.backup.format import BY_NATURAL_KEY, CHUNK, _Encoder
from editorial.storage.backup.writing import plain, row_lines
from tests.storage.test_backup import ZSTD, refused, snapshot, text_of

pytestmark = pytest.mark.django_db


def empty_the_database() -> None:
    """As a new deployment has it: schema, content types, permissions, groups."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # TRUNCATE waits for no FK check
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, reset_sequences=False, verbosity=0)
    ContentType.objects.clear_cache()
    call_command("migrate", verbosity=0)


def test_rows_are_written_as_djangos_serializer_writes_them(history):
    """The lines a backup of before held, row for row: the format did not change."""
    for model in backed_up_models():
        label = model._meta.label_lower
        ours = [line for lines in row_lines(model, "default") for line in lines]
        theirs = [
            json.dumps(row, cls=_Encoder) + "\n"
            for row in serializers.serialize(
                "python",
                model._base_manager.order_by("pk"),
                use_natural_foreign_keys=True,
                use_natural_primary_keys=label in BY_NATURAL_KEY,
            )
        ]
        assert ours == theirs, label
    # The large tables take the fast way, users' names included.
    for model in (Answer, ApprovedVersion, WorkflowEvent, Version):
        assert plain(model), model
    assert not plain(User)
    assert '"actor": ["editor"]' in "".join(
        line for lines in row_lines(WorkflowEvent, "default") for line in lines
    )


def test_a_plain_backup_restores_as_the_compressed_one_does(history, tmp_path, fresh_content_types):
    """The default is zstd; a plain file (--uncompressed, or made before compression) holds
    the same lines and restores the same, whatever its name says."""
    before = snapshot()
    packed, unpacked = tmp_path / "editorial.jsonl.zst", tmp_path / "editorial.jsonl.zst.old"
    call_command("backup", str(packed), stderr=io.StringIO())
    call_command("backup", str(unpacked), "--uncompressed", stderr=io.StringIO())
    assert packed.read_bytes()[:4] == ZSTD and unpacked.read_bytes()[:1] == b"{"
    assert len(packed.read_bytes()) * 3 < len(unpacked.read_bytes())
    # The header says when (so the signature differs); the rows and manifest are the same.
    lines = text_of(packed).splitlines(), unpacked.read_text().splitlines()
    assert lines[0][1:-1] == lines[1][1:-1]
    assert json.loads(lines[0][-1])["manifest"] == json.loads(lines[1][-1])["manifest"]

    empty_the_database()
    out = io.StringIO()
    call_command("restore", str(unpacked), stdout=out)
    assert snapshot() == before
    assert chain.verify().problem is None


@pytest.mark.parametrize("where", [0.2, 0.5, 0.8, 0.97])
def test_a_byte_changed_inside_the_compressed_stream_is_refused(backed_up, where):
    data = bytearray(backed_up.read_bytes())
    data[int(len(data) * where)] ^= 0x55
    backed_up.write_bytes(bytes(data))
    refused(backed_up, "changed")


def test_a_compressed_stream_with_more_after_its_end_is_refused(backed_up):
    backed_up.write_bytes(backed_up.read_bytes() + b"more")
    refused(backed_up, "Its compressed stream is damaged.*changed or corrupted")


def test_a_gzip_backup_as_they_were_written_before_restores(history, tmp_path, fresh_content_types):
    before = snapshot()
    path = tmp_path / "editorial.jsonl.gz"
    call_command("backup", str(path), stderr=io.StringIO())
    path.write_bytes(gzip.compress(text_of(path).encode()))

    empty_the_database()
    call_command("restore", str(path), stdout=io.StringIO())

    assert snapshot() == before


def test_a_zstd_frame_cut_at_its_header_is_refused(backed_up):
    backed_up.write_bytes(backed_up.read_bytes()[:6])
    refused(backed_up, "It ends before its manifest.*incomplete")


def test_backup_to_a_terminal_is_refused_when_compressed(db, tmp_path):
    class Terminal(io.BytesIO):
        def isatty(self):
            return True

    with pytest.raises(Exception, match="Standard output is a terminal"):
        call_command("backup", "-", stdout=Terminal(), stderr=io.StringIO())
    out = Terminal()
    call_command("backup", "-", "--uncompressed", stdout=out, stderr=io.StringIO())
    assert out.getvalue().startswith(b'{"format": "editorial-backup"')


# --- memory flat ---------------------------------------------------------------------------


def add_answers(count: int) -> None:
    """`count` more answers, 20 a document, each naming its editor (a name in the file)."""
    editor, _ = User.objects.get_or_create(username="memory-editor")
    start = Answer.objects.count()
    now = datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC)
    documents = Document.objects.bulk_create(
        Document(name=f"memory_{n:06d}.txt", content_hash="0" * 64, subject="Ohio", imported_at=now)
        for n in range(start // 20, (start + count) // 20)
    )
    with search.indexed_in_bulk():  # SQLite: indexed together, as an import does
        Answer.objects.bulk_create(
            Answer(
                document=document, position=position, question=f"Question {position}?",
                text="An answer of a sentence or two, as long as most are. " * 3,
                imported_question="Q?", imported_text="A.", status=Status.DRAFT, editor=editor,
            )
            for document in documents
            for position in range(1, 21)
        )  # fmt: skip


def peak(function, *args, **kwargs) -> int:
    tracemalloc.start()
    try:
        function(*args, **kwargs)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_backup_and_restore_take_the_same_memory_at_four_times_the_size(
    db, tmp_path, fresh_content_types
):
    small, large = tmp_path / "small.jsonl.zst", tmp_path / "large.jsonl.zst"
    add_answers(3 * CHUNK // 2)
    with small.open("wb") as out:
        backed_up_small = peak(write_backup, out)
    add_answers(9 * CHUNK // 2)
    with large.open("wb") as out:
        backed_up_large = peak(write_backup, out)
    assert Answer.objects.count() == 6 * CHUNK
    restored = []
    for path in (small, large):
        empty_the_database()
        with path.open("rb") as source:
            restored.append(peak(read_backup, source))
    assert Answer.objects.count() == 6 * CHUNK
    # Flat: a chunk of rows at a time, whatever the number of chunks.
    assert backed_up_large < 1.3 * backed_up_small, (backed_up_small, backed_up_large)
    assert restored[1] < 1.3 * restored[0], restored


def test_a_compressed_backup_read_from_a_file_renamed_restores(backed_up, tmp_path):
    renamed = tmp_path / "copy.json"
    renamed.write_bytes(backed_up.read_bytes())
    call_command("restore", str(renamed), stdout=io.StringIO())
    assert Answer.objects.exists() and renamed.read_bytes()[:4] == ZSTD
