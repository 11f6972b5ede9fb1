"""One file written whole or not at all, and the re-import rules.

A file's name is its document. Importing it again never overwrites staff work:
- the identical file (same bytes) changes nothing;
- an answer as it was imported the last time is, for this file, the same answer;
- an untouched answer (still the imported text, a draft, no sources) takes the new text;
- an answer somebody worked on keeps the staff version, and the new import waits beside
  it (incoming_question, incoming_text) to be merged.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Literal

import reversion
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from editorial import flags
from editorial.importers.bulk import bulk_new_documents, create_documents
from editorial.importers.prepare import PreparedFile, prepare_file
from editorial.importers.results import FileResult, ParsedAnswer
from editorial.importers.rows import new_answer, new_document
from editorial.models import Answer, Document, Source, Status, WorkflowEvent
from editorial.storage import events

Action = WorkflowEvent.Action
# What a re-import did to an answer: the name of the FileResult count it adds to.
Outcome = Literal["created", "updated", "unchanged", "conflicting"]


def import_file(path: str | Path, *, user=None) -> FileResult:
    """Import one file atomically; raises ImportFileError and then saves nothing."""
    return write_file(prepare_file(path), user=user)


def write_file(prepared: PreparedFile, *, user=None) -> FileResult:
    """Write a prepared file in one transaction (a savepoint inside import_paths')."""
    path, items = prepared.path, prepared.items
    result = FileResult(path=str(path), warnings=prepared.warnings)
    now = timezone.now()

    with transaction.atomic():
        document = Document.objects.select_for_update().filter(name=path.name).first()
        if document is not None and is_identical(document, prepared):
            result.document = document
            result.unchanged = document.answers.count()
            return result

        if document is None and bulk_new_documents():
            return create_documents([prepared], user=user, now=now)[0]

        touched_ids: list[int] = []
        entries: list[events.Entry] = []
        with reversion.create_revision():
            reversion.set_user(user)
            reversion.set_comment(f"Imported from {path.name}")
            if document is None:
                document = new_document(prepared, user=user, now=now)
                document.save(force_insert=True)
            else:
                record_reimport(document, prepared, user=user, now=now)
            existing = locked_answers(document)
            for item in items:
                outcome, entry = write_answer(existing.get(item.position), item, document)
                setattr(result, outcome, getattr(result, outcome) + 1)
                if entry is not None:
                    entries.append(entry)
                    touched_ids.append(entry.answer_id)
            events.log(entries, actor=user)
        flags.refresh_flags(touched_ids)
    result.document = document
    return result


def is_identical(document: Document, prepared: PreparedFile) -> bool:
    """The same bytes as the last import: nothing to do, and no answer needs reading."""
    return document.content_hash == prepared.content_hash


def record_reimport(
    document: Document, prepared: PreparedFile, *, user, now: datetime.datetime
) -> None:
    """The document remembers its latest file, so importing that file again is a no-op."""
    document.content_hash, document.subject = prepared.content_hash, prepared.subject
    document.imported_at, document.imported_by = now, user
    document.save()


def locked_answers(document: Document) -> dict[int, Answer]:
    """The document's answers by position, locked and with their source counts.

    Locked: an editor's save or a workflow step racing the re-import waits for it, and
    the re-import decides "untouched" on rows nobody can change meanwhile.
    """
    existing = {answer.position: answer for answer in document.answers.select_for_update()}
    source_counts = dict(
        Source.objects.filter(answer__document=document)
        .values_list("answer")
        .annotate(n=Count("id"))
    )
    for answer in existing.values():
        answer.source_count = source_counts.get(answer.pk, 0)
    return existing


def write_answer(
    answer: Answer | None, item: ParsedAnswer, document: Document
) -> tuple[Outcome, events.Entry | None]:
    """Apply the rules to one answer: which FileResult count it adds to, and its event."""
    name = document.name
    if answer is None:
        answer = new_answer(document, item)
        answer.save()
        return "created", event(answer, Action.IMPORT, f"From {name}")
    if is_imported_already(answer, item):
        return "unchanged", None
    if is_untouched(answer):
        take_new_import(answer, item)
        return "updated", event(answer, Action.REIMPORT, f"From {name}")
    keep_beside(answer, item)
    return "conflicting", event(
        answer,
        Action.CONFLICT,
        f"{name} changed this answer; the staff version is kept and "
        "the new import waits beside it to be merged.",
    )


def is_imported_already(answer: Answer, item: ParsedAnswer) -> bool:
    """This text came in before: as the last import, or as the one waiting to be merged."""
    return (item.question, item.answer) in {
        (answer.imported_question, answer.imported_text),
        (answer.incoming_question, answer.incoming_text),
    }


def is_untouched(answer: Answer) -> bool:
    """Nobody has worked on it: still the imported text, still a draft, no sources.

    Expects `source_count` annotated, as locked_answers does.
    """
    return (
        answer.question == answer.imported_question
        and answer.text == answer.imported_text
        and answer.status == Status.DRAFT
        and not answer.has_import_conflict
        and answer.source_count == 0
    )


def take_new_import(answer: Answer, item: ParsedAnswer) -> None:
    """Nobody's work is lost: the new import becomes the text, as a new version."""
    answer.question = answer.imported_question = item.question
    answer.text = answer.imported_text = item.answer
    answer.version += 1
    answer.save(
        update_fields=["question", "imported_question", "text", "imported_text",
                       "version", "updated_at"]
    )  # fmt: skip


def keep_beside(answer: Answer, item: ParsedAnswer) -> None:
    """Staff work wins: the new import waits beside it for a person to merge."""
    answer.incoming_question, answer.incoming_text = item.question, item.answer
    answer.save(update_fields=["incoming_question", "incoming_text", "updated_at"])


def event(answer: Answer, action: str, comment: str) -> events.Entry:
    """An import changes no state: the event records the answer's status on both sides."""
    return events.Entry(answer.pk, action, answer.status, answer.status, comment)
