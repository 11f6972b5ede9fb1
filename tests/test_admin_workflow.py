"""The editorial workflow driven through the Django admin, over real HTTP.

Every request goes through the test client to the real admin views, which call
editorial.workflow against the real database: no mocks. The expected outcomes are
written down from the SPEC ("People", "Workflow", "Quality flags") in `expected_refusal`
below, independently of the rules in editorial/workflow.py, and each admin page and
POST is checked against them.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import constants as levels
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import capfirst
from reversion.models import Revision, Version

from editorial import flags, workflow
from editorial.importers import import_paths
from editorial.models import (
    Answer,
    ApprovedVersion,
    Document,
    FlagLevel,
    Source,
    Status,
    WorkflowEvent,
)
from editorial.workflow import WorkflowError
from tests.conftest import (
    CHANGELIST,
    FIXTURES,
    a_source,
    action_choices,
    admin_edit,
    bulk,
    buttons,
    change_form_data,
    change_url,
    errors_of,
    event_log,
    history_url,
    ma,
    messages_of,
    post_step,
    put_in_state,
    revert_form,
    settle_claims,
    snapshot,
    successes_of,
    version_url,
    workflow_url,
)
from tests.spec import (
    ALL_STEPS,
    ASSIGNMENTS,
    EVENT_ACTION,
    GOES_TO,
    LABEL,
    ROLES,
    SAID,
    STAFF_ROLES,
    STATES,
    TRANSITIONS,
    expected_refusal,
)

COMMENT = "Please cite the 2004 statute."
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


# --- the change page offers exactly what the rules allow --------------------------------


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("state", STATES)
def test_change_page_offers_exactly_the_allowed_transitions(client, answer, people, state, role):
    put_in_state(answer, state, people)
    user = people[role]
    client.force_login(user)

    response = client.get(change_url(answer))

    assert response.status_code == 200
    shown = buttons(response) & set(TRANSITIONS)
    offered = {step.name for step in workflow.available_transitions(answer, user)}
    assert shown == offered
    assert shown == {s for s in TRANSITIONS if expected_refusal(state, role, s) is None}


@pytest.mark.parametrize(
    ("state", "role"),
    [(state, role) for state in STATES for role in STAFF_ROLES],
)
def test_change_page_offers_assignments_only_where_they_work(client, answer, people, state, role):
    put_in_state(answer, state, people)
    client.force_login(people[role])

    shown = buttons(client.get(change_url(answer))) & set(ASSIGNMENTS)

    # The answer has an editor: claiming is not offered; reassigning is the way.
    works = {
        s for s in ("assign_reviewer", "assign_editor") if expected_refusal(state, role, s) is None
    }
    assert shown == works


def test_approved_answer_offers_assign_editor_to_managing_editor(client, answer, people):
    # The part of the assignment buttons on approved answers that does work.
    put_in_state(answer, Status.APPROVED, people)
    client.force_login(people["managing"])

    assert "assign_editor" in buttons(client.get(change_url(answer)))


def test_change_page_explains_why_a_reviewer_cannot_decide(client, answer, people):
    put_in_state(answer, Status.IN_REVIEW, people)
    client.force_login(people["reviewer2"])

    html = client.get(change_url(answer)).content.decode()

    assert '<ul class="refused">' in html
    reason = expected_refusal(Status.IN_REVIEW, "reviewer2", "approve")
    assert reason == expected_refusal(Status.IN_REVIEW, "reviewer2", "request_changes")
    # One reason for both decisions is said once.
    assert html.count(escape(reason)) == 1


@pytest.mark.parametrize("state", STATES)
def test_user_in_no_group_cannot_open_the_change_page(client, answer, people, state):
    put_in_state(answer, state, people)
    client.force_login(people["outsider"])

    assert client.get(change_url(answer)).status_code == 403
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(history_url(answer)).status_code == 403


@pytest.mark.parametrize("role", ["editor", "editor2"])
def test_an_editor_may_claim_an_unassigned_answer(client, answer, people, role):
    assert answer.editor is None
    user = people[role]
    client.force_login(user)

    assert "claim" in buttons(client.get(change_url(answer)))
    response = post_step(client, answer, "claim")

    answer.refresh_from_db()
    assert answer.editor == user
    assert successes_of(response) == [f"{answer}: you are now its editor."]
    event = answer.events.order_by("-id").first()
    assert (event.action, event.actor) == (WorkflowEvent.Action.CLAIM, user)


@pytest.mark.parametrize(
    "state",
    [
        Status.DRAFT,
        Status.ARCHIVED,
    ],
)
def test_claim_is_offered_only_where_it_works(client, answer, people, state):
    if state == Status.ARCHIVED:
        workflow.archive(answer, people["managing"])
    answer.refresh_from_db()
    assert (answer.status, answer.editor) == (state, None)
    client.force_login(people["editor"])

    offered = "claim" in buttons(client.get(change_url(answer)))
    response = post_step(client, answer, "claim")

    works = Answer.objects.get(pk=answer.pk).editor == people["editor"]
    assert works == (state == Status.DRAFT), errors_of(response)  # archived: restore first
    assert offered == works


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("reviewer", "Only managing editors can assign an editor to an answer."),
        ("managing", "managing is not an editor."),
    ],
)
def test_a_non_editor_cannot_claim(client, answer, people, role, message):
    client.force_login(people[role])
    assert "claim" not in buttons(client.get(change_url(answer)))
    before = snapshot(answer)

    response = post_step(client, answer, "claim")

    assert errors_of(response) == [message]
    assert snapshot(answer) == before


# --- every step × every role × every state, posted to the workflow view -------------------


@pytest.mark.parametrize("step", ALL_STEPS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", STATES)
def test_workflow_post(client, answer, people, state, role, step):
    put_in_state(answer, state, people)
    user = people[role]
    client.force_login(user)
    before = snapshot(answer)
    data = {"comment": COMMENT}
    if step == "assign_reviewer":
        data["reviewer"] = people["reviewer2"].pk
    if step == "assign_editor":
        data["editor"] = people["editor2"].pk

    response = post_step(client, answer, step, **data)

    if role == "outsider":
        assert response.status_code == 403
        assert snapshot(answer) == before
        return
    assert response.status_code == 200
    refusal = expected_refusal(state, role, step)
    answer.refresh_from_db()
    if refusal is not None:
        # The answer page again, not a redirect: the typed comment is still there.
        assert response.redirect_chain == []
        assert errors_of(response) == [refusal]
        assert successes_of(response) == []
        html = response.content.decode()
        assert f'<li class="error">{escape(capfirst(refusal))}</li>' in html
        if 'id="id_wf_comment"' in html:
            assert f">{escape(COMMENT)}</textarea>" in html
        assert snapshot(answer) == before
        return
    assert response.redirect_chain == [(change_url(answer), 302)]

    assert errors_of(response) == []
    assert successes_of(response) == [f"{answer}: {SAID[step].format(answer=answer)}."]
    expected = dict(before["row"])
    if step in GOES_TO:
        expected["status"] = GOES_TO[step]
        expected["status_before_archive"] = state if step == "archive" else ""
    elif step == "assign_reviewer":
        expected["reviewer_id"] = people["reviewer2"].pk
    elif step == "assign_editor":
        expected["editor_id"] = people["editor2"].pk
    else:
        expected["editor_id"] = user.pk
    assert snapshot(answer)["row"] == expected
    new_events = list(answer.events.exclude(id__in=before["events"]))
    assert len(new_events) == 1
    event = new_events[0]
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        EVENT_ACTION[step],
        user,
        state,
        expected["status"],
    )
    assert event.revision is not None
    assert Version.objects.get_for_object(answer).count() == before["versions"] + 1
    if step in TRANSITIONS:
        assert event.comment == COMMENT
        assert event.revision.get_comment() == f"{LABEL[step]}: {COMMENT}"
    if step == "approve":
        assert answer.approved.text == answer.text
        assert answer.approved.approved_by == user


def test_unknown_or_incomplete_step_changes_nothing(client, answer, people):
    put_in_state(answer, Status.DRAFT, people)
    client.force_login(people["superuser"])
    before = snapshot(answer)

    unknown = post_step(client, answer, "publish")
    incomplete = client.post(workflow_url(answer), {}, follow=True)

    assert errors_of(unknown) == ["Unknown step 'publish'."]
    assert errors_of(incomplete) == ["The request was incomplete; nothing was changed."]
    assert snapshot(answer) == before
    assert client.get(workflow_url(answer)).status_code == 405


# --- four-eyes ------------------------------------------------------------------------


def test_editor_reviewer_who_edited_in_the_admin_cannot_review_it(
    client, answer, editor_reviewer, reviewer, reviewer2
):
    client.force_login(editor_reviewer)
    admin_edit(client, answer, new_sources=[a_source()], text=answer.text + " Edited.")
    answer.refresh_from_db()
    assert answer.editor == editor_reviewer
    assert answer.events.filter(action="edit", actor=editor_reviewer).exists()

    named = post_step(client, answer, "submit", reviewer=editor_reviewer.pk)
    assert errors_of(named) == [
        "both edited this answer since its last approval and cannot review it."
    ]
    assert Answer.objects.get(pk=answer.pk).status == Status.DRAFT

    picked = post_step(client, answer, "submit")
    answer.refresh_from_db()
    assert successes_of(picked) == [f"{answer}: submitted to reviewer {answer.reviewer}."]
    assert answer.status == Status.IN_REVIEW
    assert answer.reviewer in {reviewer, reviewer2}
    assert "approve" not in buttons(client.get(change_url(answer)))
    before = snapshot(answer)

    refused = post_step(client, answer, "approve")

    assert errors_of(refused) == [
        f"This answer is assigned to {answer.reviewer}; "
        "only the assigned reviewer can decide on it."
    ]
    assert snapshot(answer) == before


def test_editor_reviewer_with_approve_any_is_still_bound_by_four_eyes(
    client, answer, editor_reviewer, reviewer
):
    editor_reviewer.user_permissions.add(Permission.objects.get(codename="approve_any_answer"))
    client.force_login(editor_reviewer)
    admin_edit(client, answer, new_sources=[a_source()], text=answer.text + " Edited.")
    post_step(client, answer, "submit")
    answer.refresh_from_db()
    assert (answer.status, answer.reviewer) == (Status.IN_REVIEW, reviewer)
    four_eyes = "You edited this answer since its last approval; another reviewer must approve it."

    page = client.get(change_url(answer))
    assert "approve" not in buttons(page)
    assert "request_changes" in buttons(page)
    assert escape(four_eyes) in page.content.decode()
    before = snapshot(answer)

    response = post_step(client, answer, "approve", comment="Looks right to me.")

    assert errors_of(response) == [four_eyes]
    assert snapshot(answer) == before

    # Another reviewer may approve; the four-eyes rule is about people, not the answer.
    client.force_login(reviewer)
    approved = successes_of(post_step(client, answer, "approve"))
    assert approved == [f"{answer}: approved version {answer.version}; it is now the exported one."]
    assert Answer.objects.get(pk=answer.pk).status == Status.APPROVED


@pytest.mark.parametrize("bypass", [False, True])
def test_superuser_is_bound_by_four_eyes_unless_the_setting_relaxes_it(
    client, answer, superuser, reviewer, settings, bypass
):
    settings.EDITORIAL_SUPERUSER_BYPASSES_FOUR_EYES = bypass
    client.force_login(superuser)
    admin_edit(client, answer, new_sources=[a_source()], text=answer.text + " Edited.")
    post_step(client, answer, "submit")
    answer.refresh_from_db()
    assert (answer.status, answer.reviewer) == (Status.IN_REVIEW, reviewer)
    assert ("approve" in buttons(client.get(change_url(answer)))) is bypass
    before = snapshot(answer)

    response = post_step(client, answer, "approve")

    answer.refresh_from_db()
    if bypass:
        assert successes_of(response) == [
            f"{answer}: approved version {answer.version}; it is now the exported one."
        ]
        assert answer.status == Status.APPROVED
        assert answer.approved.approved_by == superuser
    else:
        assert errors_of(response) == [
            "You edited this answer since its last approval; another reviewer must approve it."
        ]
        assert snapshot(answer) == before


# --- request changes needs a comment -------------------------------------------------------


@pytest.mark.parametrize("comment", ["", "   \n "])
def test_request_changes_without_a_comment_is_refused(client, answer, people, comment):
    put_in_state(answer, Status.IN_REVIEW, people)
    client.force_login(people["reviewer"])
    before = snapshot(answer)

    response = post_step(client, answer, "request_changes", comment=comment)

    assert errors_of(response) == ["“Request changes” needs a comment saying what to change."]
    assert snapshot(answer) == before


def test_request_changes_comment_shows_in_the_event_log(client, answer, people):
    put_in_state(answer, Status.IN_REVIEW, people)
    client.force_login(people["reviewer"])
    comment = "Which agreement? Cite the MOU & its year."
    assert escape(comment) not in event_log(client.get(change_url(answer)))

    response = post_step(client, answer, "request_changes", comment=comment)

    answer.refresh_from_db()
    assert answer.status == Status.CHANGES_REQUESTED
    log = event_log(response)
    assert escape(comment) in log
    assert "Changes requested" in log
    client.force_login(people["editor"])
    assert escape(comment) in event_log(client.get(change_url(answer)))


# --- content is read-only in review; editing an approved answer keeps the approval -----------


def test_in_review_answer_is_read_only_for_its_editor(client, answer, people):
    put_in_state(answer, Status.DRAFT, people)
    client.force_login(people["editor"])
    assert 'name="text"' in client.get(change_url(answer)).content.decode()
    workflow.submit(answer, people["editor"])
    before = snapshot(answer)

    page = client.get(change_url(answer))
    html = page.content.decode()
    assert page.status_code == 200
    assert not re.search(r'<textarea[^>]*name="text"', html)
    assert not re.search(r'<textarea[^>]*name="question"', html)
    assert "withdraw" in buttons(page)

    response = client.post(change_url(answer), change_form_data(answer, text="Sneaky edit."))

    # Refused inside the admin, not on a bare 403: the reason, and the typing to copy.
    assert response.status_code == 200
    assert errors_of(response) == [
        "The answer is in review and read-only; withdraw it to draft to edit it."
    ]
    assert ">Sneaky edit.</textarea>" in response.content.decode()
    assert snapshot(answer) == before
    assert Answer.objects.get(pk=answer.pk).text != "Sneaky edit."


def test_another_editor_cannot_post_the_change_form(client, answer, people):
    put_in_state(answer, Status.DRAFT, people)
    client.force_login(people["editor2"])
    before = snapshot(answer)

    page = client.get(change_url(answer))
    assert page.status_code == 200
    assert not re.search(r'<textarea[^>]*name="text"', page.content.decode())
    response = client.post(change_url(answer), change_form_data(answer, text="Not mine."))

    assert response.status_code == 200
    assert errors_of(response) == [
        "editor is the editor of this answer; ask a managing editor to reassign it."
    ]
    assert ">Not mine.</textarea>" in response.content.decode()
    assert snapshot(answer) == before


def test_a_source_must_be_a_web_link(client, answer, people):
    put_in_state(answer, Status.DRAFT, people)
    client.force_login(people["editor"])
    before = snapshot(answer)

    response = client.post(
        change_url(answer),
        change_form_data(answer, new_sources=[a_source(url="javascript:alert(1)")]),
    )

    assert response.status_code == 200  # the form again, with the error
    assert response.context["errors"]
    assert snapshot(answer) == before


def test_editing_an_approved_answer_in_the_admin_sends_it_to_draft(client, answer, people):
    put_in_state(answer, Status.APPROVED, people)
    approved_text, approved_version = answer.text, answer.version
    client.force_login(people["editor"])
    assert 'name="text"' in client.get(change_url(answer)).content.decode()

    admin_edit(client, answer, text="A corrected answer, with a source.")

    answer.refresh_from_db()
    assert answer.status == Status.DRAFT
    assert answer.text == "A corrected answer, with a source."
    assert answer.version == approved_version + 1
    assert (answer.approved.text, answer.approved.version) == (approved_text, approved_version)
    event = answer.events.order_by("-id").first()
    assert (event.action, event.from_status, event.to_status) == (
        WorkflowEvent.Action.EDIT,
        Status.APPROVED,
        Status.DRAFT,
    )
    page = client.get(change_url(answer)).content.decode()
    assert f"Approved version v{approved_version}" in page
    assert "until a new approval" in page


def test_saving_an_unchanged_form_is_not_an_edit(client, answer, people):
    put_in_state(answer, Status.APPROVED, people)
    client.force_login(people["editor"])
    before = snapshot(answer)

    admin_edit(client, answer)

    assert snapshot(answer) == before


# --- bulk actions ----------------------------------------------------------------------


ACTIONS = {
    "editor": {"claim_selected", "submit_selected", "withdraw_selected"},
    "reviewer": {"approve_selected", "request_changes_selected"},
    "managing": {
        "assign_reviewer_selected",
        "balance_reviewers",
        "archive_selected",
        "restore_selected",
    },
}
ACTIONS["editor2"] = ACTIONS["editor"]
ACTIONS["reviewer2"] = ACTIONS["reviewer"]
ACTIONS["superuser"] = set().union(*ACTIONS.values())


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_action_dropdown_lists_only_the_roles_actions(client, seeds, people, role):
    client.force_login(people[role])

    response = client.get(CHANGELIST)

    assert response.status_code == 200
    assert action_choices(response) == ACTIONS[role]


def test_editor_reviewer_gets_both_sets_of_actions(client, seeds, editor_reviewer):
    client.force_login(editor_reviewer)

    assert action_choices(client.get(CHANGELIST)) == ACTIONS["editor"] | ACTIONS["reviewer"]


@pytest.mark.parametrize(
    ("role", "action", "state"),
    [
        ("editor", "approve_selected", Status.IN_REVIEW),
        ("reviewer", "archive_selected", Status.IN_REVIEW),
        ("reviewer", "balance_reviewers", Status.DRAFT),
        ("managing", "submit_selected", Status.DRAFT),
        ("managing", "withdraw_selected", Status.IN_REVIEW),
        ("editor", "assign_reviewer_selected", Status.DRAFT),
        ("editor", "restore_selected", Status.ARCHIVED),
    ],
)
def test_an_action_not_offered_cannot_be_posted(client, answer, people, role, action, state):
    put_in_state(answer, state, people)
    client.force_login(people[role])
    before = snapshot(answer)

    response = bulk(client, action, [answer], confirm="yes", comment=COMMENT)

    assert response.status_code == 200
    assert (levels.WARNING, "No action selected.") in messages_of(response)
    assert snapshot(answer) == before


def test_outsider_cannot_post_an_action(client, answer, people):
    put_in_state(answer, Status.IN_REVIEW, people)
    client.force_login(people["outsider"])
    before = snapshot(answer)

    assert bulk(client, "approve_selected", [answer], follow=False).status_code == 403
    assert snapshot(answer) == before


def test_bulk_approve_reports_each_answer(client, seeds, people, settings):
    editor, reviewer, reviewer2 = people["editor"], people["reviewer"], people["reviewer2"]
    approvable, no_source, elsewhere, draft, hedged = ma(2), ma(3), ma(4), ma(6), ma(1)
    for item in (approvable, elsewhere, draft, hedged):
        workflow.edit(item, user=editor, sources=[a_source()])
    workflow.edit(hedged, user=editor, text=flags.HEDGE_RE.sub("Per the record", hedged.text))
    settle_claims(hedged, editor)
    workflow.edit(no_source, user=editor, text=no_source.text + " Checked.")
    # Submitting refuses what approval would refuse, so these two reach review before the
    # rules grew stricter: the source rule switched on, the hedge check widened.
    settings.EDITORIAL_REQUIRE_SOURCE_FOR_APPROVAL = False
    for item in (approvable, no_source, hedged):
        workflow.submit(item, editor, reviewer=reviewer)
    settings.EDITORIAL_REQUIRE_SOURCE_FOR_APPROVAL = True
    Answer.objects.filter(pk=hedged.pk).update(flags="hedge", flag_level=FlagLevel.BLOCKING)
    workflow.submit(elsewhere, editor, reviewer=reviewer2)
    everything = [approvable, no_source, elsewhere, draft, hedged]
    refused = [no_source, elsewhere, draft, hedged]
    before = {item.pk: snapshot(item) for item in refused}
    client.force_login(reviewer)

    shown = bulk(client, "approve_selected", everything)  # first, what would be approved
    assert shown.status_code == 200
    assert shown.content.decode().count('class="content-diff"') == len(everything)
    assert snapshot(approvable)["row"]["status"] == Status.IN_REVIEW
    response = bulk(client, "approve_selected", everything, confirm="yes")

    assert successes_of(response) == [f"Approve: 1 answer(s) done: {approvable}."]
    assert sorted(errors_of(response)) == sorted(
        [
            f"Approve refused for {no_source}: The answer cannot be approved: "
            "it has no source; add at least one.",
            f"Approve refused for {elsewhere}: This answer is assigned to reviewer2; "
            "only the assigned reviewer can decide on it.",
            f"Approve refused for {draft}: “Approve” is not possible while the answer is draft.",
            f"Approve refused for {hedged}: The answer cannot be approved: "
            "it is flagged “LLM self-reference or knowledge-cutoff hedge”.",
        ]
    )
    approvable.refresh_from_db()
    assert approvable.status == Status.APPROVED
    assert approvable.approved.text == approvable.text
    assert approvable.events.filter(action="approve", actor=reviewer).count() == 1
    for item in refused:
        assert snapshot(item) == before[item.pk]


def test_bulk_approve_acts_only_on_the_versions_its_page_showed(client, seeds, people):
    editor, reviewer = people["editor"], people["reviewer"]
    seen, changed = ma(2), ma(3)
    for item in (seen, changed):
        put_in_state(item, Status.IN_REVIEW, people)
    client.force_login(reviewer)
    shown = bulk(client, "approve_selected", [seen, changed])
    carried = re.search(r'name="loaded_versions" value="([\d:,]+)"', shown.content.decode())
    page_versions = dict(pair.split(":") for pair in carried.group(1).split(","))
    assert page_versions == {str(seen.pk): str(seen.version), str(changed.pk): str(changed.version)}
    workflow.withdraw(changed, editor)
    workflow.edit(changed, user=editor, text="Rewritten while the reviewer looked.")
    workflow.submit(changed, editor, reviewer=reviewer)
    before = snapshot(changed)

    payload = {
        "action": "approve_selected",
        "_selected_action": [str(seen.pk), str(changed.pk)],
        "confirm": "yes",
        "step": "approve_selected",
        "comment": "",
        "loaded_versions": carried.group(1),
    }
    response = client.post(CHANGELIST, payload, follow=True)

    assert successes_of(response) == [f"Approve: 1 answer(s) done: {seen}."]
    [refusal] = errors_of(response)
    assert refusal.startswith(f"Approve refused for {changed}: Someone else saved this answer")
    assert snapshot(changed) == before
    seen.refresh_from_db()
    assert seen.status == Status.APPROVED


def test_select_all_moves_along_answers_the_list_never_showed(client, seeds, people):
    # "Select all 40" from a page of 25: archiving needs no look at the content, so the
    # answers not shown are archived as they are, each under its rules and lock.
    client.force_login(people["managing"])
    shown = list(Answer.objects.order_by("document__name", "position")[:25])
    payload = {
        "action": "archive_selected",
        "_selected_action": [str(a.pk) for a in shown],
        "select_across": "1",
        **{f"loaded_version_{a.pk}": str(a.version) for a in shown},
    }

    response = client.post(CHANGELIST, payload, follow=True)

    assert successes_of(response)[0].startswith("Archive: 40 answer(s) done: ")
    assert not Answer.objects.exclude(status=Status.ARCHIVED).exists()


def test_select_all_approve_shows_every_answer_and_carries_every_version(client, seeds, people):
    reviewer = people["reviewer"]
    for position in (2, 3, 4):
        put_in_state(ma(position), Status.IN_REVIEW, people)
    client.force_login(reviewer)
    payload = {
        "action": "approve_selected",
        "_selected_action": [str(ma(2).pk)],
        "select_across": "1",
        f"loaded_version_{ma(2).pk}": str(ma(2).version),
    }

    page = client.post(CHANGELIST + "?status__exact=in_review", payload)

    html = page.content.decode()
    assert html.count('class="content-diff"') == 3
    carried = re.search(r'name="loaded_versions" value="([\d:,]+)"', html).group(1)
    assert sorted(carried.split(",")) == sorted(f"{ma(n).pk}:{ma(n).version}" for n in (2, 3, 4))
    assert Answer.objects.filter(status=Status.IN_REVIEW).count() == 3  # until confirmed
    # The confirmation posts back "select all" and the versions, not an id per answer.
    assert html.count('name="_selected_action"') == 1  # Django's admin wants one
    assert '<input type="hidden" name="select_across" value="1">' in html
    confirm = {
        "action": "approve_selected",
        "select_across": "1",
        "_selected_action": str(ma(2).pk),
        "confirm": "yes",
        "step": "approve_selected",
        "comment": "",
        "loaded_versions": carried,
    }
    done = client.post(CHANGELIST + "?status__exact=in_review", confirm, follow=True)
    assert successes_of(done)[0].startswith("Approve: 3 answer(s) done: ")
    assert Answer.objects.filter(status=Status.APPROVED).count() == 3


def test_bulk_actions_without_the_versions_shown_change_nothing(client, answer, people):
    put_in_state(answer, Status.DRAFT, people)
    client.force_login(people["managing"])
    before = snapshot(answer)

    response = client.post(
        CHANGELIST,
        {"action": "archive_selected", "_selected_action": [str(answer.pk)]},
        follow=True,
    )

    assert errors_of(response) == [
        f"Archive refused for {answer}: The page did not say which version of this answer "
        "it showed; reload it and try again."
    ]
    assert snapshot(answer) == before


def test_bulk_approve_pins_the_time_and_revision_of_the_approval(client, answer, people):
    # Each answer of a bulk action gets its own revision and event, as a single step does.
    put_in_state(answer, Status.IN_REVIEW, people)
    client.force_login(people["reviewer"])

    bulk(client, "approve_selected", [answer], confirm="yes")

    answer.refresh_from_db()
    event = answer.events.get(action="approve")
    assert answer.approved.approved_at == event.created_at
    assert answer.approved.revision_id == event.revision_id
    version = Version.objects.get_for_object(answer).get(revision=answer.approved.revision)
    assert version.field_dict["status"] == Status.APPROVED


def test_single_approve_pins_the_time_and_revision_of_the_approval(client, answer, people):
    # The same check through the answer page, where it holds.
    put_in_state(answer, Status.IN_REVIEW, people)
    client.force_login(people["reviewer"])

    post_step(client, answer, "approve")

    answer.refresh_from_db()
    event = answer.events.get(action="approve")
    assert answer.approved.approved_at == event.created_at
    assert answer.approved.revision_id == event.revision_id


# --- bulk approve: the same result as one by one, in a few queries per batch --------------


def approvable(count: int) -> list[Answer]:
    """Answers that only lack a source to be approved, in reading order."""
    answers = Answer.objects.select_related("document").order_by("document__name", "position")
    return [a for a in answers if not {"hedge", "empty"} & set(a.flag_codes)][:count]


def bulk_approve_scenario(settings, editor, reviewer, reviewer2, both) -> tuple[list, dict]:
    """Answers in every case a bulk approval meets, and the versions its page showed.

    Approvable ones (with one or two sources, one approved before and edited since), one
    assigned to another reviewer, a draft, one with no source, one `both` edited (four-eyes
    bars `both`), and one edited after the page showed it.
    """
    one, two, again, elsewhere, draft, sourceless, by_both, stale, last = approvable(9)
    for answer in (one, again, elsewhere, draft, stale, last):
        workflow.edit(answer, user=editor, sources=[a_source()])
    # A claim in `two`, linked to its second source: the batch pins and versions evidence.
    workflow.edit(
        two,
        user=editor,
        sources=[a_source(), a_source("https://example.org/y")],
        text=two.text + " Confirmed in 2024.",
    )
    workflow.settle_claim(
        two, user=editor, claim="2024", kind="source",
        source_id=two.sources.order_by("id").last().pk, excerpt="Confirmed in 2024.",
    )  # fmt: skip
    settle_claims(elsewhere, editor)
    workflow.edit(sourceless, user=editor, text=sourceless.text + " Checked.")
    workflow.edit(by_both, user=both, sources=[a_source()], text=by_both.text + " Both.")
    workflow.submit(again, editor, reviewer=reviewer)
    workflow.approve(again, reviewer)
    workflow.edit(again, user=editor, text=again.text + " Revised.")
    settings.EDITORIAL_REQUIRE_SOURCE_FOR_APPROVAL = False  # it reached review before the rule
    workflow.submit(sourceless, editor, reviewer=reviewer)
    settings.EDITORIAL_REQUIRE_SOURCE_FOR_APPROVAL = True
    for answer in (one, two, again, stale, last):
        workflow.submit(answer, editor, reviewer=reviewer)
    workflow.submit(by_both, both, reviewer=reviewer)
    workflow.submit(elsewhere, editor, reviewer=reviewer2)
    answers = [one, two, again, elsewhere, draft, sourceless, by_both, stale, last]
    shown = dict(Answer.objects.filter(pk__in=[a.pk for a in answers]).values_list("pk", "version"))
    workflow.withdraw(stale, editor)
    workflow.edit(stale, user=editor, text="Rewritten while the reviewer looked.")
    workflow.submit(stale, editor, reviewer=reviewer)
    return answers, shown


def approval_state(answers: list[Answer]) -> dict:
    """Everything an approval writes, field by field, without ids and times that differ
    between two runs, but with the links between them (pin, event, revision, version)."""
    state = {}
    for answer in answers:
        row = Answer.objects.get(pk=answer.pk)
        events = list(row.events.select_related("revision").order_by("id"))
        approvals = [event for event in events if event.action == WorkflowEvent.Action.APPROVE]
        pin = ApprovedVersion.objects.filter(answer=row).first()
        versions = Version.objects.get_for_object(row).select_related("revision").order_by("id")
        latest = versions.last()
        state[row.pk] = {
            "row": {
                name: getattr(row, name)
                for name in (
                    "status",
                    "status_before_archive",
                    "editor_id",
                    "reviewer_id",
                    "version",
                    "question",
                    "text",
                    "flags",
                    "flag_level",
                )
            },  # fmt: skip
            "pin": pin
            and {
                "content": (pin.question, pin.text, pin.sources, pin.claims, pin.version),
                "approved_by": pin.approved_by_id,
                "at_its_event": pin.approved_at == approvals[-1].created_at,
                "in_its_revision": pin.revision_id == approvals[-1].revision_id,
            },
            "events": [
                (
                    e.action,
                    e.actor_id,
                    e.from_status,
                    e.to_status,
                    e.comment,
                    e.revision and (e.revision.comment, e.revision.user_id),
                )
                for e in events
            ],  # fmt: skip
            "versions": versions.count(),
            "latest_version": {
                "fields": {k: v for k, v in latest.field_dict.items() if k != "updated_at"},
                "sources": workflow.version_sources(latest),
                "revision": (latest.revision.comment, latest.revision.user_id),
                "objects_in_revision": latest.revision.version_set.count(),
                "is_the_approval": bool(approvals)
                and latest.revision_id == approvals[-1].revision_id,
            },
        }
    state["totals"] = [
        model.objects.count() for model in (Revision, Version, WorkflowEvent, ApprovedVersion)
    ]
    return state


class Undo(Exception):
    """Rolls back the one-by-one run so the bulk run starts from the same data."""


@pytest.mark.parametrize("approver", ["reviewer", "both"])
def test_bulk_approve_gives_exactly_what_one_by_one_approvals_give(
    client, seeds, people, editor_reviewer, settings, monkeypatch, mailoutbox,
    django_capture_on_commit_callbacks, approver,
):  # fmt: skip
    both = editor_reviewer
    both.user_permissions.add(Permission.objects.get(codename="approve_any_answer"))
    user = both if approver == "both" else people["reviewer"]
    answers, shown = bulk_approve_scenario(
        settings, people["editor"], people["reviewer"], people["reviewer2"], both
    )
    monkeypatch.setattr(workflow, "APPROVE_BATCH", 4)  # several batches, refusals in each

    with pytest.raises(Undo), transaction.atomic():
        one_by_one_refused = {}
        with django_capture_on_commit_callbacks(execute=True):
            for answer in answers:
                try:
                    workflow.approve(
                        answer, user, comment=COMMENT, expected_version=shown[answer.pk]
                    )
                except WorkflowError as error:
                    one_by_one_refused[str(answer)] = str(error)
        one_by_one = approval_state(answers)
        one_by_one_mails = [(m.subject, m.body, m.to) for m in mailoutbox]
        raise Undo
    mailoutbox.clear()
    assert approval_state(answers) != one_by_one  # rolled back: the bulk run starts afresh

    client.force_login(user)
    payload = {
        "action": "approve_selected",
        "_selected_action": [str(answer.pk) for answer in answers],
        "confirm": "yes",
        "step": "approve_selected",
        "comment": COMMENT,
        "loaded_versions": ",".join(f"{pk}:{version}" for pk, version in shown.items()),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CHANGELIST, payload, follow=True)

    bulk_refused = dict(
        error.removeprefix("Approve refused for ").split(": ", 1) for error in errors_of(response)
    )
    assert bulk_refused == one_by_one_refused
    assert approval_state(answers) == one_by_one
    assert [(m.subject, m.body, m.to) for m in mailoutbox] == one_by_one_mails
    # Not an empty comparison: approvals and each kind of refusal happened on both sides.
    one, two, again, elsewhere, draft, sourceless, by_both, stale, last = answers
    refused = [elsewhere if approver == "reviewer" else by_both, draft, sourceless, stale]
    assert sorted(bulk_refused) == sorted(str(answer) for answer in refused)
    [done_message] = successes_of(response)
    assert done_message.startswith("Approve: 5 answer(s) done: ")
    assert len(one_by_one_mails) == 5
    assert [claim["excerpt"] for claim in two.approved.claims] == ["Confirmed in 2024."]


def test_bulk_approve_makes_the_same_queries_at_any_size(
    client, seeds, people, django_assert_max_num_queries
):
    answers = approvable(14)
    for answer in answers:
        put_in_state(answer, Status.IN_REVIEW, people)
    client.force_login(people["reviewer"])
    counts = []
    for selected in (answers[:2], answers[2:]):
        payload = {
            "action": "approve_selected",
            "_selected_action": [str(answer.pk) for answer in selected],
            "confirm": "yes",
            "step": "approve_selected",
            "loaded_versions": ",".join(f"{a.pk}:{a.version}" for a in selected),
        }
        with django_assert_max_num_queries(BULK_APPROVE_QUERIES) as queries:
            response = client.post(CHANGELIST, payload)
        assert response.status_code == 302
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert Answer.objects.filter(status=Status.APPROVED).count() == 14


def test_the_bulk_approve_page_reads_the_same_queries_at_any_size(client, seeds, people):
    """The page showing each selected answer's changes (claims included) before approval."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    answers = approvable(14)
    for answer in answers:
        put_in_state(answer, Status.IN_REVIEW, people)
    client.force_login(people["reviewer"])
    counts = []
    for selected in (answers[:2], answers[2:]):
        payload = {
            "action": "approve_selected",
            "_selected_action": [str(answer.pk) for answer in selected],
        }
        with CaptureQueriesContext(connection) as queries:
            response = client.post(CHANGELIST, payload)
        assert response.status_code == 200 and b"loaded_versions" in response.content
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_select_all_approves_ten_thousand_answers_in_one_post(client, people):
    # The confirmation of "select all" posts a handful of fields, the versions its page
    # showed in one: no limit on the number of fields or the body size stops 10,000.
    editor, reviewer = people["editor"], people["reviewer"]
    documents = Document.objects.bulk_create(
        Document(name=f"bulk_{number:04d}.txt", content_hash="0" * 64, subject="Ohio",
                 imported_at=timezone.now())
        for number in range(500)
    )  # fmt: skip
    text = "The agency shares records only when a court order requires it."
    answers = Answer.objects.bulk_create(
        Answer(document=document, position=position, question=f"Question {position}?",
               text=text, imported_question=f"Question {position}?", imported_text=text,
               status=Status.IN_REVIEW, editor=editor, reviewer=reviewer)
        for document in documents
        for position in range(1, 21)
    )  # fmt: skip
    Source.objects.bulk_create(
        Source(answer=answer, url="https://example.org/x", title="T",
               accessed_on=datetime.date(2026, 11, 1))
        for answer in answers
    )  # fmt: skip
    client.force_login(reviewer)
    payload = {
        "action": "approve_selected",
        "select_across": "1",
        "_selected_action": str(answers[0].pk),
        "confirm": "yes",
        "step": "approve_selected",
        "comment": "",
        "loaded_versions": ",".join(f"{answer.pk}:{answer.version}" for answer in answers),
    }

    response = client.post(CHANGELIST + "?status__exact=in_review", payload)

    assert response.status_code == 302
    assert Answer.objects.filter(status=Status.APPROVED).count() == 10_000
    assert ApprovedVersion.objects.count() == 10_000
    assert WorkflowEvent.objects.filter(action="approve", actor=reviewer).count() == 10_000
    assert Revision.objects.filter(comment="Approve", user=reviewer).count() == 10_000
    assert Version.objects.count() == 20_000  # each answer and its source


