"""Approvals that expire: a review-by date pinned at approval, the re-review queue, stale sources.

The clock is moved by replacing django.utils.timezone.now (what auto_now_add, localdate and
the workflow read), so approvals really happen on the days the tests name.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from editorial import flags, workflow
from editorial.models import Answer, ApprovedVersion, Document, Status
from tests.conftest import RMV_SOURCE, settle_claims

pytestmark = pytest.mark.django_db

MASSACHUSETTS = "000_45b9d17f8c940ceb.txt"
MISSISSIPPI = "004_4ec6ae860d37c5b3.txt"
DAY = datetime.timedelta(days=1)


class Clock:
    """The time the application sees: noon UTC of the day set, or the real time."""

    moment: datetime.datetime | None = None

    def set(self, day: datetime.date) -> None:
        self.moment = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: clock.moment or real_now())
    return clock


def at(document: str, position: int) -> Answer:
    return Answer.objects.get(document__name=document, position=position)


def sourced_and_submitted(answer: Answer, editor, reviewer, source=RMV_SOURCE) -> Answer:
    workflow.edit(answer, user=editor, sources=[source])
    settle_claims(answer, editor)
    return workflow.submit(answer, editor, reviewer=reviewer)


def approve_on(clock: Clock, day: datetime.date, answer: Answer, editor, reviewer) -> Answer:
    clock.set(day)
    sourced_and_submitted(answer, editor, reviewer)
    return workflow.approve(answer, reviewer)


def review_by(answer: Answer) -> datetime.date:
    return ApprovedVersion.objects.current().get(answer=answer).review_by


def test_the_rereview_queue_holds_exactly_the_answers_past_their_date(
    seeds, editor, reviewer, settings, clock
):
    settings.EDITORIAL_REVIEW_INTERVAL_DAYS = 90
    Document.objects.filter(name=MASSACHUSETTS).update(review_interval_days=30)
    ma2 = approve_on(clock, datetime.date(2026, 1, 10), at(MASSACHUSETTS, 2), editor, reviewer)
    ma3 = approve_on(clock, datetime.date(2026, 1, 20), at(MASSACHUSETTS, 3), editor, reviewer)
    ms1 = approve_on(clock, datetime.date(2026, 1, 10), at(MISSISSIPPI, 1), editor, reviewer)
    # The batch path (select-all approve) pins the date as the one-by-one path does.
    clock.set(datetime.date(2026, 1, 15))
    ms20 = sourced_and_submitted(at(MISSISSIPPI, 20), editor, reviewer)
    outcome = workflow.approve_many(answers=[ms20], user=reviewer)
    assert [a.pk for a in outcome.done] == [ms20.pk] and not outcome.refused
    # Never approved: never in the queue, whatever the day.
    sourced_and_submitted(at(MISSISSIPPI, 2), editor, reviewer)

    assert (review_by(ma2), review_by(ma3)) == (
        datetime.date(2026, 2, 9),
        datetime.date(2026, 2, 19),
    )
    assert (review_by(ms1), review_by(ms20)) == (
        datetime.date(2026, 4, 10),
        datetime.date(2026, 4, 15),
    )

    expected = {
        datetime.date(2026, 1, 10): set(),
        datetime.date(2026, 2, 9): set(),  # the review-by day itself is not past it
        datetime.date(2026, 2, 10): {ma2},
        datetime.date(2026, 2, 19): {ma2},
        datetime.date(2026, 2, 20): {ma2, ma3},
        datetime.date(2026, 4, 10): {ma2, ma3},
        datetime.date(2026, 4, 11): {ma2, ma3, ms1},
        datetime.date(2026, 4, 15): {ma2, ma3, ms1},
        datetime.date(2026, 4, 16): {ma2, ma3, ms1, ms20},
    }
    for day, answers in expected.items():
        clock.set(day)
        assert set(Answer.objects.due_for_rereview()) == answers, day
        assert set(Answer.objects.due_for_rereview(day)) == answers, day


def test_a_due_answer_stays_exported_edits_keep_it_due_archiving_and_reapproval_take_it_out(
    seeds, editor, reviewer, managing, clock
):
    ma2 = approve_on(clock, datetime.date(2026, 1, 10), at(MASSACHUSETTS, 2), editor, reviewer)
    ma3 = approve_on(clock, datetime.date(2026, 1, 10), at(MASSACHUSETTS, 3), editor, reviewer)
    clock.set(datetime.date(2027, 1, 11))  # 366 days on: both past the default 365
    assert set(Answer.objects.due_for_rereview()) == {ma2, ma3}
    assert set(Answer.objects.approved()) == {ma2, ma3}  # still exported

    # An edit sends it to draft; its old approval is still the exported one, still due.
    workflow.edit(ma2, user=editor, text=ma2.text + " Checked again.")
    assert ma2.status == Status.DRAFT
    assert set(Answer.objects.due_for_rereview()) == {ma2, ma3}
    # Approved again today: a new date, out of the queue.
    workflow.submit(ma2, editor, reviewer=reviewer)
    workflow.approve(ma2, reviewer)
    assert review_by(ma2) == datetime.date(2028, 1, 11)
    assert set(Answer.objects.due_for_rereview()) == {ma3}
    # Archived: not exported, so not in the queue either.
    workflow.archive(ma3, managing)
    assert set(Answer.objects.due_for_rereview()) == set()


def listed(response) -> set[int]:
    return {answer.pk for answer in response.context["cl"].result_list}


def test_the_queue_and_the_home_count_over_http(
    client, seeds, editor, reviewer, managing, outsider, clock
):
    Document.objects.filter(name=MASSACHUSETTS).update(review_interval_days=10)
    ma2 = approve_on(clock, datetime.date(2026, 3, 1), at(MASSACHUSETTS, 2), editor, reviewer)
    ma3 = approve_on(clock, datetime.date(2026, 3, 5), at(MASSACHUSETTS, 3), editor, reviewer)
    approve_on(clock, datetime.date(2026, 3, 1), at(MISSISSIPPI, 1), editor, reviewer)
    clock.set(datetime.date(2026, 3, 12))  # ma2 due since the 11th; ma3 on the 15th; ms1 in 2027

    queue = reverse("admin:editorial_answer_changelist") + "?rereview=due"
    for person in (reviewer, managing, editor):
        client.force_login(person)
        response = client.get(queue)
        assert response.status_code == 200
        assert listed(response) == {ma2.pk}
    home = reverse("admin:index")
    for person in (reviewer, managing):
        client.force_login(person)
        page = client.get(home).content.decode()
        assert f'<a href="{queue}">Due for re-review (1)</a>' in page
        assert f"review by {review_by(ma2).isoformat()}" in page
    client.force_login(editor)
    assert "Due for re-review" not in client.get(home).content.decode()
    client.force_login(outsider)
    assert client.get(queue).status_code == 403

    clock.set(datetime.date(2026, 3, 16))
    client.force_login(reviewer)
    assert listed(client.get(queue)) == {ma2.pk, ma3.pk}
    assert "Due for re-review (2)" in client.get(home).content.decode()
    page = client.get(reverse("admin:editorial_answer_change", args=[ma2.pk])).content.decode()
    assert "Review by 2026-03-11" in page and "due for re-review" in page


def test_only_managing_editors_set_a_documents_review_interval(
    client, seeds, editor, reviewer, managing, clock
):
    document = Document.objects.get(name=MASSACHUSETTS)
    url = reverse("admin:editorial_document_change", args=[document.pk])
    for person in (editor, reviewer):
        client.force_login(person)
        response = client.post(url, {"title": document.title, "review_interval_days": "7"})
        assert response.status_code == 403
    document.refresh_from_db()
    assert document.review_interval_days is None

    client.force_login(managing)
    response = client.post(url, {"title": document.title, "review_interval_days": "7"})
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.review_interval_days == 7
    ma2 = approve_on(clock, datetime.date(2026, 5, 1), at(MASSACHUSETTS, 2), editor, reviewer)
    assert review_by(ma2) == datetime.date(2026, 5, 8)

    # Emptied: the site default again.
    client.post(url, {"title": document.title, "review_interval_days": ""})
    document.refresh_from_db()
    assert document.review_interval_days is None


def test_a_source_read_too_long_before_approval_is_flagged_stale_but_not_refused(
    client, seeds, editor, reviewer, settings, clock
):
    settings.EDITORIAL_SOURCE_STALE_DAYS = 30
    clock.set(datetime.date(2026, 6, 1))
    old = {**RMV_SOURCE, "title": "Old RMV page", "accessed_on": datetime.date(2026, 5, 1)}
    fresh = {**RMV_SOURCE, "title": "Fresh RMV page", "accessed_on": datetime.date(2026, 5, 2)}
    ma2, ma3 = at(MASSACHUSETTS, 2), at(MASSACHUSETTS, 3)
    workflow.edit(ma2, user=editor, sources=[fresh])
    assert flags.STALE_SOURCE.code not in ma2.flag_codes  # exactly 30 days: not more
    workflow.edit(ma3, user=editor, sources=[fresh, old])  # 31 days: stale
    assert flags.STALE_SOURCE.code in ma3.flag_codes
    assert ma3.flag_level == flags.FlagLevel.WARNING

    settle_claims(ma3, editor)
    workflow.submit(ma3, editor, reviewer=reviewer)
    client.force_login(reviewer)
    page = client.get(reverse("admin:editorial_answer_change", args=[ma3.pk])).content.decode()
    panel = page[page.index('<ul class="review-sources">') :].split("</ul>", 1)[0]
    old_item = panel[panel.index("Old RMV page") :].split("</li>", 1)[0]
    fresh_item = panel[panel.index("Fresh RMV page") :].split("</li>", 1)[0]
    assert "Stale: read more than 30 days ago" in old_item
    assert "Stale" not in fresh_item
    assert "Stale source" in page  # the flag chip

    workflow.approve(ma3, reviewer)  # a warning: the reviewer judged it
    assert Answer.objects.get(pk=ma3.pk).status == Status.APPROVED

    # Replacing the old source clears the flag.
    workflow.edit(ma3, user=editor, sources=[fresh])
    assert flags.STALE_SOURCE.code not in ma3.flag_codes
