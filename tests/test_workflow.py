"""The workflow rules through the Python API: every step by every role, four-eyes,
the approved version, assignment, notifications, races and random sequences."""

import contextlib
import datetime
import json
import tempfile
import threading
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from reversion.models import Version

from editorial import flags, workflow
from editorial.importers import import_file
from editorial.models import Answer, ApprovedVersion, FlagLevel, Status, WorkflowEvent
from editorial.workflow import WorkflowError
from tests.conftest import settle_claims

pytestmark = pytest.mark.django_db

SOURCE = {
    "url": "https://www.mass.gov/orgs/massachusetts-registry-of-motor-vehicles",
    "title": "Registry of Motor Vehicles",
    "publisher": "Commonwealth of Massachusetts",
    "accessed_on": datetime.date(2026, 11, 20),
    "excerpt": "",
}


def sourced(answer, editor):
    return workflow.edit(answer, user=editor, sources=[SOURCE], comment="Add the RMV page")


def in_state(answer, state, *, editor, reviewer, managing):
    """Bring a sourced answer, edited by `editor`, to `state` through the workflow."""
    answer = sourced(answer, editor)
    if state == Status.DRAFT:
        return answer
    if state == Status.ARCHIVED:
        return workflow.archive(answer, managing)
    answer = workflow.submit(answer, editor, reviewer=reviewer)
    if state == Status.CHANGES_REQUESTED:
        return workflow.request_changes(answer, reviewer, comment="Cite the statute.")
    if state == Status.APPROVED:
        return workflow.approve(answer, reviewer)
    return answer


# --- every step × every role -------------------------------------------------------------

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


def test_editor_claims_unassigned_answer_but_cannot_take_one(answer, editor, editor2):
    workflow.claim(answer, editor)
    assert Answer.objects.get(pk=answer.pk).editor == editor
    with pytest.raises(WorkflowError):
        workflow.claim(answer, editor2)


# --- approval rules ----------------------------------------------------------------------


def test_only_the_assigned_reviewer_decides(answer, editor, reviewer, reviewer2, managing):
    answer = in_state(answer, Status.IN_REVIEW, editor=editor, reviewer=reviewer,
                      managing=managing)  # fmt: skip
    with pytest.raises(WorkflowError, match="only the assigned reviewer"):
        workflow.approve(answer, reviewer2)
    reviewer2.user_permissions.add(Permission.objects.get(codename="approve_any_answer"))
    reviewer2 = type(reviewer2).objects.get(pk=reviewer2.pk)  # drop the permission cache
    assert workflow.approve(answer, reviewer2).status == Status.APPROVED


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


def test_approval_needs_a_source(answer, editor, reviewer, settings):
    # Submitting already asks for a source; approval asks again, here because the rule was
    # switched on while the answer waited in review.
    settings.EDITORIAL_REQUIRE_SOURCE_FOR_APPROVAL = False
    workflow.claim(answer, editor)
    answer = workflow.submit(answer, editor, reviewer=reviewer)
    settings.EDITORIAL_REQUIRE_SOURCE_FOR_APPROVAL = True
    with pytest.raises(WorkflowError, match="no source"):
        workflow.approve(answer, reviewer)
    assert not ApprovedVersion.objects.exists()


def test_source_requirement_can_be_relaxed(answer, editor, reviewer, settings):
    settings.EDITORIAL_REQUIRE_SOURCE_FOR_APPROVAL = False
    workflow.claim(answer, editor)
    answer = workflow.submit(answer, editor, reviewer=reviewer)
    assert workflow.approve(answer, reviewer).status == Status.APPROVED


def test_blocking_flag_refuses_approval(seeds, editor, reviewer):
    hedged = Answer.objects.get(document__subject="Massachusetts", position=1)
    hedged = sourced(hedged, editor)
    text = hedged.text.replace("As of my knowledge cutoff in September 2021, the", "The")
    text = text.replace("accurate as of my last update", "accurate")
    hedged = workflow.edit(hedged, user=editor, text=text)
    assert "hedge" not in hedged.flag_codes
    settle_claims(hedged, editor)
    hedged = workflow.submit(hedged, editor, reviewer=reviewer)
    # A flag that appears while the answer waits in review (the checks grew stricter):
    # submitting could not see it, approving must.
    Answer.objects.filter(pk=hedged.pk).update(flags="hedge", flag_level=FlagLevel.BLOCKING)
    with pytest.raises(WorkflowError, match="knowledge-cutoff hedge"):
        workflow.approve(hedged, reviewer)
    assert not ApprovedVersion.objects.filter(answer=hedged).exists()
    flags.refresh_flags([hedged.pk])
    assert workflow.approve(hedged, reviewer).status == Status.APPROVED


