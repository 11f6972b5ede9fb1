"""Import machine-written question/answer files: parse, validate, then save atomically.

A file is imported whole or not at all. Re-importing never overwrites staff work: an
answer somebody touched keeps its text and gets the new import beside it to merge.
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import io
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

import reversion
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from reversion.models import Revision

from editorial import flags
from editorial.models import Answer, Document, Source, Status, WorkflowEvent
from editorial.storage import events, search, versioning
from editorial.storage.bulk import insert_copies

T = TypeVar("T")
Action = WorkflowEvent.Action

SUPPORTED_SUFFIXES = (".txt", ".jsonl", ".csv")
# A file's name is its document's name.
NAME_LENGTH = Document._meta.get_field("name").max_length

# "12. Question text" – the number, a dot or bracket, then text (trailing space is
# stripped after the match: a lazy pattern ending in \s*$ took quadratic time on a line
# of spaces). Up to nine digits: any count of questions, but never an absurd integer.
_NUMBERED_LINE = re.compile(r"^\s*(\d{1,9})[.)]\s+(\S.*)$")

US_STATES = [
    *"""Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida
    Georgia Hawaii Idaho Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland
    Massachusetts Michigan Minnesota Mississippi Missouri Montana Nebraska Nevada Ohio
    Oklahoma Oregon Pennsylvania Tennessee Texas Utah Vermont Virginia Washington Wisconsin
    Wyoming""".split(),
    "New Hampshire",
    "New Jersey",
    "New Mexico",
    "New York",
    "North Carolina",
    "North Dakota",
    "Rhode Island",
    "South Carolina",
    "South Dakota",
    "West Virginia",
    "District of Columbia",
    "Puerto Rico",
]
# Longest names first so "West Virginia" is not counted as "Virginia". No \b in front: a
# pattern starting with a name lets the engine skip to the names' first letters, seven
# times faster; states_named() checks the boundary before each match instead.
_STATE_RE = re.compile(
    "(?:" + "|".join(sorted(map(re.escape, US_STATES), key=len, reverse=True)) + r")\b"
)


def states_named(text: str) -> Iterator[str]:
    """The state names in the text, as whole words, in order."""
    position = 0
    while match := _STATE_RE.search(text, position):
        start = match.start()
        if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
            position = start + 1  # inside a word: look again from the next character
            continue
        yield match.group()
        position = match.end()


class ImportFileError(Exception):
    """A file that cannot be imported; the message names the file, the line and why."""

    def __init__(self, path: str | Path, line: int, reason: str) -> None:
        self.path, self.line, self.reason = str(path), line, reason
        super().__init__(f"{self.path}:{line}: {reason}")


@dataclass(frozen=True)
class ParsedAnswer:
    position: int
    question: str
    answer: str
    line: int


@dataclass
class FileResult:
    path: str
    document: Document | None = None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicting: int = 0
    error: str = ""
    # Places where the parser had to choose how to read the file ("path:line: why").
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportSummary:
    files: list[FileResult] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(result, name) for result in self.files)

    @property
    def failed(self) -> list[FileResult]:
        return [result for result in self.files if result.error]

    @property
    def warnings(self) -> list[str]:
        return [warning for result in self.files for warning in result.warnings]

    def __str__(self) -> str:
        warned = f", {len(self.warnings)} warning(s)" if self.warnings else ""
        return (
            f"{len(self.files)} file(s): {self.total('created')} created, "
            f"{self.total('updated')} updated, {self.total('unchanged')} unchanged, "
            f"{self.total('conflicting')} conflicting, {len(self.failed)} failed{warned}"
        )


_NUL_REASON = "contains a NUL character (0x00), which is not text"


def decode(raw: bytes, path: str | Path) -> str:
    """UTF-8 (with or without BOM), line endings normalised to \\n."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ImportFileError(
            path, line, f"not UTF-8 text (byte 0x{raw[error.start]:02x} cannot be decoded)"
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if (index := text.find("\x00")) != -1:
        # Valid UTF-8, but PostgreSQL cannot store it: fail here, not mid-save.
        raise ImportFileError(path, text.count("\n", 0, index) + 1, _NUL_REASON)
    return text


