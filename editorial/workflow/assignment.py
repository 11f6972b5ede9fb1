"""Who works on an answer: its editor (claimed or assigned) and its reviewer (assigned by
hand or balanced: the least-loaded reviewer the rules allow)."""

from __future__ import annotations

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


def _reassign(
    answer: Answer, user, *, role: str, person, comment: str, action: str, label: str
) -> None:
    """Make `person` the answer's `role` (editor or reviewer): a step with its event."""
    previous = getattr(answer, role)
    setattr(answer, role, person)
    save_step(
        answer,
        user=user,
        action=action,
        from_status=answer.status,
        comment=f"{previous or 'nobody'} → {person}. {comment}".strip().rstrip("."),
        label=label,
    )


def assign_reviewer(
    answer: Answer,
    user,
    reviewer=None,
    comment: str = "",
    *,
    expected_version: int | None = None,
) -> Answer:
    """Assign by hand, or pick the least-loaded eligible reviewer when none is given."""
    with transaction.atomic():
        row = locked(answer, expected_version)
        guard_assign_reviewer(row, user, reviewer)
        chosen = reviewer or pick_reviewer(row)  # eligible by construction
        if chosen.pk == row.reviewer_id:
            return row
        _reassign(row, user, role="reviewer", person=chosen, comment=comment,
                  action=Action.ASSIGN, label="Reviewer assigned")  # fmt: skip
        notify.announce("assign_reviewer", [row], user=user, comment=comment)
    refresh_instance(answer, row)
    return row


def assign_editor(
    answer: Answer,
    user,
    editor=None,
    comment: str = "",
    *,
    expected_version: int | None = None,
) -> Answer:
    """A managing editor makes someone responsible; an editor may claim an unassigned answer."""
    with transaction.atomic():
        row = locked(answer, expected_version)
        guard_assign_editor(row, user, editor)
        if row.editor_id == editor.pk:
            return row
        _reassign(row, user, role="editor", person=editor, comment=comment,
                  action=Action.CLAIM, label="Editor assigned")  # fmt: skip
        notify.announce("assign_editor", [row], user=user, comment=comment)
    refresh_instance(answer, row)
    return row


def claim(answer: Answer, user, *, expected_version: int | None = None) -> Answer:
    """An editor makes an unassigned answer theirs."""
    return assign_editor(answer, user, user, expected_version=expected_version)