def test_request_changes_needs_a_comment(answer, editor, reviewer, managing):
    answer = in_state(answer, Status.IN_REVIEW, editor=editor, reviewer=reviewer,
                      managing=managing)  # fmt: skip
    with pytest.raises(WorkflowError, match="needs a comment"):
        workflow.request_changes(answer, reviewer, comment="   ")
    answer.refresh_from_db()
    assert answer.status == Status.IN_REVIEW


# --- the approved version ----------------------------------------------------------------


def test_approval_pins_content_and_edits_leave_it_in_place(answer, editor, reviewer, managing):
    answer = in_state(answer, Status.APPROVED, editor=editor, reviewer=reviewer,
                      managing=managing)  # fmt: skip
    pinned = answer.approved
    assert (pinned.question, pinned.text) == (answer.question, answer.text)
    assert pinned.sources == [
        {
            **{k: SOURCE[k] for k in ("url", "title", "publisher", "excerpt")},
            "accessed": "2026-11-20",
        }
    ]
    assert pinned.approved_by == reviewer and pinned.version == answer.version
    assert pinned.revision is not None

    edited = workflow.edit(answer, user=editor, text="A second edit.", sources=[])
    assert edited.status == Status.DRAFT
    pinned.refresh_from_db()
    assert pinned.text != "A second edit." and pinned.sources

    edited = workflow.edit(edited, user=editor, sources=[SOURCE])
    edited = workflow.submit(edited, editor)
    workflow.approve(edited, reviewer)
    pinned.refresh_from_db()
    assert pinned.text == "A second edit."


# --- reviewer assignment -----------------------------------------------------------------


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


def test_available_transitions_match_the_guards(answer, editor, reviewer, managing, outsider):
    answer = in_state(answer, Status.IN_REVIEW, editor=editor, reviewer=reviewer,
                      managing=managing)  # fmt: skip
    names = lambda user: [s.name for s in workflow.available_transitions(answer, user)]  # noqa: E731
    assert names(editor) == ["withdraw"]
    assert names(reviewer) == ["approve", "request_changes"]
    assert names(managing) == ["archive"]
    assert names(outsider) == []


# --- log and versions --------------------------------------------------------------------


def test_every_transition_is_logged_with_a_revision(answer, editor, reviewer, managing):
    answer = in_state(answer, Status.APPROVED, editor=editor, reviewer=reviewer,
                      managing=managing)  # fmt: skip
    actions = list(answer.events.values_list("action", flat=True))
    assert actions == ["import", "edit", "submit", "approve"]
    for event in answer.events.all():
        version = Version.objects.get_for_object(answer).get(revision=event.revision)
        assert version.field_dict["status"] == event.to_status
    approve_event = answer.events.last()
    assert approve_event.revision.user == reviewer
    assert approve_event.revision.version_set.count() == 2  # the answer and its source


def test_event_log_is_append_only(answer):
    event = answer.events.first()
    event.comment = "rewritten"
    with pytest.raises(Exception, match="append-only"):
        event.save()
    with pytest.raises(Exception, match="append-only"):
        event.delete()


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


# --- notifications -----------------------------------------------------------------------


def test_notifications_go_to_the_right_people(answer, editor, reviewer, mailoutbox,
                                              django_capture_on_commit_callbacks):  # fmt: skip
    answer = sourced(answer, editor)
    with django_capture_on_commit_callbacks(execute=True):
        answer = workflow.submit(answer, editor, reviewer=reviewer)
    assert [m.to for m in mailoutbox] == [[reviewer.email]]
    assert "Review requested" in mailoutbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        answer = workflow.request_changes(answer, reviewer, comment="Cite the law.")
    assert mailoutbox[-1].to == [editor.email] and "Cite the law." in mailoutbox[-1].body
    with django_capture_on_commit_callbacks(execute=True):
        answer = workflow.submit(answer, editor)
        workflow.approve(answer, reviewer)
    assert [m.to for m in mailoutbox[-2:]] == [[reviewer.email], [editor.email]]
    assert mailoutbox[-1].subject.startswith("Approved")


