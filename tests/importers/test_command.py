"""The import_answers command: what it prints, and that it fails when a file fails."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from editorial.models import Document
from tests.importers.conftest import GOOD_JSONL, write

pytestmark = pytest.mark.django_db


def test_the_command_reports_bad_files_fails_and_still_imports_the_good_ones(tmp_path):
    good = write(tmp_path / "in", "good.jsonl", GOOD_JSONL)
    empty = write(tmp_path / "in", "empty.txt", b"")
    latin = write(tmp_path / "in", "latin.txt", "1. Q?\nCafé\n".encode("latin-1"))

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_answers", str(empty), str(good), str(latin), stdout=out, stderr=err)

    assert raised.value.returncode != 0
    assert "2 files failed" in str(raised.value)
    assert f"{empty}:1: the file is empty" in err.getvalue()
    assert f"{latin}:2: not UTF-8" in err.getvalue()
    assert "3 files: 1 created" in out.getvalue()
    assert list(Document.objects.values_list("name", flat=True)) == ["good.jsonl"]


def test_the_command_prints_each_warning_with_its_file_and_line(tmp_path):
    path = write(tmp_path, "w.txt", "1. Steps\n1. Ask.\n3. Wait.\n2. Fees\nNone.\n")
    out, err = StringIO(), StringIO()
    call_command("import_answers", str(path), stdout=out, stderr=err)
    assert f'warning: {path}:4: "2. Fees" was taken as question 2' in err.getvalue()
    assert "1 warning" in out.getvalue()
