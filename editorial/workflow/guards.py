"""Refusals with reasons: each guard raises WorkflowError saying why a rule forbids a step,
and changes nothing.

The state a step leaves from is checked before its guard (transitions.check), from the
table; a guard checks the people and the content.
"""

from __future__ import annotations

from collections.abc import Mapping

from editorial.models import Answer, ClaimEvidence, Status
from editorial.workflow import facts
from editorial.workflow.errors import WorkflowError
from editorial.workflow.permissions import (
    can_archive,
    can_assign,
    decides_on,
    display_name,
    is_editor,
    is_responsible_editor,
    is_reviewer,
    may_assign_reviewer,
)
from editorial.workflow.states import EDITABLE_STATES, OPEN_STATES


def check_can_edit(answer: Answer, user) -> None:
    """Content changes only in an editable state, by the answer's editor."""
    if not is_editor(user):
        raise WorkflowError("Only editors can change questions, answers and sources.")
    if answer.status == Status.IN_REVIEW:
        raise WorkflowError(
            "The answer is in review and read-only; withdraw it to draft to edit it."
        )
    if answer.status not in EDITABLE_STATES:
        raise WorkflowError("The answer is archived; restore it to edit it.")
    if not is_responsible_editor(answer, user):
        raise WorkflowError(
            f"{display_name(answer.editor)} is the editor of this answer; ask a managing editor "
            "to reassign it."
        )


def can_edit(answer: Answer, user) -> bool:
    try:
        check_can_edit(answer, user)
    except WorkflowError:
        return False
    return True


def check_reviewer_eligible(answer: Answer, reviewer, edited: set[int] | None = None) -> None:
    """A reviewer must hold the role and must not have edited the text (four-eyes)."""
    if not is_reviewer(reviewer):
        raise WorkflowError(f"{display_name(reviewer)} is not a reviewer.")
    edited = facts.editors_since_approval(answer) if edited is None else edited
    if facts.barred_by_four_eyes(reviewer, edited):
        raise WorkflowError(
            f"{display_name(reviewer)} edited this answer since its last approval and cannot "
            "review it."
        )


def guard_submit(answer: Answer, user, reviewer=None, *, check_content: bool = True) -> None:
    if not is_responsible_editor(answer, user):
        raise WorkflowError("Only the answer's editor can submit it for review.")
    # A reviewer must never receive work that approval would refuse.
    reasons = facts.blocking_reasons(answer) if check_content else []
    if reasons:
        raise WorkflowError("Fix this before submitting: " + "; ".join(reasons) + ".")
    if reviewer is not None:
        check_reviewer_eligible(answer, reviewer)


def guard_withdraw(answer: Answer, user) -> None:
    if not is_responsible_editor(answer, user):
        raise WorkflowError("Only the answer's editor can withdraw it from review.")


def guard_review(answer: Answer, user) -> None:
    """Deciding is the assigned reviewer's part, or an "approve any" holder's."""
    if decides_on(answer.reviewer_id, user):
        return
    if not is_reviewer(user):
        raise WorkflowError("Only reviewers can approve or request changes.")
    raise WorkflowError(
        f"This answer is assigned to {display_name(answer.reviewer, 'no reviewer')}; "
        "only the assigned reviewer can decide on it."
    )


def guard_approve(
    answer: Answer,
    user,
    *,
    edited: set[int] | None = None,
    has_source: bool | None = None,
    evidence: Mapping[str, ClaimEvidence] | None = None,
) -> None:
    """The approval rules; a bulk approval passes the facts it read for many answers at once
    (who edited since the last approval, whether there is a source, the claim evidence)."""
    guard_review(answer, user)
    edited = facts.editors_since_approval(answer) if edited is None else edited
    if facts.barred_by_four_eyes(user, edited):
        raise WorkflowError(
            "You edited this answer since its last approval; another reviewer must approve it."
        )
    reasons = facts.blocking_reasons(answer, has_source=has_source, evidence=evidence)
    if reasons:
        raise WorkflowError("The answer cannot be approved: " + "; ".join(reasons) + ".")


def guard_archive(answer: Answer, user) -> None:
    if not can_archive(user):
        raise WorkflowError("Only managing editors can archive answers.")


def guard_restore(answer: Answer, user) -> None:
    if not can_archive(user):
        raise WorkflowError("Only managing editors can restore answers.")


def guard_assign_reviewer(answer: Answer, user, reviewer=None) -> None:
    if not can_assign(user):
        raise WorkflowError("Only managing editors can assign reviewers.")
    if not may_assign_reviewer(answer, user):
        raise WorkflowError(
            f"Reviewers are assigned to answers still being worked on, "
            f"not to {answer.get_status_display().lower()} ones."
        )
    if reviewer is not None:
        check_reviewer_eligible(answer, reviewer)


def guard_assign_editor(answer: Answer, user, editor) -> None:
    """A managing editor makes someone responsible; an editor may claim an unassigned answer."""
    claiming = editor.pk == user.pk and answer.editor_id is None
    if not (can_assign(user) or (claiming and is_editor(user))):
        raise WorkflowError("Only managing editors can assign an editor to an answer.")
    if not is_editor(editor):
        raise WorkflowError(f"{display_name(editor)} is not an editor.")
    if answer.status == Status.ARCHIVED:
        raise WorkflowError("The answer is archived; restore it first.")


def guard_balance_editor(answer: Answer, user) -> None:
    """Balancing moves only answers still being worked on, and only a managing editor's."""
    if not can_assign(user):
        raise WorkflowError("Only managing editors can assign an editor to an answer.")
    if answer.status not in OPEN_STATES:
        raise WorkflowError(
            f"Editors are balanced over answers still being worked on, "
            f"not over {answer.get_status_display().lower()} ones."
        )


def guard_claim(answer: Answer, user) -> None:
    guard_assign_editor(answer, user, user)


def guard_merge_import(answer: Answer, user) -> None:
    check_can_edit(answer, user)
    if not answer.has_import_conflict:
        raise WorkflowError("No re-import is waiting to be merged.")