# --- two reviewers at once ---------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("second_step", ["approve", "request_changes"])
def test_two_reviewers_at_once_exactly_one_wins(second_step, seeds, editor, reviewer, reviewer2,
                                                managing):  # fmt: skip
    answer = Answer.objects.get(document__subject="Massachusetts", position=2)
    answer = in_state(answer, Status.IN_REVIEW, editor=editor, reviewer=reviewer,
                      managing=managing)  # fmt: skip
    reviewer2.user_permissions.add(Permission.objects.get(codename="approve_any_answer"))
    reviewer2 = type(reviewer2).objects.get(pk=reviewer2.pk)
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def act(name, user, step):
        try:
            start.wait()
            getattr(workflow, step)(Answer.objects.get(pk=answer.pk), user, comment="Race.")
            outcomes[name] = "won"
        except WorkflowError as error:
            outcomes[name] = f"refused: {error}"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=("first", reviewer, "approve")),
        threading.Thread(target=act, args=("second", reviewer2, second_step)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(v.split(":")[0] for v in outcomes.values()) == ["refused", "won"], outcomes
    decisions = answer.events.filter(
        action__in=[WorkflowEvent.Action.APPROVE, WorkflowEvent.Action.REQUEST_CHANGES]
    )
    assert decisions.count() == 1
    answer.refresh_from_db()
    assert answer.status == decisions.get().to_status


# --- random sequences --------------------------------------------------------------------

TEXTS = [
    "The Registry shares license data only under a warrant.",
    "As of my last update, the Registry shares data daily.",
    "",
    "The RMV publishes its data-sharing agreements.",
]


class WorkflowMachine(RuleBasedStateMachine):
    """Random edits and steps by random users; the rules must hold after every one."""

    users: dict = {}
    counter = 0

    def __init__(self):
        super().__init__()
        WorkflowMachine.counter += 1
        # A real import, so the answer starts as every answer does: one version, one event.
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"machine-{WorkflowMachine.counter}.jsonl"
            path.write_text(
                json.dumps({"question": "Does the RMV share data?", "answer": TEXTS[0]})
            )
            document = import_file(path).document
        self.answer = document.answers.get()

    def _try(self, step, *args, **kwargs):
        with contextlib.suppress(WorkflowError):
            step(*args, **kwargs)
        self.answer.refresh_from_db()

    @rule(user=st.sampled_from(["editor", "both", "reviewer", "root"]),
          text=st.sampled_from(TEXTS), with_source=st.booleans())  # fmt: skip
    def edit(self, user, text, with_source):
        self._try(workflow.edit, self.answer, user=self.users[user], text=text,
                  sources=[SOURCE] if with_source else [])  # fmt: skip

    @rule(user=st.sampled_from(["editor", "both", "root", "reviewer"]),
          reviewer=st.sampled_from([None, "reviewer", "both"]))  # fmt: skip
    def submit(self, user, reviewer):
        self._try(workflow.submit, self.answer, self.users[user],
                  reviewer=self.users.get(reviewer))  # fmt: skip

    @rule(user=st.sampled_from(list(("editor", "both", "reviewer", "managing", "root"))),
          step=st.sampled_from(["withdraw", "approve", "request_changes", "archive",
                                "restore", "claim"]),
          comment=st.sampled_from(["", "Fix the date."]))  # fmt: skip
    def step(self, user, step, comment):
        if step == "claim":
            self._try(workflow.claim, self.answer, self.users[user])
        else:
            self._try(getattr(workflow, step), self.answer, self.users[user], comment=comment)

    @rule(user=st.sampled_from(["managing", "root", "editor"]),
          reviewer=st.sampled_from([None, "reviewer", "both"]))  # fmt: skip
    def assign(self, user, reviewer):
        self._try(workflow.assign_reviewer, self.answer, self.users[user],
                  reviewer=self.users.get(reviewer))  # fmt: skip

    @invariant()
    def approvals_obey_the_rules(self):
        events = list(self.answer.events.order_by("id"))
        edited_since: set[int] = set()
        for event in events:
            if event.action in (WorkflowEvent.Action.EDIT, WorkflowEvent.Action.REVERT):
                edited_since.add(event.actor_id)
            if event.action == WorkflowEvent.Action.APPROVE:
                assert event.actor_id not in edited_since, "self-approval"
                edited_since = set()
        pinned = ApprovedVersion.objects.filter(answer=self.answer).first()
        if pinned is not None:
            assert pinned.sources, "approved without a source"
            assert pinned.text.strip(), "approved an empty answer"
            assert not flags.has_hedge(pinned.text), "approved with a blocking flag"
            assert pinned.approved_by_id == events_of(self.answer, "approve")[-1].actor_id

    @invariant()
    def log_and_revisions_agree_with_state(self):
        last = self.answer.events.order_by("-id").first()
        assert last.to_status == self.answer.status
        latest = Version.objects.get_for_object(self.answer).first()
        assert latest.field_dict["status"] == self.answer.status
        assert latest.revision_id == last.revision_id


def events_of(answer, action):
    return list(answer.events.filter(action=action).order_by("id"))


def test_random_sequences_never_break_the_rules(editor, editor_reviewer, reviewer, managing,
                                                superuser):  # fmt: skip
    WorkflowMachine.users = {
        "editor": editor,
        "both": editor_reviewer,
        "reviewer": reviewer,
        "managing": managing,
        "root": superuser,
    }
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        WorkflowMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )


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


