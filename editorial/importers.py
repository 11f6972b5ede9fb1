"""Import machine-written question/answer files: parse, validate, then save atomically.

A file is imported whole or not at all. Re-importing never overwrites staff work: an
answer somebody touched keeps its text and gets the new import beside it to merge.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

import reversion
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from reversion.models import Revision, Version

from editorial import checks
from editorial.models import Answer, Document, Source, Status, WorkflowEvent
from editorial.versioning import versions_of

SUPPORTED_SUFFIXES = (".txt", ".jsonl", ".csv")

# "12. Question text" – the number, a dot or bracket, then text.
_NUMBERED_LINE = re.compile(r"^\s*(\d{1,4})[.)]\s+(\S.*?)\s*$")

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
# Longest names first so "West Virginia" is not counted as "Virginia".
_STATE_RE = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, US_STATES), key=len, reverse=True)) + r")\b"
)


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


@dataclass
class ImportSummary:
    files: list[FileResult] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(result, name) for result in self.files)

    @property
    def failed(self) -> list[FileResult]:
        return [result for result in self.files if result.error]

    def __str__(self) -> str:
        return (
            f"{len(self.files)} file(s): {self.total('created')} created, "
            f"{self.total('updated')} updated, {self.total('unchanged')} unchanged, "
            f"{self.total('conflicting')} conflicting, {len(self.failed)} failed"
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


def parse_numbered_text(text: str, path: str | Path) -> list[ParsedAnswer]:
    """Split `N. question` lines from the answer text that follows each.

    Answers carry numbered lists of their own, can start with "1." and can hold an item
    with the very number the next question will have. A numbered line is taken for the
    next question only when it has the expected number and reads as a question (ends
    with "?"), or – for questions phrased without "?" – when it does not continue the
    answer's own list.
    """
    lines = text.split("\n")
    if not text.strip():
        raise ImportFileError(path, 1, "the file is empty")

    items: list[ParsedAnswer] = []
    current: dict | None = None
    answer_lines: list[str] = []
    previous_item_number: int | None = None

    def close() -> None:
        if current is not None:
            items.append(ParsedAnswer(answer="\n".join(answer_lines).strip("\n"), **current))

    for number, line in enumerate(lines, start=1):
        match = _NUMBERED_LINE.match(line)
        expected = len(items) + (1 if current is None else 2)
        if match:
            value, rest = int(match.group(1)), match.group(2)
            reads_as_question = rest.endswith("?")
            continues_list = previous_item_number is not None and value == previous_item_number + 1
            if value == expected and (
                current is None or reads_as_question or (not continues_list and answer_lines)
            ):
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


def parse_jsonl(text: str, path: str | Path) -> list[ParsedAnswer]:
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


def parse_csv(text: str, path: str | Path) -> list[ParsedAnswer]:
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


PARSERS: dict[str, Callable[[str, str | Path], list[ParsedAnswer]]] = {
    ".txt": parse_numbered_text,
    ".jsonl": parse_jsonl,
    ".csv": parse_csv,
}


def detect_subject(items: Iterable[ParsedAnswer]) -> str:
    """The state named most often in the questions and answers."""
    counts: dict[str, int] = {}
    for item in items:
        for name in _STATE_RE.findall(f"{item.question}\n{item.answer}"):
            counts[name] = counts.get(name, 0) + 1
    return max(counts, key=lambda name: (counts[name], name)) if counts else ""


def parse_file(path: Path) -> tuple[bytes, list[ParsedAnswer]]:
    parser = PARSERS.get(path.suffix.lower())
    if parser is None:
        raise ImportFileError(path, 1, f"unsupported file type {path.suffix or '(none)'}")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ImportFileError(path, 1, f"cannot read the file: {error.strerror}") from None
    return raw, parser(decode(raw, path), path)


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


def _new_document(path: Path, content_hash: str, items, *, user, now) -> Document:
    return Document.objects.create(
        name=path.name,
        content_hash=content_hash,
        subject=detect_subject(items),
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
    path = Path(path)
    raw, items = parse_file(path)
    content_hash = hashlib.sha256(raw).hexdigest()
    result = FileResult(path=str(path))
    now = timezone.now()

    with transaction.atomic():
        document = Document.objects.select_for_update().filter(name=path.name).first()
        if document is not None and document.content_hash == content_hash:
            result.document = document
            result.unchanged = document.answers.count()
            return result

        if document is None and BULK_NEW_DOCUMENTS:
            document = _new_document(path, content_hash, items, user=user, now=now)
            result.created = len(create_answers(document, items, user=user, now=now))
            result.document = document
            return result

        touched_ids: list[int] = []
        with reversion.create_revision():
            reversion.set_user(user)
            reversion.set_comment(f"Imported from {path.name}")
            if document is None:
                document = _new_document(path, content_hash, items, user=user, now=now)
            else:
                document.content_hash, document.subject = content_hash, detect_subject(items)
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
                    action, comment = WorkflowEvent.Action.IMPORT, f"From {path.name}"
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
                    action, comment = WorkflowEvent.Action.REIMPORT, f"From {path.name}"
                else:
                    answer.incoming_question, answer.incoming_text = item.question, item.answer
                    answer.save(update_fields=["incoming_question", "incoming_text", "updated_at"])
                    result.conflicting += 1
                    action = WorkflowEvent.Action.CONFLICT
                    comment = (
                        f"{path.name} changed this answer; the staff version is kept and "
                        "the new import waits beside it to be merged."
                    )
                reversion.add_meta(
                    WorkflowEvent,
                    answer=answer,
                    actor=user,
                    action=action,
                    from_status=answer.status,
                    to_status=answer.status,
                    comment=comment,
                )
                touched_ids.append(answer.pk)
        checks.refresh_flags(touched_ids)
    result.document = document
    return result


# A new document's answers are written in bulk (below); False takes the per-answer path
# for every file, which the tests compare the bulk path against.
BULK_NEW_DOCUMENTS = True


def create_answers(document: Document, items: list[ParsedAnswer], *, user, now) -> list[Answer]:
    """A new document's answers in bulk, with all the per-answer path writes for each.

    That is: its quality flags (and the duplicate flag of earlier copies), one version in
    one reversion revision for the file, and an import event tied to that revision.
    bulk_create sends no signals, so reversion records nothing by itself: the revision and
    its versions are written here, serialised as reversion serialises them.
    """
    prints = [checks.fingerprint(item.answer) for item in items]
    earlier = Counter(
        Answer.objects.active()
        .order_by()  # no join for the default order: only counted
        .filter(text_fingerprint__in={p for p in prints if p})
        .values_list("text_fingerprint", flat=True)
    )
    in_file = Counter(p for p in prints if p)
    answers = []
    for item, print_ in zip(items, prints, strict=True):
        flags = checks.evaluate(
            text=item.answer,
            source_count=0,
            is_duplicate=bool(print_) and earlier[print_] + in_file[print_] > 1,
        )
        answers.append(
            _new_answer(
                document,
                item,
                flags=" ".join(flag.code for flag in flags),
                flag_level=checks.level_of(flags),
                text_fingerprint=print_,
            )
        )
    Answer.objects.bulk_create(answers, batch_size=BULK_BATCH)
    revision = Revision.objects.create(
        date_created=now, user=user, comment=f"Imported from {document.name}"
    )
    Version.objects.bulk_create(
        versions_of(answers, repeat(revision, len(answers))), batch_size=BULK_BATCH
    )
    WorkflowEvent.objects.bulk_create(
        [
            WorkflowEvent(
                answer=answer,
                actor=user,
                action=WorkflowEvent.Action.IMPORT,
                from_status=Status.DRAFT,
                to_status=Status.DRAFT,
                comment=f"From {document.name}",
                revision=revision,
            )
            for answer in answers
        ],
        batch_size=BULK_BATCH,
    )
    # Earlier answers with a text this file repeats are duplicates now.
    checks.mark_duplicates({print_ for print_ in in_file if earlier[print_]})
    return answers


BULK_BATCH = 500


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
    # Files are committed a few at a time: each is still whole or not at all (its own
    # savepoint inside import_file), and a commit per file cost a sixth of the import.
    for group in batched(progress(files) if progress else files, FILES_PER_COMMIT):
        with transaction.atomic():
            for path in group:
                try:
                    summary.files.append(import_file(path, user=user))
                except ImportFileError as error:
                    summary.files.append(FileResult(path=str(path), error=str(error)))
                except Exception as error:  # noqa: BLE001 - one bad file must not stop the rest
                    # import_file's savepoint has rolled back whatever the file wrote.
                    reason = f"could not be imported ({type(error).__name__}: {error})"
                    summary.files.append(FileResult(path=str(path), error=f"{path}: {reason}"))
    return summary


FILES_PER_COMMIT = 20


def batched(items: Iterable[Path], size: int) -> Iterator[list[Path]]:
    """itertools.batched, which Python 3.11 lacks."""
    group: list[Path] = []
    for item in items:
        group.append(item)
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group
