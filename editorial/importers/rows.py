"""The rows an import makes, unsaved, so the per-file and the bulk writer make the same ones."""

from __future__ import annotations

import datetime

from editorial.importers.prepare import PreparedFile
from editorial.importers.results import ParsedAnswer
from editorial.models import Answer, Document


def new_document(file: PreparedFile, *, user, now: datetime.datetime) -> Document:
    """A file's document: its name is the file's, its hash tells a re-import apart."""
    return Document(
        name=file.path.name,
        content_hash=file.content_hash,
        subject=file.subject,
        title=file.title,
        imported_at=now,
        imported_by=user,
    )


def new_answer(document: Document, item: ParsedAnswer, **derived) -> Answer:
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
