"""Who works on an answer: its editor (claimed or assigned) and its reviewer (assigned by
hand or balanced: the least-loaded reviewer the rules allow)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models import Count, Q

from editorial.models import Answer, WorkflowEvent
from editorial.workflow import facts, notify
from editorial.workflow.errors import WorkflowError
from editorial.workflow.guards import guard_assign_editor, guard_assign_reviewer
from editorial.workflow.permissions import reviewers
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
        save_step(
            row,
            user=user,
            action=_EVENT[role],
            from_status=row.status,
            comment=f"{previous or 'nobody'} → {person}. {comment}".strip().rstrip("."),
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


def claim(answer: Answer, user, *, expected_version: int | None = None) -> Answer:
    """An editor makes an unassigned answer theirs."""
    return assign_editor(answer, user, user, expected_version=expected_version)