# The admin's own (session, user, permissions, the changelist the action runs from, the
# selection), then a batch: a savepoint, the locked rows, their people, sources, claim
# evidence and events, the update, then one insert each of revisions, versions, events and
# pins.
BULK_APPROVE_QUERIES = 24


def test_bulk_request_changes_asks_for_a_comment_first(client, seeds, people):
    editor, reviewer = people["editor"], people["reviewer"]
    first, second = ma(2), ma(3)
    for item in (first, second):
        workflow.edit(item, user=editor, sources=[a_source()])
        workflow.submit(item, editor, reviewer=reviewer)
    before = {item.pk: snapshot(item) for item in (first, second)}
    client.force_login(reviewer)

    page = bulk(client, "request_changes_selected", [first, second])

    assert page.status_code == 200
    assert page.redirect_chain == []
    html = page.content.decode()
    assert "Request changes for these 2 answer(s)" in html
    assert re.search(r'<textarea[^>]*name="comment"[^>]*required', html)
    assert all(snapshot(item) == before[item.pk] for item in (first, second))

    no_comment = bulk(client, "request_changes_selected", [first, second], confirm="yes")

    assert errors_of(no_comment) == ["A comment is needed saying what to change."]
    assert "Request changes for these 2 answer(s)" in no_comment.content.decode()
    assert all(snapshot(item) == before[item.pk] for item in (first, second))

    done = bulk(client, "request_changes_selected", [first, second], confirm="yes", comment=COMMENT)

    assert successes_of(done) == [f"Request changes: 2 answer(s) done: {first}; {second}."]
    for item in (first, second):
        item.refresh_from_db()
        assert item.status == Status.CHANGES_REQUESTED
        event = item.events.get(action="request_changes")
        assert (event.actor, event.comment) == (reviewer, COMMENT)