def parse_numbered_text(
    text: str, path: str | Path, warnings: list[str] | None = None
) -> list[ParsedAnswer]:
    """Split `N. question` lines from the answer text that follows each.

    Answers carry numbered lists of their own, can start with "1." and can hold an item
    with the very number the next question will have. A numbered line is taken for the
    next question when it has the expected number and reads as a question (ends with
    "?"), or – for questions phrased without "?" – when it does not continue the answer's
    own list. But a line with the expected number that ends in "?" further on, before the
    question after it, is preferred: one ambiguous list item never shifts the rest of the
    file. Each place where a choice was made is added to `warnings` ("path:line: why").
    """
    lines = text.split("\n")
    if not text.strip():
        raise ImportFileError(path, 1, "the file is empty")
    warnings = [] if warnings is None else warnings

    # Line numbers of the lines reading as question N, by N: the look-ahead below is a
    # binary search, so no file makes the parser slower than linear (times a log).
    numbered = [(_NUMBERED_LINE.match(line), line) for line in lines]
    asking: dict[int, list[int]] = defaultdict(list)
    for number, (match, _) in enumerate(numbered, start=1):
        if match and match.group(2).rstrip().endswith("?"):
            asking[int(match.group(1))].append(number)

    def next_asking(value: int, after: int) -> int | None:
        found = asking.get(value, [])
        index = bisect.bisect_right(found, after)
        return found[index] if index < len(found) else None

    items: list[ParsedAnswer] = []
    current: dict | None = None
    answer_lines: list[str] = []
    previous_item_number: int | None = None

    def close() -> None:
        if current is not None:
            items.append(ParsedAnswer(answer="\n".join(answer_lines).strip("\n"), **current))

    for number, (match, line) in enumerate(numbered, start=1):
        expected = len(items) + (1 if current is None else 2)
        if match:
            value, rest = int(match.group(1)), match.group(2).rstrip()
            reads_as_question = rest.endswith("?")
            continues_list = previous_item_number is not None and value == previous_item_number + 1
            takes = value == expected and (
                current is None or reads_as_question or (not continues_list and answer_lines)
            )
            if takes and current is not None and not (reads_as_question and not continues_list):
                # An item of the answer's list, or a line not phrased as a question: a
                # line further on with this number that is phrased as one wins.
                later = next_asking(value, number)
                following = next_asking(value + 1, number)
                if later is not None and (following is None or later < following):
                    takes = False
                    warnings.append(
                        f"{path}:{number}: {_quoted(line)} was read as part of answer "
                        f"{value - 1}, not as question {value}: line {later} "
                        f"({_quoted(lines[later - 1])}) reads as question {value}"
                    )
                elif not reads_as_question and previous_item_number is not None:
                    warnings.append(
                        f"{path}:{number}: {_quoted(line)} was taken as question {value}; "
                        f"it could also be an item of the numbered list in answer {value - 1}"
                    )
            if takes:
                close()
                current = {"position": value, "question": rest, "line": number}
                answer_lines = []
                previous_item_number = None
                continue
            if reads_as_question and value > expected:
                raise ImportFileError(
                    path, number, f"question {value} found where question {expected} was expected"
                )
            previous_item_number = value
        if current is None:
            if line.strip():
                raise ImportFileError(
                    path, number, 'text before the first question (expected "1. Question?")'
                )
            continue
        answer_lines.append(line)
    close()
    if not items:
        raise ImportFileError(path, 1, 'no numbered questions found (expected "1. Question?")')
    return items


def _quoted(line: str, limit: int = 60) -> str:
    line = " ".join(line.split())
    return f'"{line if len(line) <= limit else line[: limit - 1] + "…"}"'


