"""Review quality, per reviewer: the figures a managing editor watches for rubber-stamping.

Per reviewer: decisions (approvals and requests for changes), the share sent back, the
median time from opening an answer to deciding it, and approvals that carried warnings or
left the machine text as it was imported. Every figure is read from the record itself:

- decisions are the event log's approve and request_changes entries, by their actor;
- an opening is a ReviewOpening row, written the first time the deciding reviewer opened
  the answer after the submission the decision decides (see record_opening);
- "with warnings" and "unchanged" are read from the answer's version in the approval's own
  revision (the row as it was approved: its flags, its text, its text as imported), so
  they stay exact when the answer is edited or re-imported later.

Those facts are read once, inside the database, in the decision's own transaction
(storage.review_facts): kept in ReviewDecision (what a figure's list of answers reads) and
added to the reviewer's running totals (ReviewerTotals, and ReviewerTimes for the median).
The dashboard reads a row per reviewer and their time buckets: its queries and rows do not
grow with the history, and no page writes.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from editorial import workflow
from editorial.models import (
    Answer,
    ReviewDecision,
    ReviewerTimes,
    ReviewerTotals,
    ReviewOpening,
    Status,
    WorkflowEvent,
)
from editorial.storage import review_facts

Action = WorkflowEvent.Action
DECISIONS = review_facts.DECISIONS

# The answer list's filter parameters that list the answers behind a figure.
SIGN_PARAMETER = "review_sign"
REVIEWER_PARAMETER = "decided_by"
SIGNS = {
    "decided": "Decided by the reviewer",
    "sent_back": "Sent back by the reviewer",
    "timed": "Decided after an opening on record",
    "warnings": "Approved while carrying warnings",
    "unchanged": "Approved unchanged from the machine text",
}


def record_opening(*, answer_id: int, user) -> None:
    """Note that a reviewer opened an answer waiting for their decision (first time only).

    Counted for the assigned reviewer, or anyone who may decide any answer, while the
    answer is in review; once per submission, so re-opening the page changes nothing.
    """
    row = (
        Answer.objects.filter(pk=answer_id, status=Status.IN_REVIEW)
        .annotate(
            submission=Subquery(
                WorkflowEvent.objects.filter(answer=OuterRef("pk"), action=Action.SUBMIT)
                .order_by("-id")
                .values("id")[:1]
            )
        )
        .values("reviewer_id", "submission")
        .first()
    )
    if row is None or row["submission"] is None:
        return
    if not workflow.decides_on(row["reviewer_id"], user):
        return
    ReviewOpening.objects.bulk_create(
        [
            ReviewOpening(
                answer_id=answer_id,
                submission_id=row["submission"],
                reviewer=user,
                opened_at=timezone.now(),
            )
        ],
        ignore_conflicts=True,
    )


def refresh_decisions() -> int:
    """Keep any decision missing from ReviewDecision (and then recount every total); returns
    how many were missing.

    Every decision keeps its own facts as it is taken (storage.review_facts.keep), and
    migration 0019 kept those before it, so this finds none unless rows were written
    outside the workflow. A repair that reads the whole history: no page calls it.
    """
    return review_facts.refill()


def signed(sign: str):
    """The decisions behind one figure (see SIGNS), as kept in ReviewDecision."""
    rows = ReviewDecision.objects.all()
    if sign == "sent_back":
        return rows.filter(action=Action.REQUEST_CHANGES)
    if sign == "timed":
        return rows.filter(opened_at__isnull=False)
    if sign == "warnings":
        return rows.filter(with_warnings=True)
    if sign == "unchanged":
        return rows.filter(unchanged=True)
    return rows


def answers_with_sign(queryset, sign: str, reviewer_id: int):
    """The answers of the queryset behind a figure of one reviewer."""
    if sign not in SIGNS:
        return queryset.none()
    return queryset.filter(pk__in=signed(sign).filter(reviewer_id=reviewer_id).values("answer_id"))


@dataclass
class ReviewerFigures:
    """One reviewer's row of the dashboard."""

    user: object
    decisions: int = 0
    sent_back: int = 0
    approvals: int = 0
    with_warnings: int = 0
    unchanged: int = 0
    # Timed decisions per time as shown (seconds, cut to the label's resolution: ReviewerTimes).
    times: dict[int, int] = field(default_factory=dict)

    @property
    def sent_back_share(self) -> int | None:
        """Percent of decisions sent back, rounded; None without decisions."""
        return round(100 * self.sent_back / self.decisions) if self.decisions else None

    @property
    def timed(self) -> int:
        """Decisions with an opening on record."""
        return sum(self.times.values())

    @property
    def durations(self) -> list[timedelta]:
        """Every timed decision's time as shown, shortest first (one entry per decision)."""
        return [
            timedelta(seconds=seconds)
            for seconds, count in sorted(self.times.items())
            for _ in range(count)
        ]

    @property
    def median_time(self) -> timedelta | None:
        """The median of the times as shown, read from the buckets without listing them.

        An odd count has one middle time: the median is exact to the label. An even count
        takes the mean of the two middle times (statistics.median's convention, as the
        figures always did), each as shown: exact when both are whole units of the label
        (or share a bucket), otherwise within one unit of it.
        """
        count = self.timed
        if not count:
            return None
        middle = {(count - 1) // 2: None, count // 2: None}  # 0-based positions, sorted
        before = 0
        for seconds, decisions in sorted(self.times.items()):
            for position in middle:
                if middle[position] is None and position < before + decisions:
                    middle[position] = seconds
            before += decisions
            if None not in middle.values():
                break
        return timedelta(seconds=statistics.fmean(middle.values()))


def reviewer_figures() -> list[ReviewerFigures]:
    """Every reviewer's figures (and anyone else who decided), busiest first.

    Three queries whatever the history: the totals (a row per reviewer who decided), their
    time buckets, and the people. Nothing is computed or written here (see review_facts).
    """
    figures: dict[int, ReviewerFigures] = {}
    totals = ReviewerTotals.objects.order_by().values_list(
        "reviewer_id", "decisions", "sent_back", "with_warnings", "unchanged"
    )
    for reviewer_id, decisions, sent_back, with_warnings, unchanged in totals:
        figures[reviewer_id] = ReviewerFigures(
            user=None,
            decisions=decisions,
            sent_back=sent_back,
            approvals=decisions - sent_back,
            with_warnings=with_warnings,
            unchanged=unchanged,
        )
    times = ReviewerTimes.objects.filter(decisions__gt=0).order_by("reviewer_id", "seconds")
    for reviewer_id, seconds, decisions in times.values_list("reviewer_id", "seconds", "decisions"):
        if reviewer_id not in figures:  # not without totals (one writer), but never lost
            figures[reviewer_id] = ReviewerFigures(user=None)
        figures[reviewer_id].times[seconds] = decisions
    people = get_user_model().objects.filter(
        models.Q(pk__in=list(figures)) | models.Q(pk__in=workflow.reviewers().values("pk"))
    )
    for person in people:
        figures.setdefault(person.pk, ReviewerFigures(user=None)).user = person
    return sorted(
        (row for row in figures.values() if row.user is not None),
        key=lambda row: (-row.decisions, row.user.get_username()),
    )


def duration_label(value: timedelta | None) -> str:
    """A duration as people say it: 40 s, 12 min, 3 h 05 min, 2 d 4 h."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h {minutes % 60:02} min"
    return f"{hours // 24} d {hours % 24} h"
