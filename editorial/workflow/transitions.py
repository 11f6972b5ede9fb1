"""The steps an answer takes, and the one table that describes them.

A transition locks the row, checks the state it leaves from and its guard, changes the
state, saves in a revision of its own with its event, pins or records what it must in
the same transaction (a decision also its review-quality facts and totals: storage.
review_facts), and is announced once committed (notify). `STEPS` says for every
step, in one place, its label, states, guard, service, whose part it is and how the
answer list offers it; the admin's buttons and list actions are generated from it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from editorial import flags
from editorial.models import Answer, ApprovedVersion, Notice, Status, WorkflowEvent
from editorial.storage import approvals, review_facts
from editorial.workflow import facts, guards, notify
from editorial.workflow.assignment import (
    assign_editor,
    assign_reviewer,
    balance_editor,
    claim,
    pick_reviewer,
)
from editorial.workflow.errors import WorkflowError
from editorial.workflow.permissions import (
    can_archive,
    can_assign,
    display_name,
    editing_part,
    editor_part,
    may_decide,
)
from editorial.workflow.provenance import pin_fields
from editorial.workflow.saving import locked, refresh_instance, save_step
from editorial.workflow.states import ACTIVE_STATES, OnMany, Step

Action = WorkflowEvent.Action


def check(step: Step, answer: Answer, user, **guard_inputs) -> None:
    """Raise WorkflowError if the rules forbid the step now: its state first, then its guard."""
    if step.sources is not None and answer.status not in step.sources:
        raise WorkflowError(
            f"“{step.label}” is not possible while the answer is "
            f"{answer.get_status_display().lower()}."
        )
    step.guard(answer, user, **guard_inputs)


def refusal(step: Step, answer: Answer, user) -> str | None:
    """Why the rules refuse the step now, or None."""
    try:
        check(step, answer, user)
    except WorkflowError as error:
        return str(error)
    return None


def _transition(
    name: str,
    answer: Answer,
    user,
    *,
    comment: str = "",
    guard_inputs: dict | None = None,
    before_save: Callable[[Answer], None] | None = None,
    after_save: Callable[[Answer, WorkflowEvent], None] | None = None,
    expected_version: int | None = None,
) -> Answer:
    step = STEPS[name]
    given, comment = comment or "", (comment or "").strip()
    with transaction.atomic():
        row = locked(answer, expected_version)
        check(step, row, user, **(guard_inputs or {}))
        if step.needs_comment and not comment:
            raise WorkflowError(f"“{step.label}” needs a comment saying what to change.")
        from_status = row.status
        if before_save:
            before_save(row)
        if step.target is not None:
            row.status = step.target
        save_step(row, user=user, action=name, from_status=from_status, comment=comment,
                  label=step.label)  # fmt: skip
        if after_save:
            # In the same transaction: what the step pins or records lands with it or not at all.
            after_save(row, row.events.filter(action=name).latest("id"))
        # What must commit with the step (the webhooks outbox), told before it commits.
        notify.record(name, [row], user=user)
    refresh_instance(answer, row)
    # Told as typed (the e-mail quotes it); after the step, once it is committed.
    notify.announce(name, [row], user=user, comment=given)
    return row


def submit(
    answer: Answer,
    user,
    reviewer=None,
    comment: str = "",
    *,
    expected_version: int | None = None,
) -> Answer:
    """Send the answer to a reviewer: the one given, the one assigned, or the least loaded."""

    def choose_reviewer(row: Answer) -> None:
        chosen = reviewer
        if chosen is None and row.reviewer_id is not None:
            try:
                guards.check_reviewer_eligible(row, row.reviewer)
                chosen = row.reviewer
            except WorkflowError:
                chosen = None
        if chosen is None:
            chosen = pick_reviewer(row, exclude={user.pk})
        if row.editor_id is None:
            row.editor = user
        row.reviewer = chosen

    return _transition(
        "submit", answer, user, comment=comment, guard_inputs={"reviewer": reviewer},
        before_save=choose_reviewer, expected_version=expected_version,
    )  # fmt: skip


def withdraw(
    answer: Answer, user, comment: str = "", *, expected_version: int | None = None
) -> Answer:
    return _transition("withdraw", answer, user, comment=comment, expected_version=expected_version)


def approve(
    answer: Answer, user, comment: str = "", *, expected_version: int | None = None
) -> Answer:
    """Approve and pin what was approved: export uses it until the next approval.

    With expected_version, the pinned content is exactly the version the reviewer saw.
    """

    def pin(row: Answer, event: WorkflowEvent) -> None:
        pinned = pin_fields(
            row,
            user=user,
            approved_at=event.created_at,
            revision_id=event.revision_id,
            sources=row.sources.all(),
            history=facts.histories_of([row.pk])[row.pk],
            evidence=facts.claim_evidence(row),
            before_event_id=event.pk,
        )
        approvals.record([ApprovedVersion(answer=row, **pinned)])
        review_facts.keep(WorkflowEvent.objects.filter(pk=event.pk))

    return _transition(
        "approve", answer, user, comment=comment, after_save=pin,
        expected_version=expected_version,
    )  # fmt: skip


def request_changes(
    answer: Answer, user, comment: str = "", *, expected_version: int | None = None
) -> Answer:
    def leave_notice(row: Answer, event: WorkflowEvent) -> None:
        # Unread until the editor opens the answer: their home page lists it till then.
        if row.editor_id is not None:
            Notice.objects.create(recipient_id=row.editor_id, event=event)
        review_facts.keep(WorkflowEvent.objects.filter(pk=event.pk))

    return _transition(
        "request_changes", answer, user, comment=comment, after_save=leave_notice,
        expected_version=expected_version,
    )  # fmt: skip


def archive(
    answer: Answer, user, comment: str = "", *, expected_version: int | None = None
) -> Answer:
    def remember(row: Answer) -> None:
        row.status_before_archive = row.status

    return _transition(
        "archive", answer, user, comment=comment, before_save=remember,
        after_save=_copies_recounted, expected_version=expected_version,
    )  # fmt: skip


def restore(
    answer: Answer, user, comment: str = "", *, expected_version: int | None = None
) -> Answer:
    """Return an archived answer to the state it was archived from."""

    def back(row: Answer) -> None:
        row.status = row.status_before_archive or Status.DRAFT
        if row.status == Status.IN_REVIEW and row.reviewer_id is None:
            row.status = Status.DRAFT
        row.status_before_archive = ""

    return _transition(
        "restore", answer, user, comment=comment, before_save=back,
        after_save=_copies_recounted, expected_version=expected_version,
    )  # fmt: skip


def _copies_recounted(row: Answer, event: WorkflowEvent) -> None:
    """An archived answer is no copy (flags.duplicates): archiving one of two copies takes
    the duplicate flag off the other, restoring it puts the flag back on both."""
    flags.refresh_flags([row.pk])
    row.refresh_from_db(fields=["flags", "flag_level"])


def mark_import_merged(
    answer: Answer, user, comment: str = "", *, expected_version: int | None = None
) -> Answer:
    """The editor has merged a re-import by hand: it becomes the new imported baseline.

    A step, not an edit: the content is what the editor made it; only the imported
    baseline moves, so no content version is counted.
    """
    with transaction.atomic():
        row = locked(answer, expected_version)
        check(STEPS["merge_import"], row, user)
        if row.incoming_question is not None:
            row.imported_question = row.incoming_question
        if row.incoming_text is not None:
            row.imported_text = row.incoming_text
        row.incoming_question = row.incoming_text = None
        save_step(row, user=user, action=Action.MERGE, from_status=row.status, comment=comment,
                  label="Re-import merged")  # fmt: skip
    refresh_instance(answer, row)
    notify.announce("merge_import", [row], user=user, comment=comment)
    return row


# The one table: every step, in the order the admin offers them.
STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step(
            "claim", "Claim", roles=editing_part, guard=guards.guard_claim, service=claim,
            inputs=(), many=(OnMany("claim_selected", "Claim (become their editor)"),),
            done=lambda answer: "you are now its editor",
        ),
        Step(
            "submit", "Submit for review", roles=editor_part, guard=guards.guard_submit,
            service=submit, sources=frozenset({Status.DRAFT, Status.CHANGES_REQUESTED}),
            target=Status.IN_REVIEW, inputs=("reviewer", "comment"), transition=True,
            many=(OnMany("submit_selected", "Submit for review", label="Submit"),),
            done=lambda answer: f"submitted to reviewer {display_name(answer.reviewer)}",
        ),
        Step(
            "withdraw", "Withdraw", roles=editor_part, guard=guards.guard_withdraw,
            service=withdraw, sources=frozenset({Status.IN_REVIEW}), target=Status.DRAFT,
            transition=True, many=(OnMany("withdraw_selected", "Withdraw from review"),),
            done=lambda answer: "withdrawn from review; it is a draft you can edit again",
        ),
        Step(
            "approve", "Approve", roles=may_decide, guard=guards.guard_approve,
            service=approve, sources=frozenset({Status.IN_REVIEW}), target=Status.APPROVED,
            transition=True,
            many=(OnMany("approve_selected", "Approve…", asks="look", decision=True),),
            done=lambda answer: (
                f"approved version {answer.version}; it is now the exported one"
            ),
        ),
        Step(
            "request_changes", "Request changes", roles=may_decide, guard=guards.guard_review,
            service=request_changes, sources=frozenset({Status.IN_REVIEW}),
            target=Status.CHANGES_REQUESTED, needs_comment=True, transition=True,
            many=(
                OnMany("request_changes_selected", "Request changes…", asks="comment",
                       decision=True),
            ),
            done=lambda answer: (
                f"changes requested of {display_name(answer.editor)}"
                if answer.editor
                else "changes requested"
            ),
        ),
        Step(
            "assign_reviewer", "Assign reviewer", roles=can_assign,
            guard=guards.guard_assign_reviewer, service=assign_reviewer,
            inputs=("reviewer", "comment"),
            many=(
                OnMany("assign_reviewer_selected", "Assign reviewer…", asks="reviewer",
                       title="Assign a reviewer"),
                OnMany("balance_reviewers", "Balance reviewers (least loaded)", choose=False,
                       label="Balance reviewers"),
            ),
            done=lambda answer: f"{display_name(answer.reviewer)} is now its reviewer",
        ),
        Step(
            "archive", "Archive", roles=can_archive, guard=guards.guard_archive,
            service=archive, sources=ACTIVE_STATES, target=Status.ARCHIVED, transition=True,
            many=(OnMany("archive_selected", "Archive"),),
            done=lambda answer: "archived; it is left out of exports until restored",
        ),
        Step(
            "restore", "Restore", roles=can_archive, guard=guards.guard_restore,
            service=restore, sources=frozenset({Status.ARCHIVED}), transition=True,
            many=(OnMany("restore_selected", "Restore from archive"),),
            done=lambda answer: f"restored to {answer.get_status_display().lower()}",
        ),
        Step(
            "assign_editor", "Assign editor", roles=can_assign,
            guard=guards.guard_assign_editor, service=assign_editor,
            inputs=("editor", "comment"),
            many=(
                OnMany("assign_editor_selected", "Assign editor…", asks="editor",
                       title="Assign an editor"),
            ),
            done=lambda answer: f"{display_name(answer.editor)} is now its editor",
        ),
        Step(
            "balance_editor", "Balance editors", roles=can_assign,
            guard=guards.guard_balance_editor, service=balance_editor,
            many=(
                OnMany("balance_editors", "Balance editors (least loaded)", choose=False),
            ),
            done=lambda answer: f"{display_name(answer.editor)} is now its editor",
        ),
        Step(
            "merge_import", "Mark re-import merged", roles=editing_part,
            guard=guards.guard_merge_import, service=mark_import_merged,
            done=lambda answer: "the re-import is marked merged",
        ),
    )
}  # fmt: skip


def has_part_in(step: str, user, answer: Answer | None = None) -> bool:
    """Whether taking this step is this user's part at all (on this answer, if given)."""
    return STEPS[step].roles(user, answer)


def available_transitions(answer: Answer, user) -> list[Step]:
    """The state changes this user may make on this answer now (the admin's buttons)."""
    return [
        step for step in STEPS.values() if step.transition and refusal(step, answer, user) is None
    ]


def offered_steps(answer: Answer, user) -> list[Step]:
    """The step buttons to show: the steps allowed now, and submit while only the content
    stands in its way, since the button saves the editor's typing first and checks again."""
    allowed = available_transitions(answer, user)
    submit_step = STEPS["submit"]
    if submit_step not in allowed and guards.can_edit(answer, user):
        try:
            check(submit_step, answer, user, check_content=False)
        except WorkflowError:
            return allowed
        return [step for step in STEPS.values() if step in allowed or step is submit_step]
    return allowed


def refused_transitions(answer: Answer, user) -> dict[str, str]:
    """Steps the state allows and that are this user's part, but a rule refuses, with why."""
    return {
        step.name: reason
        for step in STEPS.values()
        if step.transition
        and answer.status in step.sources
        and step.roles(user, answer)
        and (reason := refusal(step, answer, user)) is not None
    }
