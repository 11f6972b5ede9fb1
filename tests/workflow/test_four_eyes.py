"""Four-eyes through the Python API: nobody approves text they edited since its last approval."""

import pytest
from django.contrib.auth.models import Permission
from reversion.models import Version

from editorial import workflow
from editorial.models import Answer, Status
from editorial.workflow import WorkflowError
from tests.workflow.conftest import sourced

pytestmark = pytest.mark.django_db


def test_four_eyes_editor_who_reviews_cannot_approve_own_edit(answer, editor_reviewer, reviewer):
    answer = sourced(answer, editor_reviewer)
    answer = workflow.submit(answer, editor_reviewer, reviewer=reviewer)
    editor_reviewer.user_permissions.add(Permission.objects.get(codename="approve_any_answer"))
    editor_reviewer = type(editor_reviewer).objects.get(pk=editor_reviewer.pk)
    with pytest.raises(
        WorkflowError,
        match="You edited this answer since its last approval; another reviewer must approve it.",
    ):
        workflow.approve(answer, editor_reviewer)
    assert workflow.approve(answer, reviewer).status == Status.APPROVED


def test_four_eyes_binds_superuser_unless_relaxed(answer, superuser, reviewer, settings):
    answer = sourced(answer, superuser)
    answer = workflow.submit(answer, superuser, reviewer=reviewer)
    with pytest.raises(WorkflowError, match="You edited this answer"):
        workflow.approve(answer, superuser)
    settings.EDITORIAL_SUPERUSER_BYPASSES_FOUR_EYES = True
    assert workflow.approve(answer, superuser).status == Status.APPROVED


def test_four_eyes_counts_only_edits_since_last_approval(answer, editor_reviewer, reviewer,
                                                         editor, managing):  # fmt: skip
    answer = sourced(answer, editor_reviewer)
    answer = workflow.submit(answer, editor_reviewer, reviewer=reviewer)
    answer = workflow.approve(answer, reviewer)
    # A later round edited by someone else: the first editor may now review it.
    answer = workflow.assign_editor(answer, managing, editor)
    answer = workflow.edit(answer, user=editor, text=answer.text + " Updated.")
    answer = workflow.submit(answer, editor, reviewer=editor_reviewer)
    assert workflow.approve(answer, editor_reviewer).status == Status.APPROVED


def test_four_eyes_counts_a_revert_as_editing_single_and_bulk(
    answer, editor, editor_reviewer, reviewer, managing
):
    """Bringing back an old text is editing it: the reviewer who reverted may not approve it,
    whether one answer is approved or many at once."""
    answer = sourced(answer, editor)
    earlier = Version.objects.get_for_object(answer).first()  # the sourced version
    answer = workflow.submit(answer, editor, reviewer=reviewer)
    answer = workflow.approve(answer, reviewer)
    # The reverting reviewer is the answer's editor now; their only change is the revert.
    answer = workflow.assign_editor(answer, managing, editor_reviewer)
    answer = workflow.revert(answer, user=editor_reviewer, version_id=earlier.pk)
    answer = workflow.submit(answer, editor_reviewer)
    assert answer.reviewer == reviewer  # four-eyes already kept them off the assignment
    editor_reviewer.user_permissions.add(Permission.objects.get(codename="approve_any_answer"))
    both = type(editor_reviewer).objects.get(pk=editor_reviewer.pk)
    assert workflow.decides_on(answer.reviewer_id, both)  # only four-eyes stands in the way

    with pytest.raises(WorkflowError, match="You edited this answer since its last approval"):
        workflow.approve(answer, both)
    outcome = workflow.approve_many(
        answers=[answer], user=both, expected_versions={answer.pk: answer.version}
    )
    assert outcome.done == []
    assert [str(error) for _, error in outcome.refused] == [
        "You edited this answer since its last approval; another reviewer must approve it."
    ]
    assert Answer.objects.get(pk=answer.pk).status == Status.IN_REVIEW
    assert workflow.approve(answer, reviewer).status == Status.APPROVED