def _checked_pair(question: object, answer: object, path: str | Path, line: int) -> tuple:
    if not isinstance(question, str) or not question.strip():
        raise ImportFileError(path, line, "the question is missing or empty")
    if not isinstance(answer, str):
        raise ImportFileError(path, line, "the answer is missing or not text")
    # JSON escapes (\u0000, a lone \ud800) make strings no database can store.
    for value in (question, answer):
        if "\x00" in value:
            raise ImportFileError(path, line, _NUL_REASON)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ImportFileError(
                path, line, f"a lone surrogate {value[error.start]!r} is not text"
            ) from None
    return question.strip(), answer.strip("\n")


def parse_jsonl(
    text: str, path: str | Path, warnings: list[str] | None = None
) -> list[ParsedAnswer]:
    items: list[ParsedAnswer] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ImportFileError(path, number, f"invalid JSON: {error.msg}") from None
        except RecursionError:
            raise ImportFileError(path, number, "invalid JSON: nested too deeply") from None
        except ValueError as error:  # e.g. an integer of thousands of digits
            raise ImportFileError(path, number, f"invalid JSON: {error}") from None
        if not isinstance(record, dict):
            raise ImportFileError(path, number, 'expected an object {"question": …, "answer": …}')
        question, answer = _checked_pair(record.get("question"), record.get("answer"), path, number)
        items.append(ParsedAnswer(len(items) + 1, question, answer, number))
    if not items:
        raise ImportFileError(path, 1, "the file is empty")
    return items


def parse_csv(text: str, path: str | Path, warnings: list[str] | None = None) -> list[ParsedAnswer]:
    if not text.strip():
        raise ImportFileError(path, 1, "the file is empty")
    # strict: an unclosed quote is an error, not the rest of the file swallowed into one cell.
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    items: list[ParsedAnswer] = []
    try:
        columns = {name.strip().lower() for name in reader.fieldnames or []}
        if not {"question", "answer"} <= columns:
            raise ImportFileError(
                path, 1, 'the header must name the columns "question" and "answer"'
            )
        for row in reader:
            if None in row:  # DictReader's key for cells beyond the header's columns
                raise ImportFileError(
                    path,
                    reader.line_num,
                    f"more cells than the header's {len(reader.fieldnames)} columns "
                    "(an unquoted comma?)",
                )
            normalised = {(key or "").strip().lower(): value for key, value in row.items()}
            question, answer = _checked_pair(
                normalised.get("question"), normalised.get("answer") or "", path, reader.line_num
            )
            items.append(ParsedAnswer(len(items) + 1, question, answer, reader.line_num))
    except csv.Error as error:
        # DictReader counts lines only after a good row: the bad one starts on the next line.
        raise ImportFileError(path, reader.line_num + 1, f"invalid CSV: {error}") from None
    if not items:
        raise ImportFileError(path, 2, "no rows below the header")
    return items


# Each takes the text, the path for messages and a list to add warnings to.
PARSERS: dict[str, Callable[..., list[ParsedAnswer]]] = {
    ".txt": parse_numbered_text,
    ".jsonl": parse_jsonl,
    ".csv": parse_csv,
}


def detect_subject(items: Iterable[ParsedAnswer]) -> str:
    """The state named most often in the questions and answers."""
    counts: dict[str, int] = {}
    for item in items:
        for name in states_named(f"{item.question}\n{item.answer}"):
            counts[name] = counts.get(name, 0) + 1
    return max(counts, key=lambda name: (counts[name], name)) if counts else ""


def parse_file(path: Path) -> tuple[bytes, list[ParsedAnswer]]:
    _parser_for(path)
    raw = _read(path)
    return raw, parse_content(path, raw)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ImportFileError(path, 1, f"cannot read the file: {error.strerror}") from None


def parse_content(path: Path, raw: bytes, warnings: list[str] | None = None) -> list[ParsedAnswer]:
    """The answers of a file's bytes; `path` names it (its suffix says the format)."""
    return _parser_for(path)(decode(raw, path), path, warnings)


