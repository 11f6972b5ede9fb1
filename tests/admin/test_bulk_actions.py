"""The answer list's actions over real HTTP: only the role's own, each answer through the
workflow at the version the page showed, refusals reported one by one."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import constants as levels
from reversion.models import Version

from editorial import flags, workflow
from editorial.models import Answer, FlagLevel, Status
from tests.admin.conftest import COMMENT
from tests.conftest import (
    CHANGELIST,
    a_source,
    action_choices,
    bulk,
    errors_of,
    ma,
    messages_of,
    post_step,
    put_in_state,
    settle_claims,
    snapshot,
    successes_of,
)
from tests.spec import STAFF_ROLES

ACTIONS = {
    "editor": {"claim_selected", "submit_selected", "withdraw_selected"},
    "reviewer": {"approve_selected", "request_changes_selected"},
    "managing": {
        "assign_reviewer_selected",
        "balance_reviewers",
        "assign_editor_selected",
        "balance_editors",
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
        ("editor", "assign_editor_selected", Status.DRAFT),
        ("reviewer", "balance_editors", Status.DRAFT),
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
    workflow.edit(no_source, user=editor, text=no_source.text + " Checked.")
    for item in (approvable, no_source, elsewhere, hedged):
        settle_claims(item, editor)
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

    assert successes_of(response) == [f"Approve: 1 answer done: {approvable}."]
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

    assert successes_of(response) == [f"Approve: 1 answer done: {seen}."]
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

    assert successes_of(response)[0].startswith("Archive: 40 answers done: ")
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
    assert successes_of(done)[0].startswith("Approve: 3 answers done: ")
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


def test_bulk_request_changes_asks_for_a_comment_first(client, seeds, people):
    editor, reviewer = people["editor"], people["reviewer"]
    first, second = ma(2), ma(3)
    for item in (first, second):
        workflow.edit(item, user=editor, sources=[a_source()])
        settle_claims(item, editor)
        workflow.submit(item, editor, reviewer=reviewer)
    before = {item.pk: snapshot(item) for item in (first, second)}
    client.force_login(reviewer)

    page = bulk(client, "request_changes_selected", [first, second])

    assert page.status_code == 200
    assert page.redirect_chain == []
    html = page.content.decode()
    assert "Request changes for these 2 answers" in html
    assert re.search(r'<textarea[^>]*name="comment"[^>]*required', html)
    assert all(snapshot(item) == before[item.pk] for item in (first, second))

    no_comment = bulk(client, "request_changes_selected", [first, second], confirm="yes")

    assert errors_of(no_comment) == ["A comment is needed saying what to change."]
    assert "Request changes for these 2 answers" in no_comment.content.decode()
    assert all(snapshot(item) == before[item.pk] for item in (first, second))

    done = bulk(client, "request_changes_selected", [first, second], confirm="yes", comment=COMMENT)

    assert successes_of(done) == [f"Request changes: 2 answers done: {first}; {second}."]
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

    assert successes_of(done) == [f"Assign reviewer: 2 answers done: {first}; {second}."]
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
        settle_claims(ma(position), editor)
        workflow.submit(ma(position), editor, reviewer=reviewer)
    touched, untouched = ma(2), ma(3)
    workflow.edit(touched, user=editor_reviewer, text=touched.text + " Checked.")
    workflow.assign_editor(touched, managing, editor)  # still edited by "both" since import
    workflow.edit(untouched, user=editor, sources=[a_source()])
    client.force_login(managing)

    response = bulk(client, "balance_reviewers", [touched, untouched])

    assert successes_of(response) == [f"Balance reviewers: 2 answers done: {touched}; {untouched}."]
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
