"""Review quality on the managing editor's home: figures from a scripted history through the
real workflow and real HTTP, against values computed by hand; each figure's link lists
exactly its answers; openings recorded only for the reviewer deciding."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from editorial import workflow
from editorial.insights import review_quality
from editorial.models import ReviewDecision, ReviewOpening, WorkflowEvent
from tests.conftest import a_source, change_url, ma
from tests.insights.conftest import submit

pytestmark = pytest.mark.django_db
HOME = "/admin/"
LIST = reverse("admin:editorial_answer_changelist")


def open_for_review(client, user, answer) -> None:
    """The reviewer opens the answer's page, as they do to review it."""
    client.force_login(user)
    assert client.get(change_url(answer)).status_code == 200


def opened_before_deciding(answer, reviewer, minutes: float) -> None:
    """Set the recorded opening `minutes` back, just before the reviewer decides: the decision
    comes that long after it (the seconds the step takes stay inside the minute shown).

    Before the decision, not after: a decision's facts are kept as it is taken."""
    opening = ReviewOpening.objects.filter(answer=answer, reviewer=reviewer).latest("id")
    ReviewOpening.objects.filter(pk=opening.pk).update(
        opened_at=timezone.now() - timedelta(minutes=minutes)
    )


@pytest.fixture
def history(client, seeds, people):
    """Two reviewers' decisions, with the times between opening and deciding set by hand.

    reviewer:  A approved unchanged (10 min); B sent back (30 min), edited, approved (5 min);
               C edited to end mid-sentence (a warning), approved without being opened.
    reviewer2: D edited, approved (120 min); E sent back (60 min).
    """
    editor, r1, r2 = people["editor"], people["reviewer"], people["reviewer2"]
    a, b, c, d, e = ma(2), ma(3), ma(4), ma(5), ma(6)

    workflow.edit(a, user=editor, sources=[a_source()])  # sources only: the text as imported
    submit(a, editor, reviewer=r1)
    open_for_review(client, r1, a)
    opened_before_deciding(a, r1, 10)
    workflow.approve(a, r1)

    workflow.edit(b, user=editor, sources=[a_source()])
    submit(b, editor, reviewer=r1)
    open_for_review(client, r1, b)
    opened_before_deciding(b, r1, 30)
    workflow.request_changes(b, r1, comment="Say which law.")
    workflow.edit(b, user=editor, text=b.text + " The law is chapter 90.")
    submit(b, editor, reviewer=r1)
    open_for_review(client, r1, b)
    opened_before_deciding(b, r1, 5)
    workflow.approve(b, r1)

    workflow.edit(c, user=editor, text=c.text + " and the", sources=[a_source()])
    c.refresh_from_db()
    assert c.flag_codes == ["truncated"]  # a warning, which does not block approval
    submit(c, editor, reviewer=r1)
    workflow.approve(c, r1)

    workflow.edit(d, user=editor, text=d.text + " Checked.", sources=[a_source()])
    submit(d, editor, reviewer=r2)
    open_for_review(client, r2, d)
    opened_before_deciding(d, r2, 120)
    workflow.approve(d, r2)

    workflow.edit(e, user=editor, sources=[a_source()])
    submit(e, editor, reviewer=r2)
    open_for_review(client, r2, e)
    opened_before_deciding(e, r2, 60)
    workflow.request_changes(e, r2, comment="Too vague.")
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def figures_of(user) -> review_quality.ReviewerFigures:
    return next(row for row in review_quality.reviewer_figures() if row.user == user)


def test_figures_match_the_hand_computed_values(history, people):
    r1 = figures_of(people["reviewer"])
    assert (r1.decisions, r1.sent_back, r1.approvals) == (4, 1, 3)
    assert r1.sent_back_share == 25
    assert sorted(r1.durations) == [timedelta(minutes=m) for m in (5, 10, 30)]
    assert r1.median_time == timedelta(minutes=10)
    assert (r1.with_warnings, r1.unchanged) == (1, 1)

    r2 = figures_of(people["reviewer2"])
    assert (r2.decisions, r2.sent_back, r2.approvals) == (2, 1, 1)
    assert r2.sent_back_share == 50
    assert r2.median_time == timedelta(minutes=90)
    assert (r2.with_warnings, r2.unchanged) == (0, 0)
    assert review_quality.duration_label(r2.median_time) == "1 h 30 min"


def test_openings_are_recorded_once_per_submission_for_the_deciding_reviewer(client, seeds, people):
    editor, r1 = people["editor"], people["reviewer"]
    answer = ma(2)
    workflow.edit(answer, user=editor, sources=[a_source()])
    open_for_review(client, r1, answer)  # not in review yet: nothing to time
    assert not ReviewOpening.objects.exists()
    submit(answer, editor, reviewer=r1)
    for person in (editor, people["reviewer2"], people["managing"]):
        open_for_review(client, person, answer)  # not theirs to decide
    assert not ReviewOpening.objects.exists()

    open_for_review(client, r1, answer)
    first = ReviewOpening.objects.get()
    open_for_review(client, r1, answer)  # again: the first opening stays
    assert ReviewOpening.objects.get() == first
    submission = answer.events.filter(action=WorkflowEvent.Action.SUBMIT).latest("id")
    assert (first.reviewer, first.submission) == (r1, submission)

    # Withdrawn and submitted again: a new submission, a new clock.
    workflow.withdraw(answer, editor)
    submit(answer, editor, reviewer=r1)
    open_for_review(client, r1, answer)
    assert ReviewOpening.objects.count() == 2


