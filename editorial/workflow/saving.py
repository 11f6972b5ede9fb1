"""How a step or an edit writes: the row locked, the version compared and set, one revision
carrying the user and comment, and its event, through the one event writer.

Two people acting at once cannot both win: every write re-reads the answer under a row
lock (SQLite serialises writers instead), refuses a page that showed another version, and
raises the version with a compare-and-set in the database.
"""

from __future__ import annotations

import reversion
from django.db.models import F

from editorial.models import Answer, Status
from editorial.storage import events
from editorial.workflow.errors import StaleVersionError


def locked(answer: Answer, expected_version: int | None = None) -> Answer:
    """Re-read the row under a lock so two people acting at once cannot both win.

    With expected_version (what the person's page showed), a step taken from a stale page
    is refused: nobody acts on content they did not see.
    """
    # Only the answer's row: the document is read for its name, and locking it too made
    # two people's steps on answers of one document wait for each other.
    row = (
        Answer.objects.select_for_update(of=("self",)).select_related("document").get(pk=answer.pk)
    )
    check_version(row, expected_version)
    return row


def check_version(
    answer: Answer, expected_version: int | None, expected_status: str | None = None
) -> None:
    """Refuse a write from a page that showed another version (or state) than the stored one.

    The state matters to a content save: saving an answer approved meanwhile would send it
    back to draft, a consequence the person never saw on their page.
    """
    if expected_version is not None and answer.version != expected_version:
        raise StaleVersionError(loaded=expected_version, current=answer.version)
    if expected_status and answer.status != expected_status:
        now, then = answer.get_status_display().lower(), Status(expected_status).label.lower()
        raise StaleVersionError(
            loaded=answer.version,
            current=answer.version,
            message=f"The answer became {now} while you had this page open (it showed "
            f"{then}); nothing was saved. Save again to apply your text to it as it is now.",
        )


def bump_version(answer: Answer) -> None:
    """Compare-and-set in the database: exactly one increment per landed content change."""
    bumped = Answer.objects.filter(pk=answer.pk, version=answer.version).update(
        version=F("version") + 1
    )
    if bumped != 1:
        current = Answer.objects.values_list("version", flat=True).get(pk=answer.pk)
        raise StaleVersionError(loaded=answer.version, current=current)
    answer.version += 1


def own_revision() -> None:
    """A step's revision carries its own comment and event; it must not merge into another."""
    if reversion.is_active():
        raise RuntimeError("Workflow steps make their own revision; call them outside one.")


# What a step may write: never the content, so a step cannot undo a content save.
STEP_FIELDS = [
    "status", "status_before_archive", "editor", "reviewer",
    "imported_question", "imported_text", "incoming_question", "incoming_text", "updated_at",
]  # fmt: skip


def save_step(
    answer: Answer, *, user, action: str, from_status: str, comment: str, label: str
) -> None:
    """Save what a step changed, in a revision of its own with its event."""
    own_revision()
    with reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment(f"{label}: {comment}" if comment else label)
        answer.save(update_fields=STEP_FIELDS)
        events.log(
            [events.Entry(answer.pk, action, from_status, answer.status, comment)], actor=user
        )


def refresh_instance(answer: Answer, fresh: Answer) -> None:
    """Keep the caller's object in step with the row, as a save would."""
    if answer is not fresh:
        answer.refresh_from_db()