def test_bulk_assign_reviewer_by_a_managing_editor(client, seeds, people):
    editor, managing, reviewer2 = people["editor"], people["managing"], people["reviewer2"]
    first, second, approved = ma(2), ma(3), ma(4)
    put_in_state(approved, Status.APPROVED, people)
    for item in (first, second):
        workflow.edit(item, user=editor, sources=[a_source()])
    client.force_login(managing)
    selected = [first, second, approved]

    page = bulk(client, "assign_reviewer_selected", selected)
    html = page.content.decode()
    assert page.redirect_chain == []
    assert '<select id="id_reviewer" name="reviewer" required>' in html
    assert f'<option value="{reviewer2.pk}">reviewer2</option>' in html
    assert Answer.objects.filter(pk__in=[first.pk, second.pk], reviewer__isnull=False).count() == 0

    nobody = bulk(client, "assign_reviewer_selected", selected, confirm="yes")
    assert errors_of(nobody) == ["Choose a reviewer, or use “Balance reviewers”."]
    assert Answer.objects.filter(pk__in=[first.pk, second.pk], reviewer__isnull=False).count() == 0

    done = bulk(client, "assign_reviewer_selected", selected, confirm="yes", reviewer=reviewer2.pk)

    assert successes_of(done) == [f"Assign reviewer: 2 answer(s) done: {first}; {second}."]
    assert errors_of(done) == [
        f"Assign reviewer refused for {approved}: Reviewers are assigned to answers "
        "still being worked on, not to approved ones."
    ]
    for item in (first, second):
        item.refresh_from_db()
        assert (item.reviewer, item.status) == (reviewer2, Status.DRAFT)
        event = item.events.get(action="assign")
        assert event.actor == managing
    assert Answer.objects.get(pk=approved.pk).reviewer == people["reviewer"]