def _parser_for(path: Path) -> Callable[..., list[ParsedAnswer]]:
    parser = PARSERS.get(path.suffix.lower())
    if parser is None:
        raise ImportFileError(path, 1, f"unsupported file type {path.suffix or '(none)'}")
    return parser


def _is_untouched(answer: Answer) -> bool:
    """Nobody has worked on it: still the imported text, still a draft, no sources.

    Expects `source_count` annotated, as import_file does.
    """
    return (
        answer.question == answer.imported_question
        and answer.text == answer.imported_text
        and answer.status == Status.DRAFT
        and not answer.has_import_conflict
        and answer.source_count == 0
    )


@dataclass
class PreparedFile:
    """A file read, parsed and checked before any write.

    Everything that needs no database happens here, outside the write transaction:
    SQLite has one writer at a time, so the lock is held only while rows are written.
    """

    path: Path
    content_hash: str
    items: list[ParsedAnswer]
    subject: str
    prints: list[str]
    # Each answer's flags from its text alone: only the duplicate flag needs the database.
    flags: list[list[flags.Flag]]
    warnings: list[str] = field(default_factory=list)


def prepare_file(path: str | Path) -> PreparedFile:
    """Raises ImportFileError for a file that cannot be read or parsed."""
    path = Path(path)
    _parser_for(path)  # an unsupported file is refused before it is read
    return prepare_content(path, _read(path))


def prepare_content(path: Path, raw: bytes) -> PreparedFile:
    """A file's bytes parsed and checked; `path` names it (an upload has no folder)."""
    _parser_for(path)
    if len(path.name) > NAME_LENGTH:
        raise ImportFileError(
            path, 1, f"the file name is longer than {NAME_LENGTH} characters; shorten it"
        )
    warnings: list[str] = []
    items = parse_content(path, raw, warnings)
    return PreparedFile(
        path=path,
        warnings=warnings,
        content_hash=hashlib.sha256(raw).hexdigest(),
        items=items,
        subject=detect_subject(items),
        prints=[flags.fingerprint(item.answer) for item in items],
        flags=[
            flags.evaluate(text=item.answer, source_count=0, is_duplicate=False) for item in items
        ],
    )


def _new_document(prepared: PreparedFile, *, user, now) -> Document:
    return Document.objects.create(
        name=prepared.path.name,
        content_hash=prepared.content_hash,
        subject=prepared.subject,
        imported_at=now,
        imported_by=user,
    )


def _new_answer(document: Document, item: ParsedAnswer, **derived) -> Answer:
    """An answer as imported: the machine text is both the working and the imported text."""
    return Answer(
        document=document,
        position=item.position,
        question=item.question,
        text=item.answer,
        imported_question=item.question,
        imported_text=item.answer,
        **derived,
    )


def import_file(path: str | Path, *, user=None) -> FileResult:
    """Import one file atomically; raises ImportFileError and then saves nothing."""
    return write_file(prepare_file(path), user=user)


