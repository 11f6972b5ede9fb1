"""Export approved content: one streamed query of approved versions, one writer per format.

Everything exported comes from ApprovedVersion, what a reviewer approved, never from an
answer's working fields: an answer edited after approval exports its approved text until
it is approved again, and an answer never approved is not exported. Output is
deterministic (sorted keys, a fixed order, no "now" inside) and streamed, so memory stays
flat in the number of answers. Every finished export is recorded with the hash of its bytes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC
from itertools import groupby
from operator import itemgetter
from typing import Any, BinaryIO
from urllib.parse import quote

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet

from editorial.diffs import words_changed
from editorial.models import Answer, ApprovedVersion, Document, ExportRecord, Status

CHUNK_SIZE = 2000  # rows per database fetch: a few MB of text at most
BUFFER_CHARS = 64 * 1024  # text gathered before a chunk of bytes is handed on

Record = dict[str, Any]

FIELDS = [
    "id",
    "document",
    "subject",
    "position",
    "question",
    "answer",
    "sources",
    "claims",
    "approved_by",
    "approved_at",
    "version",
]
SOURCE_FIELDS = ["url", "title", "publisher", "accessed"]
# A claim of the approved text with its evidence: the source's URL and the quoted excerpt,
# or (common knowledge) the editor's reason and no source.
CLAIM_FIELDS = ["text", "source_url", "excerpt", "reason"]


class ExportError(Exception):
    """An export cannot run as asked; the message says why."""


# --- the one query ----------------------------------------------------------------------


def approved_versions(
    *,
    answers: QuerySet[Answer] | None = None,
    documents: Iterable[str] | None = None,
    with_import: bool = False,
) -> QuerySet:
    """Approved versions of answers not archived, in reading order: the one query of an export."""
    queryset = ApprovedVersion.objects.exclude(answer__status=Status.ARCHIVED)
    if answers is not None:
        queryset = queryset.filter(answer__in=answers.order_by().values("pk"))
    if documents is not None:
        queryset = queryset.filter(answer__document__name__in=list(documents))
    fields = [
        "answer_id",
        "answer__document__name",
        "answer__document__subject",
        "answer__position",
        "question",
        "text",
        "sources",
        _username_key(),
        "approved_at",
        "version",
        "claims",
    ]
    if with_import:
        fields += ["answer__imported_question", "answer__imported_text"]
    # (document name, position) is unique, so the order is total and the output stable.
    # Tuples, not dicts: a dict per row was a tenth of an export's time.
    return queryset.order_by("answer__document__name", "answer__position").values_list(*fields)


def _username_key() -> str:
    return f"approved_by__{get_user_model().USERNAME_FIELD}"


def _record(row: tuple) -> Record:
    """An export record from a row of approved_versions (its first eleven columns)."""
    pk, document, subject, position, question, text, sources, approved_by, approved_at, version = (
        row[:10]
    )
    return {
        "id": pk,
        "document": document,
        "subject": subject,
        "position": position,
        "question": question,
        "answer": text,
        "sources": [
            {key: str(source.get(key) or "") for key in SOURCE_FIELDS} for source in sources
        ],
        "approved_by": approved_by,
        "approved_at": approved_at.astimezone(UTC).isoformat(),
        "version": version,
        "claims": [{key: str(claim.get(key) or "") for key in CLAIM_FIELDS} for claim in row[10]],
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


# What json.dumps writes a string with when ensure_ascii is off (the C function, if built).
_string = json.encoder.encode_basestring


def _sources_json(sources: list[dict[str, str]]) -> str:
    """_dumps(sources) of a record's sources, written directly: keys known, in sorted order."""
    return (
        "["
        + ", ".join(
            f'{{"accessed": {_string(source["accessed"])}, '
            f'"publisher": {_string(source["publisher"])}, '
            f'"title": {_string(source["title"])}, "url": {_string(source["url"])}}}'
            for source in sources
        )
        + "]"
    )