def test_balance_picks_the_least_loaded_reviewer_who_has_not_edited(
    client, seeds, people, editor_reviewer
):
    editor, managing = people["editor"], people["managing"]
    reviewer, reviewer2 = people["reviewer"], people["reviewer2"]
    for position in (11, 12):  # reviewer has two open reviews
        workflow.edit(ma(position), user=editor, sources=[a_source()])
        workflow.submit(ma(position), editor, reviewer=reviewer)
    touched, untouched = ma(2), ma(3)
    workflow.edit(touched, user=editor_reviewer, text=touched.text + " Checked.")
    workflow.assign_editor(touched, managing, editor)  # still edited by "both" since import
    workflow.edit(untouched, user=editor, sources=[a_source()])
    client.force_login(managing)

    response = bulk(client, "balance_reviewers", [touched, untouched])

    assert successes_of(response) == [
        f"Balance reviewers: 2 answer(s) done: {touched}; {untouched}."
    ]
    touched.refresh_from_db()
    untouched.refresh_from_db()
    # "both" has no open review and sorts first, but edited `touched`; reviewer is loaded.
    assert touched.reviewer == reviewer2
    assert untouched.reviewer in {editor_reviewer, reviewer2}
    assert touched.events.get(action="assign").actor == managing


def test_balance_spreads_a_batch_of_drafts(client, seeds, people):
    editor, reviewer, reviewer2 = people["editor"], people["reviewer"], people["reviewer2"]
    drafts = [ma(position) for position in (2, 3, 4, 6)]
    for item in drafts:
        workflow.edit(item, user=editor, sources=[a_source()])
    client.force_login(people["managing"])

    bulk(client, "balance_reviewers", drafts)

    chosen = [Answer.objects.get(pk=item.pk).reviewer for item in drafts]
    assert None not in chosen
    assert sorted(r.username for r in chosen) == [
        "reviewer",
        "reviewer",
        "reviewer2",
        "reviewer2",
    ], (reviewer, reviewer2)