def write_file(prepared: PreparedFile, *, user=None) -> FileResult:
    """Write a prepared file in one transaction (a savepoint inside import_paths')."""
    path, items, content_hash = prepared.path, prepared.items, prepared.content_hash
    result = FileResult(path=str(path), warnings=prepared.warnings)
    now = timezone.now()

    with transaction.atomic():
        document = Document.objects.select_for_update().filter(name=path.name).first()
        if document is not None and document.content_hash == content_hash:
            result.document = document
            result.unchanged = document.answers.count()
            return result

        if document is None and BULK_NEW_DOCUMENTS:
            return create_documents([prepared], user=user, now=now)[0]

        touched_ids: list[int] = []
        entries: list[events.Entry] = []
        with reversion.create_revision():
            reversion.set_user(user)
            reversion.set_comment(f"Imported from {path.name}")
            if document is None:
                document = _new_document(prepared, user=user, now=now)
            else:
                document.content_hash, document.subject = content_hash, prepared.subject
                document.imported_at, document.imported_by = now, user
                document.save()
            # Locked: an editor's save or a workflow step racing the re-import waits for it,
            # and the re-import decides "untouched" on rows nobody can change meanwhile.
            existing = {answer.position: answer for answer in document.answers.select_for_update()}
            source_counts = dict(
                Source.objects.filter(answer__document=document)
                .values_list("answer")
                .annotate(n=Count("id"))
            )
            for answer in existing.values():
                answer.source_count = source_counts.get(answer.pk, 0)
            for item in items:
                answer = existing.get(item.position)
                if answer is None:
                    answer = _new_answer(document, item)
                    answer.save()
                    result.created += 1
                    action, comment = Action.IMPORT, f"From {path.name}"
                elif (item.question, item.answer) in {
                    (answer.imported_question, answer.imported_text),
                    (answer.incoming_question, answer.incoming_text),
                }:
                    result.unchanged += 1
                    continue
                elif _is_untouched(answer):
                    answer.question = answer.imported_question = item.question
                    answer.text = answer.imported_text = item.answer
                    answer.version += 1
                    answer.save(
                        update_fields=["question", "imported_question", "text", "imported_text",
                                       "version", "updated_at"]
                    )  # fmt: skip
                    result.updated += 1
                    action, comment = Action.REIMPORT, f"From {path.name}"
                else:
                    answer.incoming_question, answer.incoming_text = item.question, item.answer
                    answer.save(update_fields=["incoming_question", "incoming_text", "updated_at"])
                    result.conflicting += 1
                    action = Action.CONFLICT
                    comment = (
                        f"{path.name} changed this answer; the staff version is kept and "
                        "the new import waits beside it to be merged."
                    )
                entries.append(
                    events.Entry(answer.pk, action, answer.status, answer.status, comment)
                )
                touched_ids.append(answer.pk)
            events.log(entries, actor=user)
        flags.refresh_flags(touched_ids)
    result.document = document
    return result


# A new document's answers are written in bulk (below); False takes the per-answer path
# for every file, which the tests compare the bulk path against.
BULK_NEW_DOCUMENTS = True


def create_documents(files: list[PreparedFile], *, user, now) -> list[FileResult]:
    """New documents and their answers in bulk, with all the per-answer path writes.

    That is, for each answer: its quality flags (and the duplicate flag of earlier
    copies), one version in one reversion revision per file, and an import event tied to
    that revision. A handful of statements serve any number of files. Rows are inserted
    directly (insert_copies), so neither signals nor reversion see them: the revisions and
    versions are written here, serialised as reversion serialises them. The files' names
    must be new and distinct.
    """
    documents = Document.objects.bulk_create(
        [
            Document(
                name=file.path.name,
                content_hash=file.content_hash,
                subject=file.subject,
                imported_at=now,
                imported_by=user,
            )
            for file in files
        ]
    )
    prints = [print_ for file in files for print_ in file.prints if print_]
    earlier = flags.first_copies(prints)
    count = Counter(print_ for _, _, print_ in earlier) + Counter(prints)
    varying = []
    for document, file in zip(documents, files, strict=True):
        for item, print_, found in zip(file.items, file.prints, file.flags, strict=True):
            if print_ and count[print_] > 1:
                found = flags.with_duplicate(found)
            codes = " ".join(flag.code for flag in found)
            level = int(flags.level_of(found))
            question, text = item.question, item.answer
            varying.append(
                (document.pk, item.position, question, text, question, text, codes, level, print_)
            )
    answer = _new_answer(documents[0], files[0].items[0], created_at=now, updated_at=now)
    with search.indexed_in_bulk():
        insert_copies(answer, _ANSWER_VARYING, varying)
    ids = {
        (document, position): pk
        for document, position, pk in Answer.objects.filter(document__in=documents)
        .order_by()
        .values_list("document", "position", "pk")
    }
    revisions = Revision.objects.bulk_create(
        [
            Revision(date_created=now, user=user, comment=f"Imported from {document.name}")
            for document in documents
        ]
    )
    revision_of = {
        document.pk: revision.pk for document, revision in zip(documents, revisions, strict=True)
    }
    by_pk = {document.pk: document for document in documents}
    # Every version is Django's own serialisation of the first answer with the fields that
    # differ between answers put in: values as the serializer writes them.
    serialised = versioning.Copies(answer, _ANSWER_VARYING)
    versions, entries, entry_revisions = [], [], []
    for row in varying:
        document, position = row[0], row[1]
        answer.pk = ids[document, position]
        answer.document, answer.position, answer.question = by_pk[document], position, row[2]
        versions.append(
            (revision_of[document], answer.pk, serialised.data(answer.pk, row), str(answer))
        )
        entries.append(
            events.Entry(
                answer.pk, Action.IMPORT, Status.DRAFT, Status.DRAFT, f"From {by_pk[document].name}"
            )
        )
        entry_revisions.append(revision_of[document])
    versioning.write_versions(versioning.version_rows(Answer, versions))
    events.log(entries, actor=user, revisions=entry_revisions, at=now)
    # Earlier answers with a text these files repeat are duplicates now.
    flags.add_duplicate_flag((pk, stored) for pk, stored, _ in earlier)
    return [
        FileResult(
            path=str(file.path), document=document, created=len(file.items), warnings=file.warnings
        )
        for document, file in zip(documents, files, strict=True)
    ]


