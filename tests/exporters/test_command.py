"""The export_answers command: stdout or a file, exact bytes, a summary, refusals."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from django.core.management import CommandError, call_command

from editorial.models import ExportRecord
from tests.exporters.conftest import MISSISSIPPI, expected_records, export, parse_csv, parse_jsonl

pytestmark = pytest.mark.django_db


def run_command(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_answers", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_writes_to_stdout_with_a_summary_on_stderr(approved):
    out, err = run_command("--format", "jsonl")
    assert parse_jsonl(out.encode()) == expected_records()
    digest = hashlib.sha256(out.encode()).hexdigest()
    assert err == f"Exported 5 answers as jsonl to stdout; sha256 {digest}\n"
    record = ExportRecord.objects.get()
    assert (record.channel, record.format, record.answer_count, record.sha256) == (
        "command",
        "jsonl",
        5,
        digest,
    )
    assert record.created_by is None
    assert record.filters == {}


def test_command_writes_exact_bytes_to_a_binary_stdout(approved):
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    call_command("export_answers", "--format", "md", stdout=stdout, stderr=io.StringIO())
    assert raw.getvalue() == export("md")
    assert (
        ExportRecord.objects.order_by("id").first().sha256
        == hashlib.sha256(raw.getvalue()).hexdigest()
    )


def test_command_writes_a_file_for_one_document_as_a_user(approved, managing, tmp_path):
    path = tmp_path / "ms.csv"
    out, err = run_command(
        "--format", "csv", "--output", str(path), "--document", MISSISSIPPI, "--user", "managing"
    )
    assert out == ""
    data = path.read_bytes()
    assert {row["document"] for row in parse_csv(data)} == {MISSISSIPPI}
    assert re.fullmatch(
        rf"Exported 2 answers as csv to {re.escape(str(path))}; sha256 [0-9a-f]{{64}}\n", err
    )
    record = ExportRecord.objects.get()
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.created_by == managing
    assert record.filters == {"documents": [MISSISSIPPI]}
    assert record.answer_count == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["--format", "xml"], "invalid choice: 'xml'"),
        (["--format", "json", "--document", "nope.txt"], "No document named 'nope.txt'"),
        (["--format", "json", "--user", "nobody"], "No user named 'nobody'"),
        (["--format", "json", "--output", "/nonexistent/dir/x.json"], "Cannot write"),
    ],
)
def test_command_refuses_bad_input(seeds, args, message):
    with pytest.raises(CommandError, match=message):
        run_command(*args)
    assert not ExportRecord.objects.exists()