# --- history and versions ----------------------------------------------------------------


def _version_with(answer: Answer, **fields) -> Version:
    matches = [
        version
        for version in Version.objects.get_for_object(answer).order_by("pk")
        if all(version.field_dict[key] == value for key, value in fields.items())
    ]
    assert matches, fields
    return matches[-1]


def test_version_page_shows_the_old_content_read_only(client, answer, people):
    put_in_state(answer, Status.APPROVED, people)
    approved_text = answer.text
    workflow.edit(answer, user=people["editor"], text="A newer text.", sources=[])
    old = _version_with(answer, status=Status.APPROVED)
    client.force_login(people["editor"])
    history = client.get(history_url(answer))
    assert history.status_code == 200
    assert version_url(answer, old) in history.content.decode()
    before = snapshot(answer)

    page = client.get(version_url(answer, old))

    assert page.status_code == 200
    html = page.content.decode()
    assert escape(approved_text.splitlines()[0]) in html
    assert "A newer text." not in html
    assert "state Approved" in html
    assert "https://example.org/x" in html
    assert not re.search(r'<(textarea|input)[^>]*name="(text|question)"', html)
    assert 'value="Revert to this version"' in html
    assert snapshot(answer) == before


def test_revert_brings_back_content_not_state(client, answer, people):
    editor, reviewer = people["editor"], people["reviewer"]
    put_in_state(answer, Status.APPROVED, people)
    approved_text = answer.text
    workflow.edit(
        answer, user=editor, text="A newer text.", sources=[a_source("https://b.example/")]
    )
    workflow.submit(answer, editor)
    workflow.request_changes(answer, reviewer, comment="Go back to the approved wording.")
    old = _version_with(answer, status=Status.APPROVED)
    client.force_login(editor)
    before = snapshot(answer)

    response = client.post(version_url(answer, old), revert_form(answer), follow=True)

    assert successes_of(response) == [f"{answer}: reverted; it is a new version now."]
    answer.refresh_from_db()
    assert answer.text == approved_text
    assert answer.status == Status.CHANGES_REQUESTED  # not the old version's "approved"
    assert (answer.editor, answer.reviewer) == (editor, reviewer)
    assert answer.version == before["row"]["version"] + 1
    assert list(answer.sources.values_list("url", flat=True)) == ["https://example.org/x"]
    assert Version.objects.get_for_object(answer).count() == before["versions"] + 1
    event = answer.events.order_by("-id").first()
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        WorkflowEvent.Action.REVERT,
        editor,
        Status.CHANGES_REQUESTED,
        Status.CHANGES_REQUESTED,
    )
    assert answer.approved.text == approved_text


