"""Who works on an answer: its editor (claimed, assigned by hand or balanced) and its
reviewer (assigned by hand or balanced): balancing picks the least-loaded person the rules
allow, so a batch is spread instead of given to one."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models import Count, Q

from editorial.models import Answer, WorkflowEvent
from editorial.workflow import facts, notify
from editorial.workflow.errors import WorkflowError
from editorial.workflow.guards import (
    guard_assign_editor,
    guard_assign_reviewer,
    guard_balance_editor,
)
from editorial.workflow.permissions import display_name, editors, reviewers
from editorial.workflow.saving import locked, refresh_instance, save_step
from editorial.workflow.states import OPEN_STATES

Action = WorkflowEvent.Action


def eligible_reviewers(answer: Answer) -> list:
    """The reviewers the rules allow for this answer: what a reviewer choice may offer."""
    edited = facts.editors_since_approval(answer)
    return [
        reviewer
        for reviewer in reviewers().order_by("username")
        if not facts.barred_by_four_eyes(reviewer, edited)
    ]


def pick_reviewer(answer: Answer, *, exclude: set[int] = frozenset()):
    """The least-loaded reviewer who has not edited the answer.

    Load counts every answer assigned and not yet decided (draft, changes requested, in
    review), so balancing a batch of drafts spreads it instead of giving it all to one.
    """
    excluded = set(exclude) | facts.editors_since_approval(answer)
    if answer.editor_id:
        excluded.add(answer.editor_id)
    candidate = (
        reviewers()
        .exclude(pk__in=excluded)
        .annotate(
            open_assignments=Count(
                "reviewed_answers", filter=Q(reviewed_answers__status__in=OPEN_STATES)
            )
        )
        .order_by("open_assignments", "username")
        .first()
    )
    if candidate is None:
        raise WorkflowError("No reviewer is available who has not edited this answer.")
    return candidate


def _assign(
    step: str,
    answer: Answer,
    user,
    *,
    role: str,
    choose: Callable[[Answer], object],
    comment: str,
    expected_version: int | None,
) -> Answer:
    """Make the person `choose` names (after its guard) the answer's `role`, editor or
    reviewer: a step with its event, or nothing at all if they hold the role already."""
    with transaction.atomic():
        row = locked(answer, expected_version)
        person = choose(row)
        if getattr(row, f"{role}_id") == person.pk:
            return row
        previous = getattr(row, role)
        setattr(row, role, person)
        # Named as pages name people; the event's actor and the revision keep the account.
        was = display_name(previous, "none")
        said = f"{role.capitalize()}: {was} → {display_name(person)}. {comment}"
        save_step(
            row,
            user=user,
            action=_EVENT[role],
            from_status=row.status,
            comment=said.strip().rstrip("."),
            label=f"{role.capitalize()} assigned",
        )
    refresh_instance(answer, row)
    notify.announce(step, [row], user=user, comment=comment)
    return row


# The event an assignment logs: claiming and assigning an editor are one kind.
_EVENT = {"reviewer": Action.ASSIGN, "editor": Action.CLAIM}


def assign_reviewer(
    answer: Answer,
    user,
    reviewer=None,
    comment: str = "",
    *,
    expected_version: int | None = None,
) -> Answer:
    """Assign by hand, or pick the least-loaded eligible reviewer when none is given."""

    def choose(row: Answer):
        guard_assign_reviewer(row, user, reviewer)
        return reviewer or pick_reviewer(row)  # eligible by construction

    return _assign("assign_reviewer", answer, user, role="reviewer", choose=choose,
                   comment=comment, expected_version=expected_version)  # fmt: skip


def assign_editor(
    answer: Answer,
    user,
    editor=None,
    comment: str = "",
    *,
    expected_version: int | None = None,
) -> Answer:
    """A managing editor makes someone responsible; an editor may claim an unassigned answer."""

    if editor is None:
        raise WorkflowError("Choose an editor.")

    def choose(row: Answer):
        guard_assign_editor(row, user, editor)
        return editor

    return _assign("assign_editor", answer, user, role="editor", choose=choose,
                   comment=comment, expected_version=expected_version)  # fmt: skip


def pick_editor(answer: Answer):
    """The least-loaded active editor for this answer; its present editor while no one
    carries less, so balancing twice moves nothing.

    Load counts the answers each editor holds that are still being worked on (draft,
    changes requested, in review), this one left out. The answer's reviewer is never
    picked: whoever edits an answer may not review it (four-eyes).
    """
    candidates = list(
        editors()
        .exclude(pk=answer.reviewer_id or 0)
        .annotate(
            open_answers=Count(
                "edited_answers",
                filter=Q(edited_answers__status__in=OPEN_STATES) & ~Q(edited_answers__pk=answer.pk),
            )
        )
        .order_by("open_answers", "username")
    )
    if not candidates:
        raise WorkflowError("No editor is available for this answer.")
    least = candidates[0].open_answers
    present = [c for c in candidates if c.pk == answer.editor_id and c.open_answers == least]
    return present[0] if present else candidates[0]


def balance_editor(
    answer: Answer, user, comment: str = "", *, expected_version: int | None = None
) -> Answer:
    """A managing editor hands the answer to the least-loaded editor (pick_editor)."""

    def choose(row: Answer):
        guard_balance_editor(row, user)
        return pick_editor(row)

    return _assign("balance_editor", answer, user, role="editor", choose=choose,
                   comment=comment, expected_version=expected_version)  # fmt: skip


def claim(answer: Answer, user, *, expected_version: int | None = None) -> Answer:
    """An editor makes an unassigned answer theirs."""
    return assign_editor(answer, user, user, expected_version=expected_version)