def _claims_json(claims: list[dict[str, str]]) -> str:
    """_dumps(claims) of a record's claims, written directly as _sources_json is."""
    return (
        "["
        + ", ".join(
            f'{{"excerpt": {_string(claim["excerpt"])}, "reason": {_string(claim["reason"])}, '
            f'"source_url": {_string(claim["source_url"])}, "text": {_string(claim["text"])}}}'
            for claim in claims
        )
        + "]"
    )


def _record_json(record: Record) -> str:
    """_dumps(record) of an export record, the same characters, written directly.

    The keys are known, so they are written in sorted order as they are instead of
    json.dumps sorting a dict and walking it for every answer: this was half the
    time of a jsonl export. tests/test_exporters.py checks it against _dumps.
    """
    return (
        f'{{"answer": {_string(record["answer"])}, '
        f'"approved_at": {_string(record["approved_at"])}, '
        f'"approved_by": {_string(record["approved_by"])}, '
        f'"claims": {_claims_json(record["claims"])}, '
        f'"document": {_string(record["document"])}, '
        f'"id": {int(record["id"])}, "position": {int(record["position"])}, '
        f'"question": {_string(record["question"])}, '
        f'"sources": {_sources_json(record["sources"])}, '
        f'"subject": {_string(record["subject"])}, "version": {int(record["version"])}}}'
    )


# --- json, jsonl ------------------------------------------------------------------------


def write_json(records: Iterable[Record]) -> Iterator[str]:
    """A JSON array, one record a line, written as the records come."""
    separator = "[\n"
    for record in records:
        yield separator + _record_json(record)
        separator = ",\n"
    yield "[]\n" if separator == "[\n" else "\n]\n"


def write_jsonl(records: Iterable[Record]) -> Iterator[str]:
    """One JSON object a line, for tools that read a record at a time."""
    for record in records:
        yield _record_json(record) + "\n"