def test_revert_of_an_approved_answer_returns_it_to_draft(client, answer, people):
    editor = people["editor"]
    workflow.edit(answer, user=editor, sources=[a_source()])
    first = _version_with(answer, text=answer.text)
    workflow.edit(answer, user=editor, text="Second wording.")
    workflow.submit(answer, editor, reviewer=people["reviewer"])
    workflow.approve(answer, people["reviewer"])
    client.force_login(editor)

    client.post(version_url(answer, first), revert_form(answer))

    answer.refresh_from_db()
    assert answer.text == first.field_dict["text"]
    assert answer.status == Status.DRAFT
    assert answer.approved.text == "Second wording."


@pytest.mark.parametrize(
    ("role", "message"),
    [
        (
            "editor",
            "The answer is in review and read-only; withdraw it to draft to edit it.",
        ),
        ("reviewer", "Only editors can change questions, answers and sources."),
    ],
)
def test_revert_is_refused_while_in_review(client, answer, people, role, message):
    editor = people["editor"]
    workflow.edit(answer, user=editor, sources=[a_source()])
    old = _version_with(answer, text=answer.text)
    workflow.edit(answer, user=editor, text="Second wording.")
    workflow.submit(answer, editor, reviewer=people["reviewer"])
    client.force_login(people[role])
    before = snapshot(answer)

    page = client.get(version_url(answer, old))
    assert page.status_code == 200
    assert "Revert to this version" not in page.content.decode()
    response = client.post(version_url(answer, old), revert_form(answer), follow=True)

    assert errors_of(response) == [message]
    assert snapshot(answer) == before


