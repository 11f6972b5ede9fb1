"""A file read, parsed and checked before any write.

Everything that needs no database happens here, outside the write transaction: SQLite
has one writer at a time, so its lock is held only while rows are written, and a file
that cannot be imported is refused before anything of it is written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from editorial import flags
from editorial.importers.parsers import parse_content, parser_for
from editorial.importers.progress import Report, reporting, silent
from editorial.importers.results import ImportFileError, ParsedAnswer
from editorial.importers.subjects import derive_title, detect_subject
from editorial.models import Document
from editorial.wording import counted

# A file's name is its document's name.
NAME_LENGTH = Document._meta.get_field("name").max_length


@dataclass
class PreparedFile:
    """What the writers need of a file, so that they never read, parse or check it."""

    path: Path
    content_hash: str
    items: list[ParsedAnswer]
    subject: str
    # What people call it until they rename it (parsers.derive_title); empty: the subject.
    title: str
    prints: list[str]
    # Each answer's flags from its text alone: only the duplicate flag needs the database.
    flags: list[list[flags.Flag]]
    warnings: list[str] = field(default_factory=list)


def read_bytes(path: Path) -> bytes:
    """The file's bytes; a file that cannot be read is that file's error, not a crash."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise ImportFileError(path, 1, f"cannot read the file: {error.strerror}") from None


def parse_file(path: Path) -> tuple[bytes, list[ParsedAnswer]]:
    """The bytes with the answers, for callers that hash or time them (the benchmarks)."""
    parser_for(path)
    raw = read_bytes(path)
    return raw, parse_content(path, raw)


def prepare_file(path: str | Path) -> PreparedFile:
    """Raises ImportFileError for a file that cannot be read or parsed."""
    path = Path(path)
    parser_for(path)  # an unsupported file is refused before it is read
    return prepare_content(path, read_bytes(path))


def prepare_content(path: Path, raw: bytes, *, report: Report | None = None) -> PreparedFile:
    """A file's bytes parsed and checked; `path` names it (an upload has no folder).

    `report(answers, what)` hears the answers found so far while it parses, then how many
    are checked (a 119,000-answer file takes seconds of each: editorial.importers.progress).
    """
    report = report or silent
    parser_for(path)
    if len(path.name) > NAME_LENGTH:
        raise ImportFileError(
            path, 1, f"the file name is longer than {NAME_LENGTH} characters; shorten it"
        )
    warnings: list[str] = []
    items = parse_content(
        path, raw, warnings, max_chars=settings.EDITORIAL_IMPORT_MAX_FIELD_CHARS, report=report
    )
    if items and not any(item.answer.strip() for item in items):
        # Questions alone are nothing to correct: refused whole, before anything is written.
        raise ImportFileError(
            path,
            items[0].line,
            f"every answer is blank ({counted(len(items), 'question')}, no answer text); "
            "nothing was imported",
        )
    found = len(items)
    report(found, f"{found:,} answers found")
    subject = detect_subject(items)
    checks = [
        flags.new_answer_checks(item.answer)
        for item in reporting(
            items, report, lambda n: f"{n:,} of {found:,} answers checked", answers=found
        )
    ]
    return PreparedFile(
        path=path,
        warnings=warnings,
        content_hash=hashlib.sha256(raw).hexdigest(),
        items=items,
        subject=subject,
        title=derive_title(path.name, subject, items),
        prints=[print_ for print_, _ in checks],
        flags=[list(found_flags) for _, found_flags in checks],
    )
