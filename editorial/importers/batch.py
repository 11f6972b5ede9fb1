"""Many files in one import: a failing file is reported and the others still import.

Files are committed a few at a time: each is still whole or not at all (its own
savepoint in write_file), and a commit per file cost a sixth of the import. Each group is
read, parsed and checked before its transaction opens, and its new documents are written
together first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import TypeVar

from django.db import transaction
from django.utils import timezone
from reversion.models import Revision, Version

from editorial.importers.bulk import bulk_new_documents, create_documents
from editorial.importers.parsers import SUPPORTED_SUFFIXES
from editorial.importers.prepare import PreparedFile, prepare_content, prepare_file
from editorial.importers.results import FileResult, ImportFileError, ImportSummary
from editorial.importers.write import write_file
from editorial.models import Answer, Document, WorkflowEvent
from editorial.storage import statistics

T = TypeVar("T")

FILES_PER_COMMIT = 20


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
    return _import(
        ((path, partial(prepare_file, path)) for path in (progress(files) if progress else files)),
        user=user,
    )


def import_contents(contents: Iterable[tuple[str, bytes]], *, user=None) -> ImportSummary:
    """Import files given as (name, bytes), as uploaded: nothing is written to disk, so any
    name the database can hold is fine (a file system limits names to 255 bytes)."""
    return _import(
        ((Path(name), partial(prepare_content, Path(name), raw)) for name, raw in contents),
        user=user,
    )


def _import(files: Iterable[tuple[Path, Callable[[], PreparedFile]]], *, user) -> ImportSummary:
    summary = ImportSummary()
    for group in batched(files, FILES_PER_COMMIT):
        prepared = [prepare_or_fail(path, prepare) for path, prepare in group]
        summary.files.extend(import_prepared(prepared, user=user))
    refresh_statistics(summary.files)
    return summary


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


def import_prepared(prepared: list[PreparedFile | FileResult], *, user) -> list[FileResult]:
    """Write prepared files in one commit, each whole or not at all; failures pass through.

    A task worker imports one file per call, so that each file committed is progress
    others can see (editorial.tasks.imports).
    """
    results: list[FileResult] = []
    with transaction.atomic():
        written = _create_new_documents(prepared, user=user)
        for file in prepared:
            if isinstance(file, FileResult):
                results.append(file)
            elif file.path in written:
                results.append(written[file.path])
            else:
                try:
                    results.append(write_file(file, user=user))
                except Exception as error:  # noqa: BLE001
                    # write_file's savepoint has rolled back whatever the file wrote.
                    results.append(_failed(file.path, error))
    return results


def _create_new_documents(prepared: list, *, user) -> dict[Path, FileResult]:
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
            results = create_documents(new, user=user, now=timezone.now())
    except Exception:  # noqa: BLE001 - each file is then tried alone, and reports its error
        return {}
    return {file.path: result for file, result in zip(new, results, strict=True)}


def _failed(path: Path, error: Exception) -> FileResult:
    """A file's own error as it is, anything else named as a crash of that file alone."""
    if isinstance(error, ImportFileError):
        return FileResult(path=str(path), error=str(error))
    reason = f"could not be imported ({type(error).__name__}: {error})"
    return FileResult(path=str(path), error=f"{path}: {reason}")


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