def test_outsider_cannot_see_or_revert_a_version(client, answer, people):
    workflow.edit(answer, user=people["editor"], text="Second wording.")
    old = Version.objects.get_for_object(answer).order_by("pk").first()
    client.force_login(people["outsider"])
    before = snapshot(answer)

    assert client.get(version_url(answer, old)).status_code == 403
    assert client.post(version_url(answer, old), revert_form(answer)).status_code == 403
    assert snapshot(answer) == before


def test_version_from_a_bulk_action_holds_only_this_answers_sources(client, seeds, people):
    # Bulk actions make one revision per answer, so its version carries only its sources.
    editor, managing = people["editor"], people["managing"]
    mine, other = ma(2), ma(3)
    workflow.edit(mine, user=editor, sources=[a_source("https://mine.example/")])
    workflow.edit(other, user=editor, sources=[a_source("https://other.example/")])
    client.force_login(managing)
    bulk(client, "archive_selected", [mine, other])
    bulk(client, "restore_selected", [mine, other])
    assert set(
        Answer.objects.filter(pk__in=[mine.pk, other.pk]).values_list("status", flat=True)
    ) == {Status.DRAFT}
    workflow.edit(mine, user=editor, sources=[a_source("https://newer.example/")])
    archived = _version_with(mine, status=Status.ARCHIVED)
    client.force_login(editor)

    page = client.get(version_url(mine, archived)).content.decode()
    client.post(version_url(mine, archived), revert_form(mine))

    assert "https://mine.example/" in page
    assert "https://other.example/" not in page
    assert list(mine.sources.values_list("url", flat=True)) == ["https://mine.example/"]
    assert list(other.sources.values_list("url", flat=True)) == ["https://other.example/"]


def test_revert_to_a_reimport_version_touches_only_this_answer(client, seeds, people, tmp_path):
    editor = people["editor"]
    mine, other = ma(2), ma(3)
    workflow.edit(mine, user=editor, sources=[a_source("https://mine.example/")])
    workflow.edit(other, user=editor, sources=[a_source("https://other.example/")])
    # The machine text of both changes upstream: both edited answers get a conflict,
    # recorded in one revision of the re-import.
    seed = seeds[0].name
    text = (FIXTURES / seed).read_text(encoding="utf-8")
    changed = text.replace(mine.imported_text, mine.imported_text + " Updated.").replace(
        other.imported_text, other.imported_text + " Updated."
    )
    assert changed != text
    (tmp_path / seed).write_text(changed, encoding="utf-8")
    assert import_paths([tmp_path / seed]).total("conflicting") == 2
    reimported = Version.objects.get_for_object(mine).order_by("-pk").first()
    assert reimported.revision.version_set.filter(object_id=str(other.pk)).exists()
    workflow.edit(mine, user=editor, sources=[a_source("https://newer.example/")])
    other_before = snapshot(other)
    client.force_login(editor)

    page = client.get(version_url(mine, reimported)).content.decode()
    client.post(version_url(mine, reimported), revert_form(mine))

    assert "https://mine.example/" in page
    assert "https://other.example/" not in page
    assert list(mine.sources.values_list("url", flat=True)) == ["https://mine.example/"]
    assert snapshot(other) == other_before


