"""Text to answers: decoding and the three formats, with no file system and no database.

Pure functions of the bytes or text they are given, so every way a file can be wrong is
found here, before a write opens a transaction, and can be tested without a database.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from editorial.importers.progress import REPORT_EVERY, Report
from editorial.importers.results import ImportFileError, ParsedAnswer

# "12. Question text" – the number, a dot or bracket, then text (trailing space is
# stripped after the match: a lazy pattern ending in \s*$ took quadratic time on a line
# of spaces). Up to nine digits: any count of questions, but never an absurd integer.
_NUMBERED_LINE = re.compile(r"^\s*(\d{1,9})[.)]\s+(\S.*)$")

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
    text: str, path: str | Path, warnings: list[str] | None = None, *, report: Report | None = None
) -> list[ParsedAnswer]:
    """Split `N. question` lines from the answer text that follows each.

    Answers carry numbered lists of their own, can start with "1." and can hold an item
    with the very number the next question will have. A numbered line is taken for the
    next question when it has the expected number and reads as a question (ends with
    "?"), or – for questions phrased without "?" – when it does not continue the answer's
    own list. But a line with the expected number that ends in "?" further on, before the
    question after it, is preferred: one ambiguous list item never shifts the rest of the
    file. A numbered line that ends the file without asking anything stays in the answer
    before it (a question with nothing after it would be an empty answer). Each place
    where a choice was made is added to `warnings` ("path:line: why"); `report` hears
    the answers found so far (progress).
    """
    lines = text.split("\n")
    if not text.strip():
        raise ImportFileError(path, 1, "the file is empty")
    warnings = [] if warnings is None else warnings
    if report is not None:
        report(0, f"{len(lines):,} lines to read")

    # Line numbers of the lines reading as question N, by N: the look-ahead below is a
    # binary search, so no file makes the parser slower than linear (times a log).
    numbered = [(_NUMBERED_LINE.match(line), line) for line in lines]
    if report is not None:
        report(0, f"{sum(1 for match, _ in numbered if match):,} numbered lines found")
    # A numbered line here that asks nothing has no answer after it: an item of the answer.
    last_text = max(number for number, line in enumerate(lines, start=1) if line.strip())
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
            if takes and current is not None and not reads_as_question and number == last_text:
                takes = False
                warnings.append(
                    f"{path}:{number}: {_quoted(line)} was read as part of answer {value - 1}, "
                    f"not as question {value}: it asks nothing and no answer follows it"
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
                if report is not None and len(items) % REPORT_EVERY == 0:
                    _found(report, len(items))
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
    text: str, path: str | Path, warnings: list[str] | None = None, *, report: Report | None = None
) -> list[ParsedAnswer]:
    """One object a line; blank lines are skipped, so a file may end with any number."""
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
        if report is not None and len(items) % REPORT_EVERY == 0:
            _found(report, len(items))
    if not items:
        raise ImportFileError(path, 1, "the file is empty")
    return items


def parse_csv(
    text: str, path: str | Path, warnings: list[str] | None = None, *, report: Report | None = None
) -> list[ParsedAnswer]:
    """Columns found by name, in any case and order: spreadsheets add and reorder them."""
    if not text.strip():
        raise ImportFileError(path, 1, "the file is empty")
    # strict: an unclosed quote is an error, not the rest of the file swallowed into one cell.
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    # The csv module's own cap on a cell (131,072 characters, for the whole process) would
    # refuse what the other formats take: every format has the one limit, MAX_FIELD_CHARS.
    if csv.field_size_limit() <= len(text):
        csv.field_size_limit(len(text) + 1)
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
            # A row short of the answer's cell has None there (DictReader's restval):
            # refused, as JSONL refuses an object without "answer"; an empty cell is "".
            question, answer = _checked_pair(
                normalised.get("question"), normalised.get("answer"), path, reader.line_num
            )
            items.append(ParsedAnswer(len(items) + 1, question, answer, reader.line_num))
            if report is not None and len(items) % REPORT_EVERY == 0:
                _found(report, len(items))
    except csv.Error as error:
        # DictReader counts lines only after a good row: the bad one starts on the next line.
        raise ImportFileError(path, reader.line_num + 1, f"invalid CSV: {error}") from None
    if not items:
        raise ImportFileError(path, 2, "no rows below the header")
    return items


def _found(report: Report, answers: int) -> None:
    report(answers, f"{answers:,} answers found")


# Each takes the text, the path for messages, a list to add warnings to and (keyword)
# who hears the answers found so far.
PARSERS: dict[str, Callable[..., list[ParsedAnswer]]] = {
    ".txt": parse_numbered_text,
    ".jsonl": parse_jsonl,
    ".csv": parse_csv,
}
# The suffixes a folder is searched for.
SUPPORTED_SUFFIXES = tuple(PARSERS)


# The longest question or answer a file may bring, in characters, whatever its format
# (settings.EDITORIAL_IMPORT_MAX_FIELD_CHARS, which prepare passes): about 15,000 words,
# far beyond any answer, and short of what makes every page showing it slow.
MAX_FIELD_CHARS = 100_000


def parse_content(
    path: Path,
    raw: bytes,
    warnings: list[str] | None = None,
    *,
    max_chars: int = MAX_FIELD_CHARS,
    report: Report | None = None,
) -> list[ParsedAnswer]:
    """The answers of a file's bytes; `path` names it (its suffix says the format);
    `report` hears the answers found so far."""
    items = parser_for(path)(decode(raw, path), path, warnings, report=report)
    check_sizes(items, path, max_chars)
    return items


def check_sizes(items: Iterable[ParsedAnswer], path: str | Path, max_chars: int) -> None:
    """Refuse the first question or answer longer than max_chars, by its line."""
    for item in items:
        for name, value in (("question", item.question), ("answer", item.answer)):
            if len(value) > max_chars:
                raise ImportFileError(
                    path,
                    item.line,
                    f"the {name} is {len(value):,} characters long; the limit is "
                    f"{max_chars:,} (EDITORIAL_IMPORT_MAX_FIELD_CHARS)",
                )


def parser_for(path: Path) -> Callable[..., list[ParsedAnswer]]:
    """The suffix decides the format; an unsupported file is refused before it is read."""
    parser = PARSERS.get(path.suffix.lower())
    if parser is None:
        raise ImportFileError(path, 1, f"unsupported file type {path.suffix or '(none)'}")
    return parser