# The fields in which one imported answer differs from another, as create_answers lists them.
_ANSWER_VARYING = (
    "document", "position", "question", "text", "imported_question", "imported_text",
    "flags", "flag_level", "text_fingerprint",
)  # fmt: skip


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
    # Files are committed a few at a time: each is still whole or not at all (its own
    # savepoint in write_file), and a commit per file cost a sixth of the import. Each
    # group is read, parsed and checked before its transaction opens.
    for group in batched(files, FILES_PER_COMMIT):
        prepared: list[PreparedFile | FileResult] = []
        for path, prepare in group:
            try:
                prepared.append(prepare())
            except Exception as error:  # noqa: BLE001 - one bad file must not stop the rest
                prepared.append(_failed(path, error))
        with transaction.atomic():
            written = _create_new_documents(prepared, user=user)
            for file in prepared:
                if isinstance(file, FileResult):
                    summary.files.append(file)
                elif file.path in written:
                    summary.files.append(written[file.path])
                else:
                    try:
                        summary.files.append(write_file(file, user=user))
                    except Exception as error:  # noqa: BLE001
                        # write_file's savepoint has rolled back whatever the file wrote.
                        summary.files.append(_failed(file.path, error))
    return summary


def _create_new_documents(prepared: list, *, user) -> dict[Path, FileResult]:
    """The files of a group that make new documents, written together.

    If that fails, nothing of it stays (a savepoint) and each file is written on its own,
    so a bad file fails alone.
    """
    files = [file for file in prepared if isinstance(file, PreparedFile)]
    names = Counter(file.path.name for file in files)
    taken = set(Document.objects.filter(name__in=names).values_list("name", flat=True))
    new = [file for file in files if names[file.path.name] == 1 and file.path.name not in taken]
    if not new or not BULK_NEW_DOCUMENTS:
        return {}
    try:
        with transaction.atomic():
            results = create_documents(new, user=user, now=timezone.now())
    except Exception:  # noqa: BLE001 - each file is then tried alone, and reports its error
        return {}
    return {file.path: result for file, result in zip(new, results, strict=True)}


def _failed(path: Path, error: Exception) -> FileResult:
    if isinstance(error, ImportFileError):
        return FileResult(path=str(path), error=str(error))
    reason = f"could not be imported ({type(error).__name__}: {error})"
    return FileResult(path=str(path), error=f"{path}: {reason}")


FILES_PER_COMMIT = 20


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
