"""editorial.importers.batch: many files in one import; a bad file is its own error and
the others still import."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from editorial.importers import import_paths
from editorial.models import Answer, Document
from tests.importers.conftest import BAD_FILES, GOOD_JSONL, MISSISSIPPI, write

pytestmark = pytest.mark.django_db


def test_bad_files_do_not_stop_the_good_ones_in_one_import(tmp_path):
    write(tmp_path, "a_good.jsonl", GOOD_JSONL)
    for name, (content, _, _) in BAD_FILES.items():
        write(tmp_path, name, content)
    write(tmp_path, "z_good.csv", "question,answer\nLast?,Still imported.\n")
    shutil.copy(MISSISSIPPI, tmp_path / MISSISSIPPI.name)

    summary = import_paths([tmp_path])

    errors = {Path(result.path).name: result.error for result in summary.failed}
    assert set(errors) == set(BAD_FILES)
    for name, (_, line, reason) in BAD_FILES.items():
        assert errors[name].startswith(f"{tmp_path / name}:{line}: ")
        assert reason in errors[name]
    assert set(Document.objects.values_list("name", flat=True)) == {
        "a_good.jsonl",
        "z_good.csv",
        MISSISSIPPI.name,
    }
    assert Answer.objects.count() == 22
    assert summary.total("created") == 22


def test_a_hostile_jsonl_file_is_that_files_error_and_the_others_import(tmp_path):
    deep = tmp_path / "a_deep.jsonl"
    deep.write_text('{"question": "Q?", "answer": "A."}\n' + "[" * 200_000 + "]" * 200_000 + "\n")
    huge = tmp_path / "b_huge.jsonl"
    huge.write_text('{"question": "Q?", "answer": ' + "9" * 5_000 + "}\n")
    good = tmp_path / "c_good.jsonl"
    good.write_text('{"question": "Is this fine?", "answer": "Yes."}\n')

    summary = import_paths([deep, huge, good])

    errors = {Path(result.path).name: result.error for result in summary.failed}
    assert errors["a_deep.jsonl"].endswith("a_deep.jsonl:2: invalid JSON: nested too deeply")
    assert "b_huge.jsonl:1: invalid JSON:" in errors["b_huge.jsonl"]
    assert summary.total("created") == 1
    assert list(Document.objects.values_list("name", flat=True)) == ["c_good.jsonl"]


def test_an_import_stores_long_values_compressed_with_lz4_where_the_server_has_it(tmp_path):
    # Migration 0026: the server's default (pglz) was most of an import's server time.
    from django.db import connection
    from reversion.models import Version

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's TOAST compression")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        if not cursor.fetchone()[0]:
            pytest.skip("this server was built without LZ4")
    # Long and compressible: stored compressed, and read back as written.
    text = "The office renews a licence by mail. " * 200
    write(tmp_path, "long.csv", f'question,answer\nHow long?,"{text}"\n')

    summary = import_paths([tmp_path])

    assert summary.total("created") == 1
    answer = Answer.objects.get()
    assert answer.text == text
    version = Version.objects.get_for_object(answer).get()
    assert version.field_dict["text"] == text
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(text), pg_column_compression(imported_text) "
            "FROM editorial_answer WHERE id = %s",
            [answer.pk],
        )
        assert cursor.fetchone() == ("lz4", "lz4")
        cursor.execute(
            "SELECT pg_column_compression(serialized_data) FROM reversion_version WHERE id = %s",
            [version.pk],
        )
        assert cursor.fetchone()[0] == "lz4"


def test_an_import_sends_its_rows_to_postgresql_in_binary_and_they_read_back(tmp_path):
    # Answers, versions and events: no text escaped, no number or date written out.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from reversion.models import Version

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's COPY")
    text = "Line one\\twith a tab and a \\\\ backslash,\nline two: “quoted” — 2005."
    write(tmp_path, "binary.csv", f'question,answer\nWhich?,"{text}"\n')

    with CaptureQueriesContext(connection) as queries:
        summary = import_paths([tmp_path])

    assert summary.total("created") == 1
    copies = [query["sql"] for query in queries if query["sql"].startswith("COPY")]
    assert len(copies) == 3  # answers, versions, events
    assert all(sql.endswith("(FORMAT BINARY)") for sql in copies)
    answer = Answer.objects.get()
    assert (answer.question, answer.text, answer.imported_text) == ("Which?", text, text)
    assert Version.objects.get_for_object(answer).get().field_dict["text"] == text
    assert answer.events.get().comment == "From binary.csv"
