"""The shapes the API answers with, for its OpenAPI document.

Records are written by the exporters (reading.py), not through these models: they
describe the jsonl export's record, which the API serves unchanged.
"""

from __future__ import annotations

from ninja import Field, Schema


class Source(Schema):
    url: str
    title: str
    publisher: str
    accessed: str = Field(description="The date the source was read, YYYY-MM-DD.")


class Claim(Schema):
    text: str = Field(description="A specific claim of the approved text.")
    source_url: str = Field(description="The source backing it; empty for common knowledge.")
    excerpt: str = Field(description="The quoted excerpt that supports it.")
    reason: str = Field(description="Why it is common knowledge; empty when sourced.")


class AnswerRecord(Schema):
    """An approved answer: exactly the jsonl export's record for it."""

    id: int
    document: str = Field(description="The document's file name.")
    subject: str = Field(description="The document's subject when the answer was approved.")
    position: int = Field(description="The question's number in its document.")
    question: str
    answer: str
    sources: list[Source]
    claims: list[Claim]
    approved_by: str = Field(description="The approving reviewer's username.")
    approved_at: str = Field(description="ISO 8601, UTC.")
    version: int = Field(description="The answer's version that was approved.")
    review_by: str | None = Field(description="Due for re-review after this date.")
    digitalSourceType: str = Field(description="IPTC digital source type of the text.")
    editors: list[str] = Field(description="Usernames whose edits are in the approved text.")
    correction: str = Field(description="What the editors said they corrected.")


class AnswerPage(Schema):
    answers: list[AnswerRecord]
    next: str | None = Field(description="Cursor of the next page; null on the last.")


class Tombstone(Schema):
    """An answer taken out of the export since the last sync (archived)."""

    id: int
    deleted_at: str | None = Field(description="When it was archived, ISO 8601.")
    reason: str


class SyncPage(Schema):
    answers: list[AnswerRecord] = Field(description="Answers approved or re-approved, as now.")
    deleted: list[Tombstone] = Field(description="Answers withdrawn from the export.")
    next_page: str | None = Field(description="Token of the next page of this sync.")
    next_sync_token: str | None = Field(
        description="On the last page: the token to ask later for what changed since."
    )


class DocumentItem(Schema):
    name: str = Field(description="The file name, which identifies the document.")
    title: str
    subject: str
    answers: int = Field(description="How many of its answers are approved and exported.")
    imported_at: str


class DocumentPage(Schema):
    documents: list[DocumentItem]
    next: str | None


class ApiError(Schema):
    """Every refusal: a short code and a sentence saying why."""

    error: str
    reason: str
