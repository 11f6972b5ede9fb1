"""The six transitions through the Python API: every step by every role from the state it
leaves, withdraw and resubmit, archive and restore, a log entry and a revision for each."""

import pytest
from reversion.models import Version

from editorial import workflow
from editorial.importers import import_file
from editorial.models import Answer, Status, WorkflowEvent
from editorial.workflow import WorkflowError
from tests.workflow.conftest import in_state

pytestmark = pytest.mark.django_db

ROLES = ["editor", "reviewer", "managing", "superuser", "outsider"]

# step: (state it starts from, roles allowed); all other roles are refused.
MATRIX = {
    "submit": (Status.DRAFT, {"editor", "superuser"}),
    "withdraw": (Status.IN_REVIEW, {"editor", "superuser"}),
    "approve": (Status.IN_REVIEW, {"reviewer", "superuser"}),
    "request_changes": (Status.IN_REVIEW, {"reviewer", "superuser"}),
    "archive": (Status.APPROVED, {"managing", "superuser"}),
    "restore": (Status.ARCHIVED, {"managing", "superuser"}),
    "assign_reviewer": (Status.DRAFT, {"managing", "superuser"}),
}

EXPECTED_STATUS = {
    "submit": Status.IN_REVIEW,
    "withdraw": Status.DRAFT,
    "approve": Status.APPROVED,
    "request_changes": Status.CHANGES_REQUESTED,
    "archive": Status.ARCHIVED,
    "restore": Status.DRAFT,
    "assign_reviewer": Status.DRAFT,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("step", list(MATRIX))
def test_every_step_by_every_role(step, role, request, answer, editor, reviewer, reviewer2,
                                  managing, superuser, outsider):  # fmt: skip
    start, allowed = MATRIX[step]
    answer = in_state(answer, start, editor=editor, reviewer=reviewer, managing=managing)
    user = request.getfixturevalue(role)
    events_before = answer.events.count()
    kwargs = {"comment": "Please cite the statute."}
    if step == "assign_reviewer":
        kwargs["reviewer"] = reviewer2

    if role in allowed:
        result = getattr(workflow, step)(answer, user, **kwargs)
        assert result.status == EXPECTED_STATUS[step]
        assert answer.events.count() == events_before + 1
        assert answer.events.last().actor == user
    else:
        with pytest.raises(WorkflowError) as refused:
            getattr(workflow, step)(answer, user, **kwargs)
        assert str(refused.value)  # a sentence, not an empty error
        answer.refresh_from_db()
        assert answer.status == start
        assert answer.events.count() == events_before


def test_request_changes_needs_a_comment(answer, editor, reviewer, managing):
    answer = in_state(answer, Status.IN_REVIEW, editor=editor, reviewer=reviewer,
                      managing=managing)  # fmt: skip
    with pytest.raises(WorkflowError, match="needs a comment"):
        workflow.request_changes(answer, reviewer, comment="   ")
    answer.refresh_from_db()
    assert answer.status == Status.IN_REVIEW


def test_withdraw_and_resubmit(answer, editor, reviewer, managing):
    answer = in_state(answer, Status.IN_REVIEW, editor=editor, reviewer=reviewer,
                      managing=managing)  # fmt: skip
    answer = workflow.withdraw(answer, editor)
    assert answer.status == Status.DRAFT
    answer = workflow.edit(answer, user=editor, text=answer.text + " More.")
    assert workflow.submit(answer, editor).reviewer == reviewer


def test_archive_remembers_and_restore_returns(answer, editor, reviewer, managing):
    answer = in_state(answer, Status.APPROVED, editor=editor, reviewer=reviewer,
                      managing=managing)  # fmt: skip
    assert workflow.archive(answer, managing).status == Status.ARCHIVED
    assert not Answer.objects.approved().filter(pk=answer.pk).exists()
    assert workflow.restore(answer, managing).status == Status.APPROVED


def test_archiving_a_copy_takes_the_duplicate_flag_off_the_other_and_restore_puts_it_back(
    seeds, editor, managing
):
    """Archived answers are no copies: the flags follow the step, as they follow an edit."""
    first, second = Answer.objects.order_by("pk")[:2]
    workflow.edit(second, user=editor, text=first.text)
    first.refresh_from_db()
    assert "duplicate" in first.flag_codes and "duplicate" in second.flag_codes

    archived = workflow.archive(second, managing)
    first.refresh_from_db()
    assert "duplicate" not in first.flag_codes
    assert "duplicate" not in archived.flag_codes  # as stored: no copy while archived
    second.refresh_from_db()
    assert archived.flag_codes == second.flag_codes

    workflow.restore(second, managing)
    first.refresh_from_db()
    second.refresh_from_db()
    assert "duplicate" in first.flag_codes and "duplicate" in second.flag_codes


def test_available_transitions_match_the_guards(answer, editor, reviewer, managing, outsider):
    answer = in_state(answer, Status.IN_REVIEW, editor=editor, reviewer=reviewer,
                      managing=managing)  # fmt: skip
    names = lambda user: [s.name for s in workflow.available_transitions(answer, user)]  # noqa: E731
    assert names(editor) == ["withdraw"]
    assert names(reviewer) == ["approve", "request_changes"]
    assert names(managing) == ["archive"]
    assert names(outsider) == []


def test_every_transition_is_logged_with_a_revision(answer, editor, reviewer, managing):
    answer = in_state(answer, Status.APPROVED, editor=editor, reviewer=reviewer,
                      managing=managing)  # fmt: skip
    actions = list(answer.events.values_list("action", flat=True))
    assert actions == ["import", "edit", "edit", "submit", "approve"]  # sourced, claims settled
    for event in answer.events.all():
        version = Version.objects.get_for_object(answer).get(revision=event.revision)
        assert version.field_dict["status"] == event.to_status
    approve_event = answer.events.last()
    assert approve_event.revision.user == reviewer
    # The answer, its source and the evidence of its three claims.
    assert approve_event.revision.version_set.count() == 5


def test_event_log_is_append_only(answer):
    event = answer.events.first()
    event.comment = "rewritten"
    with pytest.raises(Exception, match="append-only"):
        event.save()
    with pytest.raises(Exception, match="append-only"):
        event.delete()


def test_merging_a_reimport_clears_the_conflict(answer, editor, reviewer, tmp_path):
    from tests.conftest import SEED_FILES

    answer = workflow.edit(answer, user=editor, text="Staff version.")
    seed = next(f for f in SEED_FILES if f.name == answer.document.name)
    changed = tmp_path / seed.name
    changed.write_text(seed.read_text().replace("on a daily basis", "weekly"))
    assert import_file(changed).conflicting == 1
    answer.refresh_from_db()
    assert answer.has_import_conflict and answer.text == "Staff version."
    with pytest.raises(WorkflowError):
        workflow.mark_import_merged(answer, user=reviewer)
    merged = workflow.mark_import_merged(answer, user=editor, comment="Took the new frequency")
    assert not merged.has_import_conflict
    assert "weekly" in merged.imported_text and merged.text == "Staff version."
    assert merged.events.last().action == WorkflowEvent.Action.MERGE
    with pytest.raises(WorkflowError, match="No re-import is waiting"):
        workflow.mark_import_merged(merged, user=editor)
