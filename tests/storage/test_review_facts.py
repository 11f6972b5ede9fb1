"""Review-quality totals kept by each decision (storage.review_facts): after a mixed day of
decisions through the real workflow (single and bulk, approvals and requests for changes,
with warnings, unchanged, timed and untimed, by two reviewers) the totals and time buckets
equal a recount from the record itself (events, reversion versions, openings), done here
in Python; and two decisions taken at once on PostgreSQL are both counted."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone
from reversion.models import Version

from editorial import workflow
from editorial.insights import review_quality
from editorial.models import (
    Answer,
    FlagLevel,
    ReviewDecision,
    ReviewerTimes,
    ReviewerTotals,
    ReviewOpening,
    WorkflowEvent,
)
from editorial.storage import review_facts
from tests.conftest import a_source, ma, settle_claims

Action = WorkflowEvent.Action


def sent_to(answer, editor, reviewer, **edit) -> Answer:
    """Edited (a source, and whatever else given), its claims settled, submitted to them."""
    workflow.edit(answer, user=editor, sources=[a_source()], **edit)
    settle_claims(answer, editor)
    workflow.submit(answer, editor, reviewer=reviewer)
    return Answer.objects.get(pk=answer.pk)


def opened(answer, reviewer, ago: timedelta) -> None:
    """The reviewer opens it, and the opening is set back by `ago`, before they decide."""
    review_quality.record_opening(answer_id=answer.pk, user=reviewer)
    opening = ReviewOpening.objects.filter(answer=answer, reviewer=reviewer).latest("id")
    ReviewOpening.objects.filter(pk=opening.pk).update(opened_at=timezone.now() - ago)


def shown(seconds: int) -> int:
    """The resolution duration_label shows, written out independently of review_facts."""
    if seconds < 60:
        return seconds
    if seconds < 48 * 3600:
        return seconds - seconds % 60
    return seconds - seconds % 3600


def recount_from_the_record() -> tuple[dict, dict]:
    """Every decision read back from the events, the versions and the openings, in Python."""
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    times: dict[int, Counter] = defaultdict(Counter)
    answer_type = ContentType.objects.get_for_model(Answer)
    decisions = WorkflowEvent.objects.filter(action__in=[Action.APPROVE, Action.REQUEST_CHANGES])
    for event in decisions.order_by("id"):
        row = totals[event.actor_id]
        row[0] += 1
        if event.action == Action.REQUEST_CHANGES:
            row[1] += 1
        else:
            fields = Version.objects.get(
                revision_id=event.revision_id,
                content_type=answer_type,
                object_id=str(event.answer_id),
            ).field_dict
            row[2] += fields["flag_level"] >= FlagLevel.WARNING
            row[3] += (fields["question"], fields["text"]) == (
                fields["imported_question"],
                fields["imported_text"],
            )
        submission = (
            WorkflowEvent.objects.filter(
                answer_id=event.answer_id, action=Action.SUBMIT, id__lt=event.id
            )
            .order_by("-id")
            .first()
        )
        opening = ReviewOpening.objects.filter(
            submission=submission, reviewer_id=event.actor_id
        ).first()
        if opening is not None:
            seconds = max(0, round((event.created_at - opening.opened_at).total_seconds()))
            times[event.actor_id][shown(seconds)] += 1
    return (
        {reviewer: tuple(row) for reviewer, row in totals.items()},
        {(reviewer, s): n for reviewer, counts in times.items() for s, n in counts.items()},
    )


def kept_totals() -> tuple[dict, dict]:
    return (
        {
            row[0]: row[1:]
            for row in ReviewerTotals.objects.values_list(
                "reviewer_id", "decisions", "sent_back", "with_warnings", "unchanged"
            )
        },
        {
            (reviewer, seconds): n
            for reviewer, seconds, n in ReviewerTimes.objects.values_list(
                "reviewer_id", "seconds", "decisions"
            )
        },
    )


@pytest.mark.django_db
def test_totals_equal_a_recount_of_the_record_after_a_mixed_day(seeds, people):
    editor, r1, r2 = people["editor"], people["reviewer"], people["reviewer2"]

    # r1, one at a time: unchanged and timed; sent back (timed, seconds) and approved untimed.
    a = sent_to(ma(2), editor, r1)
    opened(a, r1, timedelta(minutes=10))
    workflow.approve(a, r1)
    b = sent_to(ma(3), editor, r1)
    opened(b, r1, timedelta(seconds=30))
    workflow.request_changes(b, r1, comment="Say which law.")
    b = sent_to(b, editor, r1, text=b.text + " The law is chapter 90.")
    workflow.approve(b, r1)

    # r1, in bulk: with a warning (hours and minutes), unchanged (days), unchanged untimed.
    c = sent_to(ma(4), editor, r1, text=ma(4).text + " and the")
    assert c.flag_level == FlagLevel.WARNING
    d, e = sent_to(ma(5), editor, r1), sent_to(ma(6), editor, r1)
    opened(c, r1, timedelta(hours=3, minutes=5, seconds=30))
    opened(d, r1, timedelta(hours=50, minutes=30))
    outcome = workflow.approve_many(answers=[c, d, e], user=r1)
    assert not outcome.refused

    # r2: two sent back in bulk (one timed), and one approved after a clock set back.
    f, g, h = (sent_to(ma(position), editor, r2) for position in (7, 8, 9))
    opened(f, r2, timedelta(minutes=10))
    outcome = workflow.take_many(
        "request_changes",
        answers=[f, g],
        user=r2,
        expected_versions={f.pk: f.version, g.pk: g.version},
        comment="Too vague.",
    )
    assert not outcome.refused
    opened(h, r2, timedelta(minutes=-3))
    workflow.approve(h, r2)

    totals, times = kept_totals()
    # By hand: (decisions, sent back, with warnings, unchanged).
    assert totals == {r1.pk: (6, 1, 1, 3), r2.pk: (3, 2, 0, 1)}
    assert sum(n for (reviewer, _), n in times.items() if reviewer == r1.pk) == 4
    assert times[(r2.pk, 600)] == 1 and times[(r2.pk, 0)] == 1
    assert times[(r1.pk, 600)] == 1 and times[(r1.pk, 3 * 3600 + 300)] == 1
    assert times[(r1.pk, 50 * 3600)] == 1
    # And exactly what the record says, bucket by bucket.
    assert (totals, times) == recount_from_the_record()
    assert ReviewDecision.objects.count() == 9

    # Counting everything again from the kept decisions changes nothing; nothing was missing.
    assert review_facts.refill(recount=True) == 0
    assert kept_totals() == (totals, times)


def test_the_time_kept_is_the_time_shown():
    """A bucket is labelled as every time in it is: the median read from buckets is the
    median of the times as the dashboard shows them."""
    label = review_quality.duration_label
    samples = [*range(0, 200), *range(3500, 3700), *range(172_700, 172_900), 999_999, 12_345_678]
    for seconds in samples:
        kept = review_facts.bucket(seconds)
        assert kept == shown(seconds)
        assert label(timedelta(seconds=kept)) == label(timedelta(seconds=seconds)), seconds


# --- PostgreSQL, real threads --------------------------------------------------------------

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real row locks across threads need PostgreSQL"
)


def together(*jobs) -> list:
    """Every job at once, each on its own thread and connection; results (or errors) in order."""
    start = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index, job):
        try:
            start.wait()
            results[index] = job()
        except Exception as error:  # noqa: BLE001 - reported by the asserting test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@on_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_decisions_taken_at_once_are_all_counted(seeds, people):
    """Rounds of a reviewer's two decisions at the same moment, the first of them creating
    their totals row and bucket: each round adds exactly two. (Checked to fail when the
    totals are read and written back in Python instead of added to in the database.)"""
    editor, r1, r2 = people["editor"], people["reviewer"], people["reviewer2"]
    rounds = 6
    # Each pair from the two documents: a step locks its answer's document row too, so two
    # answers of one document are decided one after the other, never at once.
    clean = [
        [a for a in Answer.objects.filter(document=document).order_by("position")
         if not {"hedge", "empty"} & set(a.flag_codes)]
        for document in {answer.document for answer in Answer.objects.select_related("document")}
    ]  # fmt: skip
    assert len(clean) == 2 and min(map(len, clean)) > rounds
    pairs = [
        [sent_to(first, editor, r1), sent_to(second, editor, r1)]
        for first, second in zip(clean[0][:rounds], clean[1][:rounds], strict=True)
    ]
    # And two reviewers' first decisions at once, each making their own row.
    other = sent_to(clean[0][rounds], editor, r2)

    for index, pair in enumerate(pairs):
        for answer in pair:
            opened(answer, r1, timedelta(minutes=7))
        # The same step on both, so that they reach the totals in step: approvals in odd
        # rounds, requests for changes in even ones.
        if index % 2:
            jobs = [lambda answer=answer: workflow.approve(answer, r1) for answer in pair]
        else:
            jobs = [
                lambda answer=answer: workflow.request_changes(answer, r1, comment="Again.")
                for answer in pair
            ]
        if index == 0:
            jobs.append(lambda: workflow.approve(other, r2))
        results = together(*jobs)
        assert not [r for r in results if isinstance(r, Exception)], results
        totals = ReviewerTotals.objects.get(reviewer=r1)
        assert (totals.decisions, totals.sent_back) == (2 * (index + 1), 2 * (index // 2 + 1))
        assert ReviewerTimes.objects.get(reviewer=r1, seconds=7 * 60).decisions == 2 * (index + 1)

    assert ReviewerTotals.objects.get(reviewer=r2).decisions == 1
    assert kept_totals() == recount_from_the_record()