# --- csv --------------------------------------------------------------------------------

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection);
# the full-width forms are included because some spreadsheets normalise them.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def neutralise_cell(value: Any) -> Any:
    """Prefix a quote to text a spreadsheet would run as a formula, so it shows as text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class _Line:
    """A file-like object for csv.writer that hands back what it is given."""

    def write(self, value: str) -> str:
        return value


def write_csv(records: Iterable[Record]) -> Iterator[str]:
    """A header and one row per answer; sources and claims are a JSON list in a cell each."""
    writer = csv.writer(_Line())
    yield writer.writerow(FIELDS)
    for record in records:
        row = {
            **record,
            "sources": _sources_json(record["sources"]),
            "claims": _claims_json(record["claims"]),
        }
        yield writer.writerow([neutralise_cell(row[field]) for field in FIELDS])


# --- markdown ---------------------------------------------------------------------------

# Inline syntax a Markdown reader would act on: emphasis, code, links, headings, tables,
# strikethrough, raw HTML and entities. Entities rather than backslashes for <, > and &
# because every Markdown dialect decodes entities, not all honour those escapes.
_MD_INLINE = str.maketrans(
    {
        "\\": "\\\\",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "#": "\\#",
        "~": "\\~",
        "|": "\\|",
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
    }
)
# At the start of a line these begin a list, a setext heading underline or a break.
_MD_LINE_START = re.compile(r"^(?:([-+=])|(\d+)([.)]))")
_URL_SAFE = "/:?#[]@!$&'*+,;=%~-._"  # everything else in a link target is %-encoded


def markdown_inline(text: str) -> str:
    """Text shown as written by a Markdown reader, on one line."""
    return " ".join(text.split()).translate(_MD_INLINE)


def markdown_block(text: str) -> str:
    """Text shown as written, its line breaks and paragraphs kept."""
    paragraphs: list[list[str]] = [[]]
    for raw in text.splitlines():
        # Leading spaces would make an indented code block; the words are what matter.
        line = raw.strip().translate(_MD_INLINE)
        if not line:
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        line = _MD_LINE_START.sub(
            lambda m: "\\" + m[1] if m[1] else m[2] + "\\" + m[3], line, count=1
        )
        paragraphs[-1].append(line)
    # Two trailing spaces: a hard line break in every Markdown dialect.
    return "\n\n".join("  \n".join(lines) for lines in paragraphs if lines)


def _markdown_source(number: int, source: dict[str, str]) -> str:
    title = markdown_inline(source["title"] or source["url"])
    url = source["url"]
    if url.lower().startswith(("http://", "https://")):
        title = f"[{title}]({quote(url, safe=_URL_SAFE)})"
    details = [title]
    if source["publisher"]:
        details.append(markdown_inline(source["publisher"]))
    if source["accessed"]:
        details.append(f"accessed {markdown_inline(source['accessed'])}")
    return f"{number}. " + ", ".join(details)


def _markdown_claim(claim: dict[str, str]) -> str:
    text = markdown_inline(claim["text"])
    if claim["source_url"]:
        excerpt = markdown_inline(claim["excerpt"])
        return f"- {text}: {markdown_inline(claim['source_url'])}, “{excerpt}”"
    return f"- {text}: common knowledge, {markdown_inline(claim['reason'])}"


def _markdown_answer(record: Record) -> str:
    parts = [
        f"## {record['position']}. {markdown_inline(record['question'])}",
        markdown_block(record["answer"]),
    ]
    if record["sources"]:
        parts.append("Sources:")
        parts.append(
            "\n".join(
                _markdown_source(number, source)
                for number, source in enumerate(record["sources"], start=1)
            )
        )
    if record["claims"]:
        parts.append("Claims and their evidence:")
        parts.append("\n".join(_markdown_claim(claim) for claim in record["claims"]))
    parts.append(
        f"*Approved by {markdown_inline(record['approved_by'])} "
        f"on {record['approved_at']}, version {record['version']}.*"
    )
    return "\n\n".join(part for part in parts if part) + "\n\n"


def write_markdown(records: Iterable[Record]) -> Iterator[str]:
    """A readable document per subject: questions as headings, sources as a numbered list."""
    for document, answers in groupby(records, key=itemgetter("document")):
        for index, record in enumerate(answers):
            if index == 0:
                yield f"# {markdown_inline(record['subject'] or document)}\n\n"
                yield f"Document: {markdown_inline(document)}\n\n"
            yield _markdown_answer(record)


# --- faq: schema.org FAQPage JSON-LD ----------------------------------------------------

# Inside <script type="application/ld+json"> a "</script>" or "<!--" in a string would end
# or confuse the block; \uXXXX escapes read the same to a JSON parser.
_LD_ESCAPES = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


def _ld_dumps(value: Any) -> str:
    return _dumps(value).translate(_LD_ESCAPES)


def _faq_question(record: Record) -> dict[str, Any]:
    citations = []
    for source in record["sources"]:
        citation: dict[str, Any] = {"@type": "WebPage", "url": source["url"]}
        if source["title"]:
            citation["name"] = source["title"]
        if source["publisher"]:
            citation["publisher"] = {"@type": "Organization", "name": source["publisher"]}
        if source["accessed"]:
            citation["lastReviewed"] = source["accessed"]  # when our editor checked it
        citations.append(citation)
    return {
        "@type": "Question",
        "identifier": str(record["id"]),
        "position": record["position"],
        "name": record["question"],
        "acceptedAnswer": {
            "@type": "Answer",
            "text": record["answer"],
            "citation": citations,
            "editor": {"@type": "Person", "name": record["approved_by"]},
            "dateModified": record["approved_at"],
            "version": record["version"],
        },
    }


def write_faq(records: Iterable[Record]) -> Iterator[str]:
    """A JSON array of FAQPage objects, one per document, each ready for a script block."""
    separator = "[\n"
    for document, answers in groupby(records, key=itemgetter("document")):
        # Written piece by piece in sorted-key order so a large document streams too.
        yield (
            f'{separator}{{"@context": "https://schema.org", "@type": "FAQPage", '
            f'"identifier": {_ld_dumps(document)}, "mainEntity": ['
        )
        subject = ""
        for index, record in enumerate(answers):
            yield (", " if index else "") + _ld_dumps(_faq_question(record))
            subject = record["subject"]
        yield f'], "name": {_ld_dumps(subject or document)}}}'
        separator = ",\n"
    yield "[]\n" if separator == "[\n" else "\n]\n"


# --- pairs: machine text beside approved text -------------------------------------------


def write_pairs(records: Iterable[Record]) -> Iterator[str]:
    """JSONL of the imported machine text beside the approved text, for model evaluation."""
    for record in records:
        pair = {
            **record,
            "question_words_changed": words_changed(
                record["imported_question"], record["question"]
            ),
            "answer_words_changed": words_changed(record["imported_answer"], record["answer"]),
        }
        yield _dumps(pair) + "\n"


# --- formats and the export run ---------------------------------------------------------


@dataclass(frozen=True)
class ExportFormat:
    """How a format is named, served and written; `with_import` adds the machine text."""

    name: str
    label: str
    content_type: str
    suffix: str
    write: Callable[[Iterable[Record]], Iterator[str]]
    with_import: bool = False


FORMATS: dict[str, ExportFormat] = {
    export_format.name: export_format
    for export_format in (
        ExportFormat("json", "JSON", "application/json", ".json", write_json),
        ExportFormat("jsonl", "JSONL", "application/x-ndjson", ".jsonl", write_jsonl),
        ExportFormat("csv", "CSV", "text/csv; charset=utf-8", ".csv", write_csv),
        ExportFormat("md", "Markdown", "text/markdown; charset=utf-8", ".md", write_markdown),
        ExportFormat("faq", "FAQ JSON-LD", "application/ld+json", ".faq.jsonld", write_faq),
        ExportFormat(
            "pairs", "Pairs JSONL", "application/x-ndjson", ".pairs.jsonl", write_pairs, True
        ),
    )
}


def _encoded(pieces: Iterable[str]) -> Iterator[bytes]:
    """UTF-8 chunks of about BUFFER_CHARS, each ending on a whole piece of text."""
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= BUFFER_CHARS:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


class Export:
    """One export: streams the bytes, then records who took what and the hash of exactly that."""

    def __init__(
        self,
        format_name: str,
        *,
        user: AbstractBaseUser | None = None,
        channel: str,
        answers: QuerySet[Answer] | None = None,
        documents: Iterable[str] | None = None,
        filters: dict[str, Any] | None = None,
    ) -> None:
        if format_name not in FORMATS:
            raise ExportError(
                f"Unknown format {format_name!r}; choose one of {', '.join(FORMATS)}."
            )
        self.format = FORMATS[format_name]
        self.user = user
        self.channel = channel
        self.answers = answers
        self.documents = None if documents is None else sorted(set(documents))
        if self.documents is not None:
            known = set(
                Document.objects.filter(name__in=self.documents).values_list("name", flat=True)
            )
            if unknown := [name for name in self.documents if name not in known]:
                raise ExportError(f"No document named {', '.join(map(repr, unknown))}.")
        if filters is None:
            filters = {"documents": self.documents} if self.documents is not None else {}
        self.filters = filters
        self.count = 0
        self.sha256 = ""
        self.record: ExportRecord | None = None

    def _records(self) -> Iterator[Record]:
        rows = approved_versions(
            answers=self.answers, documents=self.documents, with_import=self.format.with_import
        ).iterator(chunk_size=CHUNK_SIZE)
        for row in rows:
            self.count += 1
            record = _record(row)
            if self.format.with_import:
                record["imported_question"], record["imported_answer"] = row[11:13]
            yield record

    def stream(self) -> Iterator[bytes]:
        """The export's bytes; the ExportRecord is written once the last chunk is out."""
        digest = hashlib.sha256()
        for chunk in _encoded(self.format.write(self._records())):
            digest.update(chunk)
            yield chunk
        # Only a complete export is recorded: its hash then proves what was handed out.
        self.sha256 = digest.hexdigest()
        self.record = ExportRecord.objects.create(
            created_by=self.user,
            format=self.format.name,
            filters=self.filters,
            answer_count=self.count,
            sha256=self.sha256,
            channel=self.channel,
        )

    def write_to(self, out: BinaryIO) -> None:
        """Write the whole export to a binary file; count, hash and record are set after."""
        for chunk in self.stream():
            out.write(chunk)
