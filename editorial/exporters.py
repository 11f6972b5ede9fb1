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
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from itertools import groupby, islice
from operator import itemgetter
from typing import Any, BinaryIO
from urllib.parse import quote

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connections, transaction
from django.db.models import Func, QuerySet, TextField
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast

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
    "review_by",
    "digitalSourceType",
    "editors",
    "correction",
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
    with_provenance: bool = False,
) -> QuerySet:
    """Approved versions of answers not archived, in reading order: the one query of an export.

    The JSON columns come as the database's text where most rows hold little (claims are
    usually none), and provenance as the three values a record shows: a JSON column read
    whole is parsed in Python on every row, which cost a fifth of an export's time.
    """
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
        "approved_at_text",
        "version",
        "review_by",
        "source_type",
        "correction",
        "editors_json",
        "claims_json",
    ]
    if with_provenance:
        fields += ["provenance"]
    if with_import:
        fields += ["answer__imported_question", "answer__imported_text"]
    # (document name, position) is unique, so the order is total and the output stable.
    # Tuples, not dicts: a dict per row was a tenth of an export's time.
    queryset = queryset.annotate(
        approved_at_text=_UtcText("approved_at"),
        source_type=KeyTextTransform("digital_source_type", "provenance"),
        correction=KeyTextTransform("correction", "provenance"),
        editors_json=Cast(KeyTransform("editors", "provenance"), TextField()),
        claims_json=Cast("claims", TextField()),
    )
    return queryset.order_by("answer__document__name", "answer__position").values_list(*fields)


class _UtcText(Func):
    """A time in UTC as text, "2026-11-20 09:30:00[.ffffff]", made ISO 8601 by _utc_iso.

    Django's PostgreSQL timestamptz loader parses every time in Python: a sixth of an
    export's time. SQLite already keeps times as this text, in UTC.
    """

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra_context):
        raise NotImplementedError("Export times are read from SQLite or PostgreSQL only.")

    def as_sqlite(self, compiler, connection, **extra_context):
        # Cast, or the driver turns a column declared datetime back into a datetime.
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"CAST({sql} AS TEXT)", params

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"to_char({sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')", params


def _utc_iso(text: str) -> str:
    """datetime.isoformat() of the UTC time _UtcText read (tests/test_exporters.py checks)."""
    stamp, _, fraction = text.partition(".")
    stamp = stamp.replace(" ", "T")
    if fraction.strip("0"):
        return f"{stamp}.{fraction}+00:00"
    return f"{stamp}+00:00"


def _username_key() -> str:
    return f"approved_by__{get_user_model().USERNAME_FIELD}"


def _record(row: tuple) -> Record:
    """An export record from a row of approved_versions (its first fifteen columns)."""
    pk, document, subject, position, question, text, sources, approved_by, approved_at, version = (
        row[:10]
    )
    review_by, source_type, correction, editors, claims = row[10:15]
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
        "approved_at": _utc_iso(approved_at),
        "version": version,
        # How the text was made, pinned at approval (workflow.provenance).
        "review_by": review_by.isoformat() if review_by is not None else None,
        "digitalSourceType": source_type or "",
        "editors": _json_list(editors),
        "correction": correction or "",
        "claims": [
            {key: str(claim.get(key) or "") for key in CLAIM_FIELDS} for claim in _json_list(claims)
        ],
    }


def _json_list(text: str | None) -> list:
    """A JSON list read as text: most are empty, and need no parsing."""
    return json.loads(text) if text and text != "[]" else []


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


# What json.dumps writes a string with when ensure_ascii is off (the C function, if built).
_string = json.encoder.encode_basestring


def _objects_json(objects: list[dict[str, str]], keys: list[str]) -> str:
    """_dumps(objects) of a record's sources or claims, written directly: every object has
    the same string-valued keys, written here in sorted order."""
    keys = sorted(keys)
    return (
        "["
        + ", ".join(
            "{" + ", ".join(f'"{key}": {_string(item[key])}' for key in keys) + "}"
            for item in objects
        )
        + "]"
    )


