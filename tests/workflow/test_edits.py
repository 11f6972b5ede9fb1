"""The edit path through the Python API: where and by whom content may change; a revert is
an edit."""

import pytest
from reversion.models import Version

from editorial import workflow
from editorial.models import Answer, Status, WorkflowEvent
from editorial.workflow import WorkflowError
from tests.conftest import RMV_SOURCE, settle_2004
from tests.workflow.conftest import in_state, sourced

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("state", [Status.DRAFT, Status.CHANGES_REQUESTED, Status.APPROVED])
def test_editing_is_allowed_in_editable_states(state, answer, editor, reviewer, managing):
    answer = in_state(answer, state, editor=editor, reviewer=reviewer, managing=managing)
    edited = workflow.edit(answer, user=editor, text="Corrected text.")
    assert edited.text == "Corrected text."
    expected = Status.DRAFT if state == Status.APPROVED else state
    assert edited.status == expected


@pytest.mark.parametrize("state", [Status.IN_REVIEW, Status.ARCHIVED])
def test_editing_is_refused_in_review_and_archive(state, answer, editor, reviewer, managing):
    answer = in_state(answer, state, editor=editor, reviewer=reviewer, managing=managing)
    with pytest.raises(WorkflowError):
        workflow.edit(answer, user=editor, text="Sneaky change.")
    answer.refresh_from_db()
    assert answer.text != "Sneaky change."


@pytest.mark.parametrize("role", ["reviewer", "managing", "outsider"])
def test_only_editors_edit(role, request, answer):
    with pytest.raises(WorkflowError):
        workflow.edit(answer, user=request.getfixturevalue(role), text="x.")


def test_another_editor_cannot_edit_a_claimed_answer(answer, editor, editor2, managing):
    sourced(answer, editor)
    with pytest.raises(WorkflowError, match="editor of this answer"):
        workflow.edit(answer, user=editor2, text="Mine now.")
    workflow.assign_editor(answer, managing, editor2)
    assert workflow.edit(answer, user=editor2, text="Mine now.").text == "Mine now."


def test_revert_is_an_edit_and_restores_content_not_status(answer, editor, reviewer, managing):
    original = Version.objects.get_for_object(answer).last()
    answer = in_state(answer, Status.APPROVED, editor=editor, reviewer=reviewer,
                      managing=managing)  # fmt: skip
    answer = workflow.revert(answer, user=editor, version_id=original.pk)
    assert answer.status == Status.DRAFT
    assert answer.text == answer.imported_text
    assert answer.sources.count() == 0
    assert answer.events.last().action == WorkflowEvent.Action.REVERT
    assert answer.approved.sources  # still the approved version for export


def test_an_edits_revision_holds_what_the_edit_found_then_what_it_saved(q1, people):
    """The answer and what follows it are recorded as the edit began (the answer first); what
    the edit saves replaces its own entries and what it deletes is left out."""
    editor = people["editor"]
    settle_2004(q1, editor)
    linked = q1.sources.get()

    workflow.edit(q1, user=editor, sources=[{**RMV_SOURCE, "title": "Another page"}])

    revision = Version.objects.get_for_object(q1).first().revision
    versions = list(revision.version_set.select_related("content_type").order_by("pk"))
    assert [v.content_type.model for v in versions][0] == "answer"
    assert versions[0].field_dict["version"] == Answer.objects.get(pk=q1.pk).version
    (evidence,) = [
        v for v in versions
        if v.content_type.model == "claimevidence" and v.field_dict["claim_key"] == "2004"
    ]  # fmt: skip
    assert evidence.field_dict["source_id"] == linked.pk  # as the edit found it
    sources = [v.field_dict["title"] for v in versions if v.content_type.model == "source"]
    assert sources == ["Another page"]  # the removed source is not in it
