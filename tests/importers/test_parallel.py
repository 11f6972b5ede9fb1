"""editorial.importers.batch: files prepared in a second process, in commit groups, write
exactly what files prepared one by one in this process write, and seal a history that
verifies."""

from __future__ import annotations

import gc
import io
import multiprocessing
import os
import signal
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from editorial.importers import batch, import_paths
from editorial.importers.write import write_file
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


_PREPARED_LOG: Path | None = None
_PREPARE_GROUP = batch.prepare_group


def _noted_prepare_group(paths):
    """prepare_group, noting which process prepared which files (the second process is
    forked: it has this module, and appends to the same file)."""
    with _PREPARED_LOG.open("a") as out:
        out.write(f"{os.getpid()} {' '.join(path.stem for path in paths)}\n")
    return _PREPARE_GROUP(paths)


@pytest.mark.django_db
def test_the_first_group_is_prepared_half_here_half_in_the_second_process(tmp_path, monkeypatch):
    """The writer waits for half the first group only; the second process goes on to the
    next groups."""
    files = [write(tmp_path, f"f{index}.txt", five_answers(f"f{index}")) for index in range(10)]
    monkeypatch.setattr(batch, "FILES_PER_COMMIT", 4)
    monkeypatch.setattr(batch, "PARALLEL_PREPARE", True)
    log = tmp_path / "prepared.log"
    monkeypatch.setattr(sys.modules[__name__], "_PREPARED_LOG", log)
    monkeypatch.setattr(sys.modules[__name__], "_PREPARE_GROUP", batch.prepare_group)
    monkeypatch.setattr(batch, "prepare_group", _noted_prepare_group)

    summary = import_paths(files)

    assert not summary.failed and summary.total("created") == 50
    by_process: dict[str, list[str]] = {}
    for line in log.read_text().splitlines():
        pid, *names = line.split()
        by_process.setdefault("here" if int(pid) == os.getpid() else "there", []).extend(names)
    assert by_process == {
        "here": ["f0", "f1"],
        "there": ["f2", "f3", *(f"f{i}" for i in range(4, 10))],
    }
    # The files keep their order: documents are made as the files were given.
    assert list(Document.objects.order_by("pk").values_list("name", flat=True)) == [
        path.name for path in files
    ]


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


@pytest.mark.django_db
@pytest.mark.parametrize("parallel", [False, True])
def test_preparing_files_and_writing_new_documents_make_no_reference_cycles(
    tmp_path, monkeypatch, django_user_model, parallel
):
    """Those steps pause Python's cycle collector (importers.collector), which is only
    sound while everything they make is freed by reference counting: good and bad files,
    copies across files, in groups."""
    user = django_user_model.objects.create_user(username="importer")
    files = _files(tmp_path)
    monkeypatch.setattr(batch, "FILES_PER_COMMIT", 3)
    monkeypatch.setattr(batch, "PARALLEL_PREPARE", parallel)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds is kept, to be named
    try:
        summary = import_paths(files, user=user)
        running_after = gc.isenabled()
        gc.collect()
        cyclic = sorted({type(found).__qualname__ for found in gc.garbage})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert len(summary.failed) == 3
    assert sum(result.created for result in summary.files) > 0
    assert cyclic == []
    assert running_after


@pytest.mark.django_db
def test_a_reimport_through_the_per_file_path_has_its_cycles_collected_as_it_goes(
    tmp_path, monkeypatch, django_user_model
):
    """Reversion serialises each version it saves through json.dump, whose encoder makes a
    reference cycle: the per-file path runs with the collector on (collector_running), so
    a large re-import does not hold them all until it ends."""
    user = django_user_model.objects.create_user(username="importer")
    files = _corpus(tmp_path)
    import_paths(files, user=user)
    copy = files[1]  # a copy of a seed, written for this test
    Answer.objects.filter(document__name=copy.name, position=1).update(text="Staff text.")
    copy.write_text(copy.read_text(encoding="utf-8").replace("Texas", "Vermont"), encoding="utf-8")
    inside = []  # the collections that ran while the per-file path wrote

    def heard(phase, info):
        frame = sys._getframe()
        while frame is not None and frame.f_code is not write_file.__code__:
            frame = frame.f_back
        if phase == "start" and frame is not None:
            inside.append(info["generation"])

    gc.collect()
    gc.callbacks.append(heard)
    try:
        summary = import_paths([copy], user=user)
    finally:
        gc.callbacks.remove(heard)
    (result,) = summary.files
    assert result.updated > 0 and result.conflicting == 1
    assert inside