def _record_json(record: Record) -> str:
    """_dumps(record) of an export record, the same characters, written directly.

    The keys are known, so they are written in sorted order as they are instead of
    json.dumps sorting a dict and walking it for every answer: this was half the
    time of a jsonl export. tests/test_exporters.py checks it against _dumps.
    """
    review_by = record["review_by"]
    return (
        f'{{"answer": {_string(record["answer"])}, '
        f'"approved_at": {_string(record["approved_at"])}, '
        f'"approved_by": {_string(record["approved_by"])}, '
        f'"claims": {_objects_json(record["claims"], CLAIM_FIELDS)}, '
        f'"correction": {_string(record["correction"])}, '
        f'"digitalSourceType": {_string(record["digitalSourceType"])}, '
        f'"document": {_string(record["document"])}, '
        f'"editors": [{", ".join(map(_string, record["editors"]))}], '
        f'"id": {int(record["id"])}, "position": {int(record["position"])}, '
        f'"question": {_string(record["question"])}, '
        f'"review_by": {"null" if review_by is None else _string(review_by)}, '
        f'"sources": {_objects_json(record["sources"], SOURCE_FIELDS)}, '
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
            "sources": _objects_json(record["sources"], SOURCE_FIELDS),
            "editors": _dumps(record["editors"]),
            "review_by": record["review_by"] or "",
            "claims": _objects_json(record["claims"], CLAIM_FIELDS),
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
        f"on {record['approved_at']}, version {record['version']}"
        + (f"; review by {record['review_by']}" if record["review_by"] else "")
        + ".*"
    )
    parts.append(_markdown_provenance(record))
    return "\n\n".join(part for part in parts if part) + "\n\n"


def _markdown_provenance(record: Record) -> str:
    """How the text was made, in words: the machine's words as written, or corrected."""
    if record["digitalSourceType"].endswith("/trainedAlgorithmicMedia"):
        made = "Machine-written text, its words approved unchanged"
    elif record["digitalSourceType"]:
        made = "Machine-written text, corrected by people"
    else:
        return ""
    if record["editors"]:
        made += "; worked on by " + ", ".join(map(markdown_inline, record["editors"]))
    lines = [f"{made}."]
    if record["correction"]:
        lines.append(f"Correction: {markdown_inline(record['correction'])}")
    return "  \n".join(lines)


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
            **_faq_provenance(record),
        },
    }


# schema.org's members of IPTCDigitalSourceEnumeration, by the IPTC term they stand for.
_SCHEMA_DIGITAL_SOURCE = {
    "trainedAlgorithmicMedia": "https://schema.org/TrainedAlgorithmicMediaDigitalSource",
    "compositeWithTrainedAlgorithmicMedia": (
        "https://schema.org/CompositeWithTrainedAlgorithmicMediaDigitalSource"
    ),
}


def _faq_provenance(record: Record) -> dict[str, Any]:
    """digitalSourceType, the editors as contributors and the correction note, in schema.org
    terms. The review-by date is left out: schema.org's `expires` would tell readers the
    answer is void, and it is not."""
    properties: dict[str, Any] = {}
    term = record["digitalSourceType"].rsplit("/", 1)[-1]
    if term in _SCHEMA_DIGITAL_SOURCE:
        properties["digitalSourceType"] = _SCHEMA_DIGITAL_SOURCE[term]
    if record["editors"]:
        properties["contributor"] = [
            {"@type": "Person", "name": name} for name in record["editors"]
        ]
    if record["correction"]:
        properties["correction"] = record["correction"]
    return properties


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


# --- prov: W3C PROV-O JSON-LD ----------------------------------------------------------

