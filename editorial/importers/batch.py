"""Many files in one import: a failing file is reported and the others still import.

Files are committed a group at a time: each is still whole or not at all (its own
savepoint in write_file), and a commit per file cost a sixth of the import. Each group is
read, parsed and checked before its transaction opens, and its new documents are written
together first. A group is up to FILES_PER_COMMIT files and BYTES_PER_COMMIT of them: each
group has its fixed costs (the copies looked up, the history sealed, the search trigger
set aside, the commit), and groups of 20 files instead of 100 took a fifth more CPU time
(issue 22), of 100 instead of 200 about 4 % more on SQLite (2,000 files, alternated runs:
6.37 s against 6.15 s CPU), whose every commit also waits for its log to reach the disk;
the bytes bound keeps a group of large files to a short write lock (8 MiB: about a second
of writing on the loaded two-core machine of issue 22).

Reading, parsing and checking need no database and are a third of an import's time: a
second process prepares the next group while this one writes the last (`prepared_groups`),
unless every core is busy. On the two-core machine of issue 22, 2,000 files: with a core
idle (load 0.8-1.2), 9.5 → 6.9-7.3 s on SQLite and 17.3-19.3 → 15.4-16.9 s on PostgreSQL
(whose server then has the other core) for 2-9 % more CPU time; at load 6 it never paid
(17.1 s against 16.4 s). PARALLEL_PREPARE = None decides by the load average (below the
number of cores), True and False always and never. It is forked, so it has the settings and
code already and starts in milliseconds. It never uses the database connections it
inherits: it lets go of their sockets without a word to the server (a close would end this
process's session) and dies with this process, so a killed import leaves no process holding
its connection, and its transaction, open.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing, suppress
from functools import partial
from pathlib import Path
from typing import TypeVar

from django.db import connections, transaction
from django.utils import timezone
from reversion.models import Revision, Version

from editorial.importers.bulk import bulk_new_documents, create_documents
from editorial.importers.collector import collector_paused, collector_running
from editorial.importers.parsers import SUPPORTED_SUFFIXES
from editorial.importers.prepare import PreparedFile, prepare_content, prepare_file
from editorial.importers.results import FileResult, ImportFileError, ImportSummary
from editorial.importers.write import write_file
from editorial.models import Answer, Document, WorkflowEvent
from editorial.storage import chain, statistics

T = TypeVar("T")

FILES_PER_COMMIT = 200
BYTES_PER_COMMIT = 8 * 1024 * 1024

# Files from paths are prepared in a second process: None unless every core is busy (the
# default: see the module's docstring), False never, True always (the tests compare them).
PARALLEL_PREPARE: bool | None = None


def expand_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files as given, folders as their supported files in name order."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            yield from sorted(
                child
                for child in path.iterdir()
                if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES
            )
        else:
            yield path


def import_paths(
    paths: Iterable[str | Path],
    *,
    user=None,
    progress: Callable[[Iterable[Path]], Iterable[Path]] | None = None,
) -> ImportSummary:
    """Import every file; a failing file is reported and the others still import."""
    files = list(expand_paths(paths))
    summary = ImportSummary()
    groups = prepared_groups(progress(files) if progress else files, count=len(files))
    # The collector paused for the whole import (but the per-file path: importers.collector),
    # so that the second process is forked from, and runs beside, a process whose
    # collections do not write to every object it holds: each page written after the fork
    # is copied (2,000 files: 7.5 → 7.1-7.2 s of CPU time).
    with collector_paused(), closing(groups):  # a failed write stops the second process
        for prepared in groups:
            summary.files.extend(import_prepared(prepared, user=user))
    refresh_statistics(summary.files)
    return summary


def import_contents(contents: Iterable[tuple[str, bytes]], *, user=None) -> ImportSummary:
    """Import files given as (name, bytes), as uploaded: nothing is written to disk, so any
    name the database can hold is fine (a file system limits names to 255 bytes)."""
    summary = ImportSummary()
    for group in grouped(contents, size=lambda content: len(content[1])):
        with collector_paused():
            prepared = [
                prepare_or_fail(Path(name), partial(prepare_content, Path(name), raw))
                for name, raw in group
            ]
        summary.files.extend(import_prepared(prepared, user=user))
    refresh_statistics(summary.files)
    return summary


def prepared_groups(
    paths: Iterable[Path], *, count: int
) -> Iterator[list[PreparedFile | FileResult]]:
    """The files prepared, a commit's group at a time, each group ready as it is asked for.

    In a second process when there is more than one group and a core to spare: it
    prepares group n + 1 while the caller writes group n. A pool that breaks (its process
    killed) leaves the remaining groups to be prepared here; nothing is lost or doubled.
    """
    groups = grouped(paths, size=_size)
    if not (count > FILES_PER_COMMIT and _second_process()):
        for group in groups:
            yield prepare_group(group)
        return
    pool = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_second_process_started,
    )
    try:
        # The first group is prepared half here and half there at once, and the second
        # process goes on to the next group: the writer waited for the whole first group
        # (a quarter of a second for 200 files, 5 % of the time 2,000 files took on SQLite).
        first = next(groups, [])
        half = (len(first) + 1) // 2  # one file alone is prepared here
        rest = first[half:]
        theirs = (rest, _submit(pool, rest) if rest else None)
        second = next(groups, None)
        ahead = (second, _submit(pool, second)) if second is not None else None
        yield prepare_group(first[:half]) + _result(*theirs)
        for group in groups:
            submitted = (group, _submit(pool, group))
            if ahead is not None:
                yield _result(*ahead)
            ahead = submitted
        if ahead is not None:
            yield _result(*ahead)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _second_process() -> bool:
    """Whether a second process may prepare files: as set, or unless every core is busy."""
    if PARALLEL_PREPARE is not None:
        return PARALLEL_PREPARE
    cores = os.cpu_count() or 1
    return cores > 1 and os.getloadavg()[0] < cores


def _second_process_started() -> None:
    """In the second process: die with the first; let go of the inherited connections."""
    with suppress(OSError, AttributeError):  # Linux: SIGKILL as the parent ends
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and connection.vendor == "postgresql":
            # Only this process's copy of the socket: the first keeps its session.
            os.close(connection.connection.fileno())


def prepare_group(paths: list[Path]) -> list[PreparedFile | FileResult]:
    """A group of files read, parsed and checked; each failure is that file's result."""
    with collector_paused():
        return [prepare_or_fail(path, partial(prepare_file, path)) for path in paths]


