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

Those facts are read once per decision, inside the database, and kept in ReviewDecision
(the record they come from never changes); the dashboard adds up the kept rows.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from django.utils import timezone
from reversion.models import Version

from editorial import workflow
from editorial.models import (
    Answer,
    FlagLevel,
    ReviewDecision,
    ReviewOpening,
    Status,
    WorkflowEvent,
)

Action = WorkflowEvent.Action
DECISIONS = (Action.APPROVE, Action.REQUEST_CHANGES)

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


class _StoredField(models.Func):
    """A field of the answer as a reversion version stored it (Django's JSON serialisation)."""

    output_field = models.TextField()

    def __init__(self, name: str) -> None:
        super().__init__(models.F("serialized_data"))
        self.name = name

    def as_sql(self, compiler, connection, **extra_context):
        # SQLite (and MySQL): json_extract; the name is one of ours, never user input.
        data, params = compiler.compile(self.get_source_expressions()[0])
        return f"json_extract({data}, '$[0].fields.{self.name}')", params

    def as_postgresql(self, compiler, connection, **extra_context):
        data, params = compiler.compile(self.get_source_expressions()[0])
        return f"(({data})::jsonb #>> '{{0,fields,{self.name}}}')", params


def _approved_row():
    """The answer's version in the decision's own revision."""
    return Version.objects.filter(
        revision_id=OuterRef("revision_id"),
        content_type=ContentType.objects.get_for_model(Answer),
        object_id=Cast(OuterRef("answer_id"), models.CharField()),
    ).order_by()


def decisions():
    """Every decision with what the figures need, annotated in the database."""
    version = _approved_row()
    unchanged = models.Case(
        models.When(
            models.Q(
                question=models.F("imported_question"),
                text=models.F("imported_text"),
            ),
            then=models.Value(True),
        ),
        default=models.Value(False),
        output_field=models.BooleanField(),
    )
    return (
        WorkflowEvent.objects.filter(action__in=DECISIONS)
        .annotate(
            submission_id=Subquery(
                WorkflowEvent.objects.filter(
                    answer_id=OuterRef("answer_id"), action=Action.SUBMIT, id__lt=OuterRef("id")
                )
                .order_by("-id")
                .values("id")[:1]
            ),
            opened_at=Subquery(
                ReviewOpening.objects.filter(
                    submission_id=OuterRef("submission_id"), reviewer_id=OuterRef("actor_id")
                )
                .order_by()
                .values("opened_at")[:1]
            ),
            level_at_decision=Cast(
                Subquery(version.annotate(level=_StoredField("flag_level")).values("level")[:1]),
                models.IntegerField(),
            ),
            unchanged_at_decision=Subquery(
                version.annotate(
                    question=_StoredField("question"),
                    text=_StoredField("text"),
                    imported_question=_StoredField("imported_question"),
                    imported_text=_StoredField("imported_text"),
                    same=unchanged,
                ).values("same")[:1]
            ),
        )
        .order_by()
    )


class _SecondsBetween(models.Func):
    """Whole seconds from one time to a later one: never negative, NULL when either is."""

    output_field = models.IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        (start, start_params), (end, end_params) = map(
            compiler.compile, self.get_source_expressions()
        )
        seconds = f"CAST(round((julianday({end}) - julianday({start})) * 86400) AS integer)"
        return _not_negative(seconds), [*end_params, *start_params] * 2

    def as_postgresql(self, compiler, connection, **extra_context):
        (start, start_params), (end, end_params) = map(
            compiler.compile, self.get_source_expressions()
        )
        seconds = f"CAST(round(extract(epoch FROM ({end}) - ({start}))) AS integer)"
        return _not_negative(seconds), [*end_params, *start_params] * 2


def _not_negative(sql: str) -> str:
    # A clock set back between opening and deciding is no negative time (the column is
    # positive); NULL stays NULL.
    return f"CASE WHEN {sql} < 0 THEN 0 ELSE {sql} END"


_KEPT_COLUMNS = (
    "event_id", "reviewer_id", "answer_id", "action", "decided_at", "opened_at",
    "seconds_to_decide", "with_warnings", "unchanged",
)  # fmt: skip


def refresh_decisions() -> int:
    """Keep the facts of the decisions not yet in ReviewDecision; returns how many.

    One INSERT … SELECT, whether there is anything new or not (the facts never pass
    through Python). Asks for the decisions missing there, not those after the newest
    kept: a transaction may commit an older event id after a newer one. Two pages
    refreshing at once compute the same facts; the first one's stay.
    """
    approval = Q(action=Action.APPROVE)
    missing = (
        decisions()
        .filter(~Exists(ReviewDecision.objects.filter(event_id=OuterRef("pk"))))
        .annotate(
            seconds=_SecondsBetween(models.F("opened_at"), models.F("created_at")),
            warned=models.Case(
                models.When(approval & Q(level_at_decision__gte=FlagLevel.WARNING), then=True),
                default=False,
                output_field=models.BooleanField(),
            ),
            same=models.Case(
                models.When(approval & Q(unchanged_at_decision=True), then=True),
                default=False,
                output_field=models.BooleanField(),
            ),
        )
        .values_list(
            "id",
            "actor_id",
            "answer_id",
            "action",
            "created_at",
            "opened_at",
            "seconds",
            "warned",
            "same",
        )  # fmt: skip
    )
    select, params = missing.query.sql_with_params()
    table = connection.ops.quote_name(ReviewDecision._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column) for column in _KEPT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {select} ON CONFLICT DO NOTHING", params)
        return max(cursor.rowcount, 0)


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
    refresh_decisions()
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
    durations: list[timedelta] = field(default_factory=list)

    @property
    def sent_back_share(self) -> int | None:
        """Percent of decisions sent back, rounded; None without decisions."""
        return round(100 * self.sent_back / self.decisions) if self.decisions else None

    @property
    def median_time(self) -> timedelta | None:
        return statistics.median(self.durations) if self.durations else None


def reviewer_figures() -> list[ReviewerFigures]:
    """Every reviewer's figures (and anyone else who decided), busiest first.

    A few queries whatever the history: the new decisions' facts kept (see
    refresh_decisions), the counts added up by the database, the times read for medians.
    """
    refresh_decisions()
    kept = ReviewDecision.objects.filter(reviewer__isnull=False)
    figures: dict[int, ReviewerFigures] = {}
    counted = kept.values("reviewer_id").annotate(
        decisions=Count("pk"),
        sent_back=Count("pk", filter=Q(action=Action.REQUEST_CHANGES)),
        with_warnings=Count("pk", filter=Q(with_warnings=True)),
        unchanged=Count("pk", filter=Q(unchanged=True)),
    )
    for row in counted.order_by():
        figures[row["reviewer_id"]] = ReviewerFigures(
            user=None,
            decisions=row["decisions"],
            sent_back=row["sent_back"],
            approvals=row["decisions"] - row["sent_back"],
            with_warnings=row["with_warnings"],
            unchanged=row["unchanged"],
        )
    timed = kept.filter(seconds_to_decide__isnull=False).values_list(
        "reviewer_id", "seconds_to_decide"
    )
    for reviewer_id, seconds in timed.order_by().iterator(chunk_size=10000):
        figures[reviewer_id].durations.append(timedelta(seconds=seconds))
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
