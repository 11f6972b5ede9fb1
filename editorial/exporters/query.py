"""The one query of an export, and the records its rows become.

Everything exported comes from ApprovedVersion, what a reviewer approved, never from an
answer's working fields: an answer edited after approval exports its approved text until
it is approved again (its latest approval, the one it names), and an answer never approved
is not exported. The machine text beside it (pairs) and the document's subject are the
ones the approval pinned too, so a re-import merged after approval changes no export; only
the answer's id, document name and position are read from the answer: they name it and
never change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, F, Func, OuterRef, Q, QuerySet, Subquery, TextField, When
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast

from editorial.models import Answer, ApprovedVersion, Document, Status, normalise_web_url

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

# The columns of approved_versions a record is made of; provenance or the import follow.
RECORD_COLUMNS = 15


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
    # Each answer's latest approval, the one it names (approvals are append-only).
    queryset = ApprovedVersion.objects.current().exclude(answer__status=Status.ARCHIVED)
    if answers is not None:
        # A slice (a page of answers: ordered, limited) is asked as it is; its order says
        # which answers are in it.
        ids = answers.values("pk") if answers.query.is_sliced else answers.order_by().values("pk")
        queryset = queryset.filter(answer__in=ids)
    if documents is not None:
        queryset = queryset.filter(answer__document__name__in=list(documents))
    fields = [
        "answer_id",
        "answer__document__name",
        "pinned_subject",
        "answer__position",
        "question",
        "text",
        "sources",
        "approver",
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
        fields += ["pinned_imported_question", "pinned_imported_text"]
    # (document name, position) is unique, so the order is total and the output stable.
    # Tuples, not dicts: a dict per row was a tenth of an export's time.
    queryset = queryset.annotate(
        approver=_approver(),
        approved_at_text=UtcText("approved_at"),
        source_type=KeyTextTransform("digital_source_type", "provenance"),
        correction=KeyTextTransform("correction", "provenance"),
        editors_json=Cast(KeyTransform("editors", "provenance"), TextField()),
        claims_json=Cast("claims", TextField()),
        **_pinned_or_live("document_subject", "imported_question", "imported_text"),
    )
    return queryset.order_by("answer__document__name", "answer__position").values_list(*fields)


# The live column read for an approval made before migration 0016 pinned these.
_LIVE = {
    "document_subject": "answer__document__subject",
    "imported_question": "answer__imported_question",
    "imported_text": "answer__imported_text",
}


def _pinned_or_live(*names: str) -> dict[str, Case]:
    """The approval's pinned value of each column, as "pinned_<name>" without "document_".

    Approvals made before migration 0016 pinned none of them (their imported question is
    NULL, as no approval made since can have it) and cannot be filled in: they are
    append-only and sealed in the history chain. For those alone the answer's and the
    document's current values are read, as every export did before; they differ from what
    was approved only where a re-import was merged since.
    """
    before_pins = Q(imported_question__isnull=True)
    return {
        "pinned_" + name.removeprefix("document_"): Case(
            When(before_pins, then=F(_LIVE[name])), default=F(name)
        )
        for name in names
    }


class UtcText(Func):
    """A time in UTC as text, "2026-11-20 09:30:00[.ffffff]", made ISO 8601 by utc_iso.

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


def utc_iso(text: str) -> str:
    """datetime.isoformat() of the UTC time UtcText read (tests/exporters/test_query.py checks)."""
    stamp, _, fraction = text.partition(".")
    stamp = stamp.replace(" ", "T")
    if fraction.strip("0"):
        return f"{stamp}.{fraction}+00:00"
    return f"{stamp}+00:00"