def test_the_dashboard_shows_the_figures_and_each_link_lists_exactly_its_answers(
    client, history, people
):
    client.force_login(people["managing"])
    page = client.get(HOME).content.decode()
    table = page.split('class="progress review-quality"', 1)[1].split("</table>", 1)[0]
    row = table.split(">reviewer<", 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    text = [re.sub(r"<[^>]+>", "", cell).split() for cell in cells]
    assert text[0] == ["4"]
    assert text[1][:2] == ["25", "%"] and " ".join(text[1][2:]) == "1 of 4"
    assert text[2][:2] == ["10", "min"]
    assert text[3][0] == "1" and text[4][0] == "1"

    links = [link.replace("&amp;", "&") for link in re.findall(r'href="([^"]+)"', row)]
    listed = {}
    for link in links:
        response = client.get(link)
        assert response.status_code == 200
        sign = re.search(r"review_sign=(\w+)", link).group(1)
        listed[sign] = set(
            map(
                int, re.findall(r'name="_selected_action" value="(\d+)"', response.content.decode())
            )
        )
    h = {key: answer.pk for key, answer in history.items()}
    assert listed == {
        "decided": {h["a"], h["b"], h["c"]},
        "sent_back": {h["b"]},
        "timed": {h["a"], h["b"]},
        "warnings": {h["c"]},
        "unchanged": {h["a"]},
    }


def test_the_figures_cost_the_same_queries_whatever_the_history(
    client, history, people, django_assert_max_num_queries
):
    with CaptureQueriesContext(connection) as small:
        review_quality.reviewer_figures()
    # Counted now: the connection's query log is a ring, so a later len() may read it rotated.
    queries = len(small)
    editor, r1 = people["editor"], people["reviewer"]
    for position in (7, 8, 9, 11, 12):
        answer = ma(position)
        workflow.edit(answer, user=editor, sources=[a_source()])
        submit(answer, editor, reviewer=r1)
        open_for_review(client, r1, answer)
        workflow.approve(answer, r1)
    with django_assert_max_num_queries(queries):
        rows = review_quality.reviewer_figures()
    assert next(row for row in rows if row.user == r1).decisions == 9
    assert queries <= 6
    with django_assert_max_num_queries(5):  # nothing new: nothing computed, nothing written
        review_quality.reviewer_figures()


def test_the_figures_stay_what_the_decision_was(client, history, people):
    before = figures_of(people["reviewer"])
    # Edited after approval, and approved again by the other reviewer: A's first approval
    # stays "unchanged from the machine text", and is still counted once.
    a = history["a"]
    workflow.edit(a, user=people["editor"], text=a.text + " Edited later.")
    submit(a, people["editor"], reviewer=people["reviewer2"])
    workflow.approve(a, people["reviewer2"])
    # Kept once, as it was taken: nothing is left for a refresh to find.
    assert ReviewDecision.objects.filter(answer=a, reviewer=people["reviewer2"]).count() == 1
    assert review_quality.refresh_decisions() == 0
    after = figures_of(people["reviewer"])
    assert (
        (after.decisions, after.unchanged, after.with_warnings)
        == (
            before.decisions,
            before.unchanged,
            before.with_warnings,
        )
        == (4, 1, 1)
    )
    assert figures_of(people["reviewer2"]).decisions == 3


def test_bulk_approvals_are_read_like_single_ones(client, seeds, people):
    editor, r1 = people["editor"], people["reviewer"]
    answers = [ma(2), ma(3)]
    workflow.edit(answers[1], user=editor, text=answers[1].text + " and the")
    for answer in answers:
        workflow.edit(answer, user=editor, sources=[a_source()])
        submit(answer, editor, reviewer=r1)
    outcome = workflow.approve_many(answers=answers, user=r1)
    assert not outcome.refused
    row = figures_of(r1)
    assert (row.approvals, row.unchanged, row.with_warnings) == (2, 1, 1)


def test_only_managing_editors_see_the_table_and_names_are_escaped(
    client, history, people, django_user_model
):
    r2 = people["reviewer2"]
    r2.first_name = "<script>alert(1)</script>"
    r2.save()
    for role in ("editor", "reviewer", "outsider"):
        client.force_login(people[role])
        assert "review-quality" not in client.get(HOME).content.decode(), role
    client.force_login(people["managing"])
    page = client.get(HOME).content.decode()
    assert "review-quality" in page and "<script>alert(1)" not in page
    # The list behind a figure is the answer list: no more than its own permission gives.
    client.force_login(people["outsider"])
    link = f"{LIST}?review_sign=decided&decided_by={people['reviewer'].pk}"
    assert client.get(link).status_code == 403


def test_a_malformed_link_lists_nothing_rather_than_failing(client, history, people):
    client.force_login(people["managing"])
    for query in ("review_sign=decided&decided_by=x", "review_sign=nonsense&decided_by=1"):
        response = client.get(f"{LIST}?{query}")
        assert response.status_code == 200
        assert 'name="_selected_action"' not in response.content.decode()


def test_an_opening_recorded_after_the_decision_counts_as_no_time(client, seeds, people):
    editor, r1 = people["editor"], people["reviewer"]
    answer = ma(2)
    workflow.edit(answer, user=editor, sources=[a_source()])
    submit(answer, editor, reviewer=r1)
    open_for_review(client, r1, answer)
    opened_before_deciding(answer, r1, -3)  # a clock set back: opened "after" deciding
    workflow.approve(answer, r1)
    assert figures_of(r1).durations == [timedelta(0)]
