"""editorial.importers.batch: files prepared in a second process, in commit groups, write
exactly what files prepared one by one in this process write, and seal a history that
verifies."""

from __future__ import annotations

import io
import multiprocessing
import os
import signal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from editorial.importers import batch, import_paths
from editorial.models import Answer, Document
from tests.importers.conftest import BAD_FILES, five_answers, write
from tests.importers.test_bulk import _corpus, _Discard, _written


def _files(folder: Path) -> list[Path]:
    """Good files of three formats, bad ones among them, and copies across files."""
    paths = _corpus(folder)
    for index in range(6):
        paths.append(write(folder, f"n{index}.txt", five_answers(f"n{index}.txt")))
    for name in ("b_empty.txt", "e_latin1.txt", "g_line3.jsonl"):
        paths.append(write(folder, name, BAD_FILES[name][0]))
    paths.append(write(folder, "z.jsonl", '{"question": "Q?", "answer": "The RMV, in 2004."}\n'))
    return paths


def _outcome(summary) -> list[tuple]:
    return [
        (Path(result.path).name, result.created, result.updated, result.unchanged,
         result.conflicting, result.error, result.warnings)
        for result in summary.files
    ]  # fmt: skip


@pytest.mark.django_db
def test_a_parallel_prepare_writes_exactly_what_a_serial_one_writes(
    tmp_path, monkeypatch, django_user_model
):
    user = django_user_model.objects.create_user(username="importer")
    files = _files(tmp_path)
    # Groups of three files, so there are several and the second process prepares them.
    monkeypatch.setattr(batch, "FILES_PER_COMMIT", 3)
    written, outcomes = {}, {}
    for parallel in (False, True):
        monkeypatch.setattr(batch, "PARALLEL_PREPARE", parallel)
        try:
            with transaction.atomic():
                summary = import_paths(files, user=user)
                outcomes[parallel] = _outcome(summary)
                written[parallel] = _written()
                raise _Discard
        except _Discard:
            pass

    assert outcomes[True] == outcomes[False]
    assert written[True] == written[False]
    assert sum(1 for outcome in outcomes[True] if outcome[5]) == 3  # the bad files failed
    assert len(written[True]["revisions"]) == len(files) - 3  # one per imported file


@pytest.mark.django_db
def test_a_prepare_process_that_dies_leaves_the_files_to_this_one(tmp_path, monkeypatch):
    files = [write(tmp_path, f"f{index}.txt", five_answers(f"f{index}")) for index in range(7)]
    monkeypatch.setattr(batch, "FILES_PER_COMMIT", 2)
    monkeypatch.setattr(batch, "PARALLEL_PREPARE", True)
    killed = []

    def killing(paths):
        """The files as given, the second process killed as the third group is made."""
        for index, path in enumerate(paths):
            if index == 4:
                for child in multiprocessing.active_children():
                    os.kill(child.pid, signal.SIGKILL)
                    killed.append(child.pid)
            yield path

    summary = import_paths(files, progress=killing)

    assert killed
    assert not summary.failed and summary.total("created") == 35
    assert Document.objects.count() == 7 and Answer.objects.count() == 35


def test_groups_are_bounded_by_files_and_by_bytes(monkeypatch):
    monkeypatch.setattr(batch, "FILES_PER_COMMIT", 3)
    monkeypatch.setattr(batch, "BYTES_PER_COMMIT", 100)
    sizes = [10, 10, 10, 10, 60, 50, 500, 1, 1]

    groups = list(batch.grouped(sizes, size=lambda size: size))

    # Three at most; no more than 100 bytes unless one file alone is larger.
    assert groups == [[10, 10, 10], [10, 60], [50], [500], [1, 1]]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_parallel_import_in_groups_seals_a_history_that_verifies(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "FILES_PER_COMMIT", 3)
    monkeypatch.setattr(batch, "PARALLEL_PREPARE", True)
    files = _files(tmp_path)

    summary = import_paths(files)

    assert len(summary.failed) == 3
    out = io.StringIO()
    call_command("verify_history", stdout=out)
    assert "History verified" in out.getvalue(), out.getvalue()
    assert f"{len(files) - 3} links seal {len(files) - 3} revisions" in out.getvalue()
