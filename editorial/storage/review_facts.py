"""Review-quality facts kept as each decision is taken, and each reviewer's running totals.

A decision (approve, request changes: one at a time or in bulk) calls `keep` in its own
transaction, after its revision and event are written. `keep` reads what the decision was
from the record, inside the database (the same derivation the figures have always used):

- the opening it is timed from: the deciding reviewer's ReviewOpening of the submission
  decided (the answer's latest submit event before the decision);
- "with warnings" and "unchanged": from the answer's version in the decision's own
  revision (its flag level; its question and text against the imported ones), so they stay
  what the decision was when the answer is edited or re-imported later;

and writes it as a ReviewDecision row (what the answer list's "behind this figure" filters
read), then adds it to the reviewer's ReviewerTotals row and ReviewerTimes bucket with
INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n: an increment in the database, so two
reviewers deciding at once both count (PostgreSQL locks the row for the second until the
first commits; SQLite has one writer at a time). Nothing is computed when a page is read.

`refill` is the repair and the migration's work (0019): keep every decision missing from
ReviewDecision, then count every total again from the kept rows.
"""

from __future__ import annotations

from django.apps import apps as installed_apps
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Cast

from editorial.models import FlagLevel, WorkflowEvent

Action = WorkflowEvent.Action
DECISIONS = (Action.APPROVE, Action.REQUEST_CHANGES)

# The resolution of a kept time, as editorial.insights.review_quality.duration_label shows
# it: whole seconds under a minute, whole minutes under 48 hours, whole hours from there.
MINUTE, HOUR = 60, 3600
MINUTES_UNTIL = 48 * HOUR


def bucket(seconds: int) -> int:
    """The time as it is shown (cut, not rounded, as the label cuts): its bucket's start."""
    if seconds < MINUTE:
        return seconds
    if seconds < MINUTES_UNTIL:
        return seconds // MINUTE * MINUTE
    return seconds // HOUR * HOUR


class _Tables:
    """The models read and written: the installed ones, or a migration's historical ones."""

    def __init__(self, apps=None) -> None:
        get = (apps or installed_apps).get_model
        self.event = get("editorial", "WorkflowEvent")
        self.opening = get("editorial", "ReviewOpening")
        self.decision = get("editorial", "ReviewDecision")
        self.totals = get("editorial", "ReviewerTotals")
        self.times = get("editorial", "ReviewerTimes")
        self.version = get("reversion", "Version")
        self.content_type = get("contenttypes", "ContentType")


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


class _Bucket(models.Func):
    """`bucket` in SQL: integer division cuts as the label does, on both databases."""

    output_field = models.IntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        value, params = compiler.compile(self.get_source_expressions()[0])
        sql = (
            f"CASE WHEN {value} < {MINUTE} THEN {value} "
            f"WHEN {value} < {MINUTES_UNTIL} THEN ({value} / {MINUTE}) * {MINUTE} "
            f"ELSE ({value} / {HOUR}) * {HOUR} END"
        )
        return sql, [*params] * 5


_KEPT_COLUMNS = (
    "event_id", "reviewer_id", "answer_id", "action", "decided_at", "opened_at",
    "seconds_to_decide", "with_warnings", "unchanged",
)  # fmt: skip
# What _facts selects for them, in that order.
_DERIVED = (
    "id", "actor_id", "answer_id", "action", "created_at", "opened_at", "seconds", "warned",
    "same",
)  # fmt: skip


def _facts(tables: _Tables, events):
    """The kept columns of these decision events, derived in the database, one row each."""
    answer_type = tables.content_type.objects.filter(app_label="editorial", model="answer")
    version = tables.version.objects.filter(
        revision_id=OuterRef("revision_id"),
        content_type_id=Subquery(answer_type.values("pk")[:1]),
        object_id=Cast(OuterRef("answer_id"), models.CharField()),
    ).order_by()
    same = models.Case(
        models.When(
            Q(question=models.F("imported_question"), text=models.F("imported_text")),
            then=models.Value(True),
        ),
        default=models.Value(False),
        output_field=models.BooleanField(),
    )
    approval = Q(action=Action.APPROVE)
    return (
        events.filter(action__in=DECISIONS)
        .annotate(
            submission_id=Subquery(
                tables.event.objects.filter(
                    answer_id=OuterRef("answer_id"), action=Action.SUBMIT, id__lt=OuterRef("id")
                )
                .order_by("-id")
                .values("id")[:1]
            ),
            opened_at=Subquery(
                tables.opening.objects.filter(
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
                    same=same,
                ).values("same")[:1]
            ),
        )
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
        .values_list(*_DERIVED)
        .order_by()
    )


