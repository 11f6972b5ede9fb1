"""The review-quality dashboard at any history: it reads a row per reviewer and their time
buckets, never the decisions, in the same queries at a few decisions and at many; and the
median read from the buckets is the median of the times as shown."""

from __future__ import annotations

import random
import statistics
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from editorial import workflow
from editorial.admin.quality import review_quality_rows
from editorial.insights import review_quality
from editorial.insights.review_quality import ReviewerFigures
from editorial.models import Answer, ReviewDecision, ReviewOpening, Status
from tests.conftest import a_source, ma
from tests.insights.conftest import submit

# Tables whose size is the history: the dashboard must read none of them.
HISTORY_TABLES = ("editorial_reviewdecision", "editorial_workflowevent", "reversion_version")


def dashboard_queries() -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        rows = review_quality_rows()
    assert rows
    return [query["sql"] for query in captured.captured_queries]


def decide_round(answers, editor, reviewer, *, minutes: int) -> None:
    """Each answer edited, submitted, opened `minutes` before the decision, and decided:
    the first sent back, the others approved in one bulk approval."""
    for answer in answers:
        workflow.edit(answer, user=editor, text=f"{answer.text} Round {minutes}.")
        submit(answer, editor, reviewer=reviewer)
        review_quality.record_opening(answer_id=answer.pk, user=reviewer)
        ReviewOpening.objects.filter(answer=answer, reviewer=reviewer).update(
            opened_at=timezone.now() - timedelta(minutes=minutes)
        )
    first, *others = (Answer.objects.get(pk=answer.pk) for answer in answers)
    workflow.request_changes(first, reviewer, comment="Once more.")
    outcome = workflow.approve_many(answers=others, user=reviewer)
    assert not outcome.refused


@pytest.mark.django_db
def test_the_dashboard_reads_the_same_queries_at_few_and_many_decisions(seeds, people):
    editor, r1, r2 = people["editor"], people["reviewer"], people["reviewer2"]
    answers = [ma(position) for position in (2, 3, 4, 5, 6, 7)]
    for answer in answers:
        workflow.edit(answer, user=editor, sources=[a_source()])
    decide_round(answers[:2], editor, r1, minutes=1)
    few = dashboard_queries()
    assert ReviewDecision.objects.count() == 2

    for minutes in (2, 5, 40, 200, 3000):
        decide_round(answers[:3], editor, r1, minutes=minutes)
        decide_round(answers[3:], editor, r2, minutes=minutes + 1)
    assert ReviewDecision.objects.count() == 32
    assert Answer.objects.filter(status=Status.APPROVED).count() == 4
    many = dashboard_queries()

    # Totals, buckets, the people (and the reviewers' permission, named by its code).
    assert len(many) == len(few) <= 4, [sql[:90] for sql in many]
    assert not [sql for sql in many if any(table in sql for table in HISTORY_TABLES)], many
    rows = {row["user"]: row for row in review_quality_rows()}
    assert (rows[r1]["decisions"], rows[r1]["sent_back"], rows[r1]["timed"]) == (17, 6, 17)
    assert (rows[r2]["decisions"], rows[r2]["sent_back"], rows[r2]["timed"]) == (15, 5, 15)
    # r1's seventeen times: 1 min twice, then 2, 5, 40 min, 3 h 20 min, 50 h three times
    # each; the ninth is 40 min.
    assert rows[r1]["median_time"] == "40 min"


def test_the_median_from_buckets_is_the_median_of_the_times_shown():
    assert ReviewerFigures(user=None).median_time is None
    # Odd: the middle time. Even: the mean of the two middle ones, as statistics.median.
    assert ReviewerFigures(user=None, times={30: 1, 600: 2}).median_time == timedelta(minutes=10)
    assert ReviewerFigures(user=None, times={3600: 1, 7200: 1}).median_time == timedelta(minutes=90)
    assert ReviewerFigures(user=None, times={30: 1, 600: 1}).median_time == timedelta(seconds=315)
    picks = random.Random(21)
    for _ in range(300):
        times = {
            picks.choice([*range(60), *range(60, 48 * 3600, 60), 50 * 3600]): picks.randint(1, 4)
            for _ in range(picks.randint(1, 12))
        }
        figures = ReviewerFigures(user=None, times=times)
        assert figures.timed == sum(times.values()) == len(figures.durations)
        assert figures.median_time == statistics.median(figures.durations), times