# --- quality flags ----------------------------------------------------------------------


def test_change_page_highlights_the_hedge(client, seeds, people):
    hedged = ma(1)
    client.force_login(people["editor"])

    html = client.get(change_url(hedged)).content.decode()

    assert '<mark class="flag-hedge">As of my knowledge cutoff</mark> in September' in html
    assert '<mark class="flag-hedge">as of my last update</mark>' in html
    assert '<span class="flag flag-blocking"' in html


def test_list_shows_flags_and_filters_on_them(client, answer, people):
    workflow.edit(answer, user=people["editor"], sources=[a_source()])
    answer.refresh_from_db()
    assert answer.flag_level != FlagLevel.BLOCKING
    hedged = ma(1)
    client.force_login(people["editor"])

    everything = client.get(CHANGELIST)
    html = everything.content.decode()
    assert re.search(r'<th scope="col" class="[^"]*\bcolumn-flag_list\b', html)
    assert (
        '<span class="flag flag-blocking" title="Blocking: LLM self-reference or '
        'knowledge-cutoff hedge"><span class="flag-level">✖</span> Hedge</span>'
    ) in html
    assert everything.context["cl"].result_count == 40

    blocking = client.get(CHANGELIST, {"flag": "blocking"})
    shown = {a.pk for a in blocking.context["cl"].result_list}
    assert blocking.context["cl"].result_count == 39
    assert hedged.pk in shown
    assert answer.pk not in shown
    assert shown == set(
        Answer.objects.filter(flag_level=FlagLevel.BLOCKING).values_list("pk", flat=True)
    )

    hedges = client.get(CHANGELIST, {"flag": "hedge"})
    shown = {a.pk for a in hedges.context["cl"].result_list}
    assert hedged.pk in shown
    assert answer.pk not in shown
    assert all("hedge" in a.flag_codes for a in hedges.context["cl"].result_list)


def test_user_text_is_escaped_everywhere(client, answer, people):
    editor, reviewer = people["editor"], people["reviewer"]
    client.force_login(editor)
    admin_edit(
        client,
        answer,
        question=f"Does the RMV share {XSS} data?",
        text=f"It does not. {XSS} It did not in 2004 either.",
        new_sources=[a_source(title=f"Title {XSS}", excerpt=f"Quote {XSS}")],
    )
    client.post(
        reverse("admin:editorial_answer_claims", args=[answer.pk]),
        {"claim": "2004", "action": "link", "source": answer.sources.get().pk,
         "excerpt": f"Excerpt {XSS}", "loaded_version": Answer.objects.get(pk=answer.pk).version},
    )  # fmt: skip
    assert answer.claim_evidence.get().excerpt == f"Excerpt {XSS}"
    post_step(client, answer, "submit", comment=f"Please look {XSS}", reviewer=reviewer.pk)
    client.force_login(reviewer)
    post_step(client, answer, "request_changes", comment=f"Fix {XSS}")
    answer.refresh_from_db()
    assert XSS in answer.question and XSS in answer.text
    edited = _version_with(answer, text=answer.text, status=Status.DRAFT)
    client.force_login(editor)

    pages = {
        "change": client.get(change_url(answer)),
        "list": client.get(CHANGELIST),
        "search": client.get(CHANGELIST, {"q": "script"}),
        "history": client.get(history_url(answer)),
        "version": client.get(version_url(answer, edited)),
    }

    for name, response in pages.items():
        html = response.content.decode()
        assert response.status_code == 200, name
        assert XSS not in html, name
        assert XSS_ESCAPED in html, name
    change = pages["change"].content.decode()
    assert change.count(XSS_ESCAPED) >= 4  # question, text, flagged text, comments
    assert f"Fix {XSS_ESCAPED}" in event_log(pages["change"])
    assert f"<blockquote>Excerpt {XSS_ESCAPED}</blockquote>" in change  # the claims panel
    assert f"Please look {XSS_ESCAPED}" in pages["history"].content.decode()
    assert f"Title {XSS_ESCAPED}" in pages["version"].content.decode()
    assert f"Quote {XSS_ESCAPED}" in pages["version"].content.decode()


# --- notifications -----------------------------------------------------------------------


def test_submit_emails_the_reviewer(
    client, answer, people, mailoutbox, django_capture_on_commit_callbacks
):
    put_in_state(answer, Status.DRAFT, people)
    client.force_login(people["editor"])

    with django_capture_on_commit_callbacks(execute=True):
        post_step(client, answer, "submit", comment="Ready.")

    assert [m.to for m in mailoutbox] == [["reviewer@example.org"]]
    assert mailoutbox[0].subject == f"Review requested: {answer}"
    assert "Ready." in mailoutbox[0].body


def test_submit_to_a_named_reviewer_emails_that_reviewer(
    client, answer, people, mailoutbox, django_capture_on_commit_callbacks
):
    put_in_state(answer, Status.DRAFT, people)
    client.force_login(people["editor"])

    with django_capture_on_commit_callbacks(execute=True):
        post_step(client, answer, "submit", reviewer=people["reviewer2"].pk)

    answer.refresh_from_db()
    assert (answer.status, answer.reviewer) == (Status.IN_REVIEW, people["reviewer2"])
    assert [m.to for m in mailoutbox] == [["reviewer2@example.org"]]


def test_request_changes_emails_the_editor(
    client, answer, people, mailoutbox, django_capture_on_commit_callbacks
):
    put_in_state(answer, Status.IN_REVIEW, people)
    client.force_login(people["reviewer"])

    with django_capture_on_commit_callbacks(execute=True):
        post_step(client, answer, "request_changes", comment=COMMENT)

    assert [m.to for m in mailoutbox] == [["editor@example.org"]]
    assert mailoutbox[0].subject == f"Changes requested: {answer}"
    assert COMMENT in mailoutbox[0].body


def test_approve_emails_the_editor(
    client, answer, people, mailoutbox, django_capture_on_commit_callbacks
):
    put_in_state(answer, Status.IN_REVIEW, people)
    client.force_login(people["reviewer"])

    with django_capture_on_commit_callbacks(execute=True):
        post_step(client, answer, "approve")

    assert [m.to for m in mailoutbox] == [["editor@example.org"]]
    assert mailoutbox[0].subject == f"Approved: {answer}"


@pytest.mark.parametrize(
    ("role", "step", "state"),
    [
        ("reviewer2", "approve", Status.IN_REVIEW),
        ("reviewer", "request_changes", Status.IN_REVIEW),  # no comment
        ("editor2", "submit", Status.DRAFT),
    ],
)
def test_a_refused_step_sends_no_email(
    client, answer, people, mailoutbox, django_capture_on_commit_callbacks, role, step, state
):
    put_in_state(answer, state, people)
    client.force_login(people[role])

    with django_capture_on_commit_callbacks(execute=True):
        response = post_step(client, answer, step)

    assert len(errors_of(response)) == 1
    assert mailoutbox == []