def _insert(model, columns, select, *, using: str, on_conflict: str = "") -> int:
    """INSERT INTO model (columns) SELECT …: the rows never pass through Python."""
    connection = connections[using]
    quote = connection.ops.quote_name
    sql, params = select.query.get_compiler(using=using).as_sql()
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        # The SELECT always has a WHERE: SQLite then reads ON CONFLICT as the upsert's.
        cursor.execute(f"INSERT INTO {table} ({names}) {sql} {on_conflict}", params)
        return max(cursor.rowcount, 0)


def _add(model, keys, counts, select, *, using: str) -> None:
    """Add the selected counts to the rows of these keys, making the rows that are missing."""
    quote = connections[using].ops.quote_name
    table = quote(model._meta.db_table)
    added = ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in counts)
    conflict = f"ON CONFLICT ({', '.join(quote(key) for key in keys)}) DO UPDATE SET {added}"
    _insert(model, (*keys, *counts), select, using=using, on_conflict=conflict)


def _add_to_totals(tables: _Tables, kept, *, using: str) -> None:
    """Add these kept decisions to their reviewers' totals and time buckets.

    Rows are added in key order: two batches adding to the same rows lock them in the same
    order, so they wait for each other instead of deadlocking.
    """
    kept = kept.filter(reviewer__isnull=False).order_by()
    counted = (
        kept.values("reviewer_id")
        .annotate(
            decisions=Count("pk"),
            sent_back=Count("pk", filter=Q(action=Action.REQUEST_CHANGES)),
            with_warnings=Count("pk", filter=Q(with_warnings=True)),
            unchanged=Count("pk", filter=Q(unchanged=True)),
        )
        .values_list("reviewer_id", "decisions", "sent_back", "with_warnings", "unchanged")
        .order_by("reviewer_id")
    )
    _add(tables.totals, ("reviewer_id",), ("decisions", "sent_back", "with_warnings",
         "unchanged"), counted, using=using)  # fmt: skip
    timed = (
        kept.filter(seconds_to_decide__isnull=False)
        .annotate(shown=_Bucket(models.F("seconds_to_decide")))
        .values("reviewer_id", "shown")
        .annotate(decisions=Count("pk"))
        .values_list("reviewer_id", "shown", "decisions")
        .order_by("reviewer_id", "shown")
    )
    _add(tables.times, ("reviewer_id", "seconds"), ("decisions",), timed, using=using)


def keep(events) -> None:
    """Keep the facts of these decisions, just written in this transaction, and add them to
    their reviewers' totals: three statements, however many decisions.

    `events` is a queryset of the decisions' WorkflowEvent rows (one, or a bulk approval's
    batch). Their facts cannot be kept already (nobody else sees the events before this
    transaction commits), so a second keep of the same event is an error, not a recount.
    """
    tables, using = _Tables(), events.db
    _insert(tables.decision, _KEPT_COLUMNS, _facts(tables, events), using=using)
    kept = tables.decision.objects.using(using).filter(event_id__in=events.values("pk"))
    _add_to_totals(tables, kept, using=using)


def refill(*, apps=None, using: str = DEFAULT_DB_ALIAS, recount: bool = False) -> int:
    """Keep the facts of every decision missing from ReviewDecision and, if any was (or with
    `recount`), count every reviewer's totals again from the kept rows; returns how many
    were missing. Reads the whole history: the migration's work and a repair, never a page's.

    On PostgreSQL the totals are locked first: a decision taken meanwhile waits to add
    itself until the recount is committed, and two refills run one after the other.
    """
    tables = _Tables(apps)
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in (tables.totals, tables.times):
                    table = connection.ops.quote_name(model._meta.db_table)
                    cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        kept = tables.decision.objects.using(using)
        missing = tables.event.objects.using(using).filter(
            ~Exists(kept.filter(event_id=OuterRef("pk")))
        )
        added = _insert(
            tables.decision,
            _KEPT_COLUMNS,
            _facts(tables, missing),
            using=using,
            on_conflict="ON CONFLICT DO NOTHING",
        )
        if added or recount:
            with connection.cursor() as cursor:
                for model in (tables.times, tables.totals):
                    cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
            _add_to_totals(tables, kept.all(), using=using)
    return added
