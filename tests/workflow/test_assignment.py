"""Who works on an answer: claiming, assigning and balancing reviewers, through the Python API."""

import pytest
from django.contrib.auth.models import Permission

from editorial import workflow
from editorial.models import Answer, Status, WorkflowEvent
from editorial.workflow import WorkflowError
from tests.conftest import settle_claims
from tests.workflow.conftest import SOURCE, in_state, sourced

pytestmark = pytest.mark.django_db


def test_editor_claims_unassigned_answer_but_cannot_take_one(answer, editor, editor2):
    workflow.claim(answer, editor)
    assert Answer.objects.get(pk=answer.pk).editor == editor
    with pytest.raises(WorkflowError):
        workflow.claim(answer, editor2)


def test_automatic_reviewer_is_least_loaded_and_not_an_editor(
    seeds, editor, reviewer, reviewer2, editor_reviewer
):
    answers = list(Answer.objects.filter(document__subject="Mississippi").order_by("position")[:3])
    # Equal loads are broken by username: "both" < "reviewer" < "reviewer2".
    first = workflow.submit(sourced(answers[0], editor), editor)
    assert first.reviewer == editor_reviewer
    second = workflow.submit(sourced(answers[1], editor), editor)
    assert second.reviewer == reviewer
    # editor_reviewer edits the third: never picked for it, whatever the load.
    third = sourced(answers[2], editor_reviewer)
    settle_claims(third, editor_reviewer)
    third = workflow.submit(third, editor_reviewer)
    assert third.reviewer == reviewer2


def test_balance_picks_least_loaded(seeds, editor, reviewer, reviewer2, managing):
    answers = list(Answer.objects.filter(document__subject="Mississippi").order_by("position")[:3])
    workflow.submit(sourced(answers[0], editor), editor, reviewer=reviewer)
    workflow.submit(sourced(answers[1], editor), editor, reviewer=reviewer)
    assigned = workflow.assign_reviewer(answers[2], managing)
    assert assigned.reviewer == reviewer2
    assert assigned.events.last().action == WorkflowEvent.Action.ASSIGN


def test_no_eligible_reviewer_is_a_clear_error(answer, editor):
    with pytest.raises(WorkflowError, match="No reviewer is available"):
        workflow.submit(sourced(answer, editor), editor)


def test_reassignment_is_logged(answer, editor, reviewer, reviewer2, managing):
    answer = in_state(answer, Status.IN_REVIEW, editor=editor, reviewer=reviewer,
                      managing=managing)  # fmt: skip
    answer = workflow.assign_reviewer(answer, managing, reviewer=reviewer2, comment="Holiday")
    event = answer.events.last()
    assert event.action == WorkflowEvent.Action.ASSIGN
    assert "reviewer → reviewer2" in event.comment and "Holiday" in event.comment
    with pytest.raises(WorkflowError, match="not a reviewer"):
        workflow.assign_reviewer(answer, managing, reviewer=editor)


def test_a_reviewer_who_edited_cannot_be_assigned(answer, editor_reviewer, managing):
    answer = sourced(answer, editor_reviewer)
    with pytest.raises(WorkflowError, match="edited this answer"):
        workflow.assign_reviewer(answer, managing, reviewer=editor_reviewer)


def test_eligible_reviewers_leave_out_whoever_edited_since_approval(
    answer, editor_reviewer, reviewer, reviewer2
):
    assert workflow.eligible_reviewers(answer) == [editor_reviewer, reviewer, reviewer2]
    workflow.edit(answer, user=editor_reviewer, sources=[SOURCE])

    assert workflow.eligible_reviewers(answer) == [reviewer, reviewer2]


def test_a_reviewer_holding_the_permission_twice_is_counted_once(seeds, reviewer):
    from django.db.models import Count

    reviewer.user_permissions.add(Permission.objects.get(codename="review_answer"))
    Answer.objects.filter(pk__in=Answer.objects.order_by("pk")[:3].values("pk")).update(
        reviewer=reviewer
    )

    holders = workflow.reviewers().annotate(n=Count("reviewed_answers"))

    assert [(user.pk, user.n) for user in holders.filter(pk=reviewer.pk)] == [(reviewer.pk, 3)]
