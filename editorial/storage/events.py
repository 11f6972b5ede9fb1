"""The one writer of the event log, as Wagtail's `log()`.

Every entry, from a workflow step, an edit, an import or a bulk approval, is appended
here, so there is one answer to what an event holds and when it is written. The log is
permanent (storage.history): entries are only ever added.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import reversion
from django.db import router
from django.utils import timezone

from editorial.models import WorkflowEvent
from editorial.storage import chain
from editorial.storage.bulk import insert_copies, numbered


@dataclass(frozen=True)
class Entry:
    """One event to append: what happened to which answer, from which state to which."""

    answer_id: int
    action: str
    from_status: str
    to_status: str
    comment: str = ""


def log(
    entries: Iterable[Entry],
    *,
    actor,
    revisions: Iterable[int] | None = None,
    at: datetime | None = None,
) -> None:
    """Append these entries, done by `actor` (None: the system, as a command's import).

    Without `revisions`, each entry joins the reversion revision being made and is written
    with it, tied to it, when it is saved: an event and its version land together or not at
    all. With `revisions` (ids, paired with the entries in order) the revisions exist
    already, as in a bulk write, and the entries are written now in one statement, at `at`.
    """
    if revisions is None:
        if not reversion.is_active():
            raise RuntimeError("An event without its revision is logged inside one.")
        for entry in entries:
            reversion.add_meta(
                WorkflowEvent,
                answer_id=entry.answer_id,
                actor=actor,
                action=entry.action,
                from_status=entry.from_status,
                to_status=entry.to_status,
                comment=entry.comment,
            )
        return
    template = WorkflowEvent(actor=actor, created_at=at or timezone.now())
    varying = ("answer", "revision", "action", "from_status", "to_status", "comment")
    rows = [
        (entry.answer_id, revision, entry.action, entry.from_status, entry.to_status,
         entry.comment)
        for entry, revision in zip(entries, revisions, strict=True)
    ]  # fmt: skip
    varying, rows = numbered(WorkflowEvent, varying, rows)
    insert_copies(template, varying, rows)
    # Hashed for the history chain as written, sealed with their revisions at commit.
    chain.note_copies(template, varying, rows, router.db_for_write(WorkflowEvent))