def _submit(pool: ProcessPoolExecutor, group: list[Path]) -> Future | None:
    try:
        return pool.submit(prepare_group, group)
    except BrokenProcessPool:
        return None


def _result(group: list[Path], future: Future | None) -> list[PreparedFile | FileResult]:
    """The group as the second process prepared it, or prepared here if it could not."""
    if future is not None:
        try:
            return future.result()
        except BrokenProcessPool:
            pass
    return prepare_group(group)


def refresh_statistics(results: list[FileResult]) -> None:
    """A large import leaves the planner statistics of what it wrote (storage.statistics)."""
    answers = sum(result.created + result.updated + result.conflicting for result in results)
    files = sum(1 for result in results if result.document is not None)
    written = {Answer: answers, Version: answers, WorkflowEvent: answers}
    statistics.after_bulk_work({**written, Document: files, Revision: files})


def prepare_or_fail(path: Path, prepare: Callable[[], PreparedFile]) -> PreparedFile | FileResult:
    """The file read, parsed and checked, or its failure as a result (the others go on)."""
    try:
        return prepare()
    except Exception as error:  # noqa: BLE001 - one bad file must not stop the rest
        return _failed(path, error)


def import_prepared(
    prepared: list[PreparedFile | FileResult],
    *,
    user,
    report: Callable[[int, str], None] | None = None,
) -> list[FileResult]:
    """Write prepared files in one commit, each whole or not at all; failures pass through.

    A task worker imports one file per call, so that each file committed is progress
    others can see (editorial.tasks.imports); `report` hears how far a new document's
    answers have got before then.
    """
    results: list[FileResult] = []
    with collector_paused(), transaction.atomic():
        written = _create_new_documents(prepared, user=user, report=report)
        for file in prepared:
            if isinstance(file, FileResult):
                results.append(file)
            elif file.path in written:
                results.append(written[file.path])
            else:
                try:
                    with collector_running():
                        results.append(write_file(file, user=user))
                except Exception as error:  # noqa: BLE001
                    # write_file's savepoint has rolled back whatever the file wrote.
                    results.append(_failed(file.path, error))
        if report is not None:
            # Sealed here, not as it commits, so that a job page hears how far it has got
            # (seconds for a large file; the commit then has nothing left to seal).
            written = sum(result.created for result in results)
            chain.seal(report=lambda what: report(written, f"sealing the history: {what}"))
            report(written, "committing")
    return results


def _create_new_documents(prepared: list, *, user, report=None) -> dict[Path, FileResult]:
    """The files of a group that make new documents, written together.

    If that fails, nothing of it stays (a savepoint) and each file is written on its own,
    so a bad file fails alone.
    """
    files = [file for file in prepared if isinstance(file, PreparedFile)]
    names = Counter(file.path.name for file in files)
    taken = set(Document.objects.filter(name__in=names).values_list("name", flat=True))
    new = [file for file in files if names[file.path.name] == 1 and file.path.name not in taken]
    if not new or not bulk_new_documents():
        return {}
    try:
        with transaction.atomic():
            results = create_documents(new, user=user, now=timezone.now(), report=report)
    except Exception:  # noqa: BLE001 - each file is then tried alone, and reports its error
        return {}
    return {file.path: result for file, result in zip(new, results, strict=True)}


def _failed(path: Path, error: Exception) -> FileResult:
    """A file's own error as it is, anything else named as a crash of that file alone."""
    if isinstance(error, ImportFileError):
        return FileResult(path=str(path), error=str(error))
    reason = f"could not be imported ({type(error).__name__}: {error})"
    return FileResult(path=str(path), error=f"{path}: {reason}")


def grouped(items: Iterable[T], *, size: Callable[[T], int]) -> Iterator[list[T]]:
    """The items in commit groups: up to FILES_PER_COMMIT of them, and no more than
    BYTES_PER_COMMIT together unless one alone is larger."""
    group: list[T] = []
    total = 0
    for item in items:
        bytes_ = size(item)
        if group and (len(group) == FILES_PER_COMMIT or total + bytes_ > BYTES_PER_COMMIT):
            yield group
            group, total = [], 0
        group.append(item)
        total += bytes_
    if group:
        yield group


def _size(path: Path) -> int:
    """A file's size for grouping; one that cannot be read fails when it is prepared."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """itertools.batched, which Python 3.11 lacks."""
    group: list[T] = []
    for item in items:
        group.append(item)
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group