PROV_CONTEXT = {
    "prov": "http://www.w3.org/ns/prov#",
    "schema": "https://schema.org/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "editorial": "urn:editorial:vocab:",
}
# Roles in the editing activity: who corrected the machine text, who approved the result.
PROV_EDITOR_ROLE = "urn:editorial:role:editor"
PROV_APPROVER_ROLE = "urn:editorial:role:approver"
_IMPORTED_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def prov_agent(username: str) -> str:
    """A person's stable IRI in PROV: their username, which the approval records name too."""
    return "urn:editorial:user:" + quote(username, safe="")


def _prov_time(moment: str, datatype: str = "xsd:dateTime") -> dict[str, str]:
    return {"@type": datatype, "@value": moment}


def _prov_nodes(record: Record) -> list[dict[str, Any]]:
    """One answer in PROV-O: the imported machine text (an entity, by reference only: its
    words are the pairs format's), the editing-and-approval activity that used it, and
    the approved text it generated, a revision of the machine text attributed to the
    editors and the approver. Only approved content carries words here."""
    made = record["provenance"]
    answer_iri = f"urn:editorial:answer:{record['id']}"
    imported, approved = f"{answer_iri}:imported", f"{answer_iri}:v{record['version']}"
    activity = f"{approved}:editing"
    approver = prov_agent(record["approved_by"])
    editors = [prov_agent(name) for name in record["editors"]]
    agents = sorted({*editors, approver})
    imported_node: dict[str, Any] = {
        "@id": imported,
        "@type": "prov:Entity",
        "schema:digitalSourceType": {"@id": _IMPORTED_SOURCE_TYPE},
    }
    if made.get("imported_at"):
        imported_node["prov:generatedAtTime"] = _prov_time(made["imported_at"])
    associations = [
        {
            "@type": "prov:Association",
            "prov:agent": {"@id": agent, "@type": "prov:Person"},
            "prov:hadRole": {"@id": role},
        }
        for agent, role in [(editor, PROV_EDITOR_ROLE) for editor in editors]
        + [(approver, PROV_APPROVER_ROLE)]
    ]
    started = made.get("first_edit_at") or made.get("imported_at") or record["approved_at"]
    activity_node = {
        "@id": activity,
        "@type": "prov:Activity",
        "prov:used": {"@id": imported},
        "prov:startedAtTime": _prov_time(started),
        "prov:endedAtTime": _prov_time(record["approved_at"]),
        "prov:wasAssociatedWith": [{"@id": agent} for agent in agents],
        "prov:qualifiedAssociation": associations,
    }
    approved_node: dict[str, Any] = {
        "@id": approved,
        "@type": ["prov:Entity", "schema:Answer"],
        "schema:identifier": str(record["id"]),
        "schema:isPartOf": record["document"],
        "schema:position": record["position"],
        "schema:name": record["question"],
        "schema:text": record["answer"],
        "schema:version": record["version"],
        "schema:citation": [
            {"@type": "schema:WebPage", "schema:url": source["url"], "schema:name": source["title"]}
            for source in record["sources"]
        ],
        "schema:digitalSourceType": {"@id": record["digitalSourceType"]},
        "prov:wasRevisionOf": {"@id": imported},
        "prov:wasGeneratedBy": {"@id": activity},
        "prov:generatedAtTime": _prov_time(record["approved_at"]),
        "prov:wasAttributedTo": [{"@id": agent} for agent in agents],
    }
    if record["correction"]:
        approved_node["schema:correction"] = record["correction"]
    if record["review_by"]:
        approved_node["editorial:reviewBy"] = _prov_time(record["review_by"], "xsd:date")
    return [imported_node, activity_node, approved_node]


def write_prov(records: Iterable[Record]) -> Iterator[str]:
    """One JSON-LD document: the context, then a @graph of each answer's nodes, one a line,
    written as the records come (the graph is never held whole)."""
    yield f'{{"@context": {_dumps(PROV_CONTEXT)}, "@graph": ['
    separator = "\n"
    for record in records:
        for node in _prov_nodes(record):
            yield separator + _dumps(node)
            separator = ",\n"
    yield "]}\n" if separator == "\n" else "\n]}\n"