# --- submit checks what approval will check -------------------------------------------------


def test_submit_with_a_blocking_flag_is_refused_with_its_label(seeds, editor, reviewer):
    hedged = Answer.objects.get(document__subject="Massachusetts", position=1)
    hedged = workflow.edit(hedged, user=editor, sources=[SOURCE])
    assert "hedge" in hedged.flag_codes

    with pytest.raises(WorkflowError) as refusal:
        workflow.submit(hedged, editor, reviewer=reviewer)

    # Its claim (the 2004 legislation) is not settled either: both reasons are said.
    assert str(refusal.value) == (
        "Fix this before submitting: it is flagged “LLM self-reference or knowledge-cutoff "
        "hedge”; a claim is not settled (“2004”): link each to a source with its excerpt, "
        "rewrite it, or mark it common knowledge."
    )
    assert Answer.objects.get(pk=hedged.pk).status == Status.DRAFT
    fixed = flags.HEDGE_RE.sub("Per the record", hedged.text)
    hedged = workflow.edit(hedged, user=editor, text=fixed)
    settle_claims(hedged, editor)  # the hedge's "September 2021" stands alone now: a claim
    assert workflow.submit(hedged, editor, reviewer=reviewer).status == Status.IN_REVIEW


def test_submit_without_a_source_says_so(answer, editor, reviewer):
    with pytest.raises(WorkflowError, match="Fix this before submitting: it has no source"):
        workflow.submit(answer, editor, reviewer=reviewer)


def test_eligible_reviewers_leave_out_whoever_edited_since_approval(
    answer, editor_reviewer, reviewer, reviewer2
):
    assert workflow.eligible_reviewers(answer) == [editor_reviewer, reviewer, reviewer2]
    workflow.edit(answer, user=editor_reviewer, sources=[SOURCE])

    assert workflow.eligible_reviewers(answer) == [reviewer, reviewer2]


def test_a_reviewer_holding_the_permission_twice_is_counted_once(seeds, reviewer):
    from django.contrib.auth.models import Permission
    from django.db.models import Count

    reviewer.user_permissions.add(Permission.objects.get(codename="review_answer"))
    Answer.objects.filter(pk__in=Answer.objects.order_by("pk")[:3].values("pk")).update(
        reviewer=reviewer
    )

    holders = workflow.reviewers().annotate(n=Count("reviewed_answers"))

    assert [(user.pk, user.n) for user in holders.filter(pk=reviewer.pk)] == [(reviewer.pk, 3)]