def _approver() -> Subquery:
    """The approver's username, looked up per row rather than joined.

    Joined, PostgreSQL takes the users table (a handful of rows, its statistics often
    older than its last few rows) as the outer side of a nested loop and reads the whole
    join again for each user: a sync page of 1,000 took four times as long with four users.
    Looked up, a row costs one index probe, and a whole export no more than the join did.
    """
    User = get_user_model()
    return Subquery(
        User._base_manager.filter(pk=OuterRef("approved_by_id")).values(User.USERNAME_FIELD)[:1]
    )


def record_of(row: tuple) -> Record:
    """An export record from a row of approved_versions (its first RECORD_COLUMNS columns)."""
    pk, document, subject, position, question, text, sources, approved_by, approved_at, version = (
        row[:10]
    )
    review_by, source_type, correction, editors, claims = row[10:RECORD_COLUMNS]
    return {
        "id": pk,
        "document": document,
        "subject": subject,
        "position": position,
        "question": question,
        "answer": text,
        "sources": [_source_of(source) for source in sources],
        "approved_by": approved_by,
        "approved_at": utc_iso(approved_at),
        "version": version,
        # How the text was made, pinned at approval (workflow.provenance).
        "review_by": review_by.isoformat() if review_by is not None else None,
        "digitalSourceType": source_type or "",
        "editors": _json_list(editors),
        "correction": correction or "",
        "claims": [_claim_of(claim) for claim in _json_list(claims)],
    }


# Links pinned before sources were normalised on entry (models.web_urls) may hold a raw
# quote or space; every format writes them as the valid URIs entry now makes of them.


def _source_of(pinned: dict) -> dict[str, str]:
    source = {key: str(pinned.get(key) or "") for key in SOURCE_FIELDS}
    source["url"] = normalise_web_url(source["url"])
    return source


def _claim_of(pinned: dict) -> dict[str, str]:
    claim = {key: str(pinned.get(key) or "") for key in CLAIM_FIELDS}
    claim["source_url"] = normalise_web_url(claim["source_url"])
    return claim


@dataclass(frozen=True)
class Names:
    """What people call the documents and people an export names by file and username."""

    titles: dict[str, str]
    people: dict[str, str]

    def person(self, username: str) -> str:
        return self.people.get(username, username)


def readable_names(documents: Iterable[str] | None = None) -> Names:
    """Every document's title (or just those named) and every person's full name, by the
    file name and username records carry: two queries, whatever the number of answers."""
    titled = Document.objects.all()
    if documents is not None:
        titled = titled.filter(name__in=list(documents))
    User = get_user_model()
    people = {
        user.get_username(): name
        for user in User.objects.only(User.USERNAME_FIELD, "first_name", "last_name")
        if (name := user.get_full_name())
    }
    # Only titles people gave: a document without one goes by the subject its approval
    # pinned (records' "subject"), so a re-import that detects another leaves exports as
    # they were.
    titles = dict(titled.exclude(title="").values_list("name", "title"))
    return Names(titles=titles, people=people)


def records(
    rows: Iterable[tuple],
    *,
    with_import: bool = False,
    with_provenance: bool = False,
    names: Names | None = None,
) -> Iterator[Record]:
    """The records of approved_versions' rows, asked for with the same with_* as the query.

    Provenance goes whole into "provenance" (the prov format reads its times); the import
    as "imported_question" and "imported_answer" (the pairs format); with names, what
    people read beside the machine fields: "title", "approved_by_name", "editor_names".
    """
    for row in rows:
        record = record_of(row)
        if names is not None:
            record["title"] = (
                names.titles.get(record["document"]) or record["subject"] or record["document"]
            )
            record["approved_by_name"] = names.person(record["approved_by"])
            record["editor_names"] = [names.person(editor) for editor in record["editors"]]
        if with_provenance:
            record["provenance"] = row[RECORD_COLUMNS]
        if with_import:
            record["imported_question"], record["imported_answer"] = row[-2:]
        yield record


def _json_list(text: str | None) -> list:
    """A JSON list read as text: most are empty, and need no parsing."""
    return json.loads(text) if text and text != "[]" else []