# --- formats and the export run ---------------------------------------------------------


@dataclass(frozen=True)
class ExportFormat:
    """How a format is named, served and written; `with_import` adds the machine text,
    `with_provenance` the times of import and edits (records' "provenance")."""

    name: str
    label: str
    content_type: str
    suffix: str
    write: Callable[[Iterable[Record]], Iterator[str]]
    with_import: bool = False
    with_provenance: bool = False


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
        ExportFormat(
            "prov",
            "PROV-O JSON-LD",
            "application/ld+json",
            ".prov.jsonld",
            write_prov,
            with_provenance=True,
        ),  # fmt: skip
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


_END = object()


@contextmanager
def read_ahead(rows: Iterator[tuple], *, chunk: int = CHUNK_SIZE) -> Iterator[Iterator[tuple]]:
    """The rows, read a chunk ahead on a thread while this thread writes the chunk before.

    An export's time was the database's time to produce its rows plus Python's to write
    them, one after the other (PostgreSQL: a fifth of it the server's). Read ahead, the
    two overlap: the database driver waits for the next rows without holding the GIL.
    The first row is read here, so the query runs on this thread's connection; the
    thread only goes on fetching from its cursor. Leaving the block early (a download
    cut short) stops the thread and closes the cursor before the connection is used again.
    """
    first = next(rows, _END)
    chunks: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def hand_over(item) -> bool:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def fetch() -> None:
        try:
            while not stop.is_set():
                batch = list(islice(rows, chunk))
                if not batch or not hand_over(batch):
                    break
            hand_over(_END)
        except BaseException as error:  # handed to the reading thread, raised there
            hand_over(error)
        finally:
            rows.close()

    def read() -> Iterator[tuple]:
        if first is _END:
            return
        yield first
        while (batch := chunks.get()) is not _END:
            if isinstance(batch, BaseException):
                raise batch
            yield from batch

    worker = threading.Thread(target=fetch, name="export-read-ahead", daemon=True)
    if first is not _END:
        worker.start()
    try:
        yield read()
    finally:
        stop.set()
        if worker.is_alive():
            worker.join()
        rows.close()


@contextmanager
def _small_sqlite_cache(using: str) -> Iterator[None]:
    """A 16 MiB page cache on this connection while an export reads.

    The export's sort of every approved answer holds up to the page cache in memory
    before spilling to temporary files. With the 64 MiB the settings give imports, an
    export's heap grew with the answers (86 → 195 MB from 10,000 to 200,000); with
    SQLite's default 2 MiB it stayed flat but spilled so often that 200,000 answers went
    out at 28,000/s; 16 MiB: 86 → 96 MB and 35,800/s.
    """
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute("PRAGMA cache_size = -16384")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


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
        query = approved_versions(
            answers=self.answers,
            documents=self.documents,
            with_import=self.format.with_import,
            with_provenance=self.format.with_provenance,
        )
        extra = 15
        # PostgreSQL: a server-side cursor opened outside a transaction is declared WITH
        # HOLD, and the server then writes out the whole result before the first row
        # leaves. Inside one, rows stream as they are read. (SQLite's transactions here
        # take the write lock, and a single SELECT already reads one snapshot.)
        vendor = connections[query.db].vendor
        streaming = (
            transaction.atomic(using=query.db, savepoint=False)
            if vendor == "postgresql"
            else _small_sqlite_cache(query.db)
            if vendor == "sqlite"
            else nullcontext()
        )
        with streaming, read_ahead(query.iterator(chunk_size=CHUNK_SIZE)) as rows:
            for row in rows:
                self.count += 1
                record = _record(row)
                if self.format.with_provenance:
                    record["provenance"] = row[extra]
                if self.format.with_import:
                    record["imported_question"], record["imported_answer"] = row[-2:]
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
