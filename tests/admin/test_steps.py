"""The workflow's buttons over real HTTP: the change page offers exactly what the rules allow,
every step by every role from every state posted to the workflow view, four-eyes, comments.

The expected outcomes are the SPEC's (tests/spec.py), written down independently of the
rules in editorial/workflow/."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.utils.html import escape
from django.utils.text import capfirst
from reversion.models import Version

from editorial import workflow
from editorial.models import (
    Answer,
    Status,
    WorkflowEvent,
)
from tests.admin.conftest import COMMENT
from tests.conftest import (
    CHANGELIST,
    a_source,
    admin_edit,
    buttons,
    change_url,
    errors_of,
    event_log,
    history_url,
    post_step,
    put_in_state,
    settle_claims,
    snapshot,
    successes_of,
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


def test_editor_reviewer_who_edited_in_the_admin_cannot_review_it(
    client, answer, editor_reviewer, reviewer, reviewer2
):
    client.force_login(editor_reviewer)
    admin_edit(client, answer, new_sources=[a_source()], text=answer.text + " Edited.")
    answer.refresh_from_db()
    settle_claims(answer, editor_reviewer)
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
    settle_claims(answer, editor_reviewer)
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
    settle_claims(answer, superuser)
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
