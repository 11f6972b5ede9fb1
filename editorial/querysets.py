"""Read-only filters over answers; no writes live here."""

from __future__ import annotations

import datetime
import re

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models
from django.utils import timezone

# What the search index holds a word as: letters and digits (SQLite's unicode61 tokenizer
# and PostgreSQL's parser both split on everything else, the underscore included).
_WORD_RE = re.compile(r"[^\W_]+")
# More words than anyone types; a pasted paragraph is not an error, only shortened.
_MAX_SEARCH_WORDS = 32


def search_words(terms: str) -> list[str]:
    """The words of a search box's text, lower-cased; quotes and operators are not words."""
    return [word.lower() for word in _WORD_RE.findall(terms)][:_MAX_SEARCH_WORDS]


class _FullTextMatch(models.Func):
    """PostgreSQL: the answer's search_vector column (migration 0008) matches a tsquery.

    The column is the database's, not a model field; it is named through the answer
    table's alias in this query, so the condition stays right when the list's queryset
    becomes a subquery (exports, bulk actions).
    """

    output_field = models.BooleanField()

    def __init__(self, tsquery: str) -> None:
        super().__init__(models.F("pk"), models.Value(tsquery))

    def as_sql(self, compiler, connection, **extra_context):
        column, tsquery = self.get_source_expressions()
        query_sql, params = compiler.compile(tsquery)
        vector = f"{compiler.quote_name_unless_alias(column.alias)}.search_vector"
        return f"{vector} @@ to_tsquery('simple'::regconfig, {query_sql})", params


class AnswerQuerySet(models.QuerySet):
    def active(self) -> AnswerQuerySet:
        return self.exclude(status="archived")

    def needs_review(self) -> AnswerQuerySet:
        return self.filter(status="in_review")

    def for_reviewer(self, user) -> AnswerQuerySet:
        return self.needs_review().filter(reviewer=user)

    def claimable(self) -> AnswerQuerySet:
        """Answers nobody is responsible for yet: any editor may claim them."""
        return self.active().filter(editor__isnull=True)

    def blocked(self) -> AnswerQuerySet:
        """Answers carrying a flag that blocks approval (so submission too)."""
        return self.active().filter(flag_level=2)

    def reimport_waiting(self) -> AnswerQuerySet:
        """Answers with a changed import kept beside the staff version, to merge."""
        return self.active().filter(
            models.Q(incoming_text__isnull=False) | models.Q(incoming_question__isnull=False)
        )

    def search(self, terms: str) -> AnswerQuerySet:
        """Answers whose question or text holds every word, in any order.

        The last word may be the start of a word (it is often still being typed). Answered
        from the full-text index of migration 0008 (SQLite FTS5, PostgreSQL GIN), so a
        search costs what its matches cost, not a scan of every answer. Quotes and
        operators are not passed on: whatever is typed gives a list, never an error; text
        with no word in it matches nothing.
        """
        words = search_words(terms)
        if not words:
            return self.none()
        vendor = connections[self.db].vendor
        if vendor == "sqlite":
            # Each word quoted, so FTS5 reads none of it as syntax (AND, NEAR, -, *).
            match = " ".join(f'"{word}"' for word in words) + "*"
            return self.filter(
                pk__in=models.expressions.RawSQL(
                    "SELECT rowid FROM editorial_answer_search "
                    "WHERE editorial_answer_search MATCH %s",
                    [match],
                )
            )
        if vendor == "postgresql":
            return self.full_text_match(" & ".join(words) + ":*")
        # No index elsewhere: the same words, found by scanning.
        query = self
        for word in words:
            query = query.filter(
                models.Q(question__icontains=word) | models.Q(text__icontains=word)
            )
        return query

    def full_text_match(self, tsquery: str) -> AnswerQuerySet:
        """PostgreSQL only: answers whose question and text, as the search index of migration
        0008 holds them, match this tsquery (to_tsquery syntax, 'simple' configuration)."""
        return self.filter(_FullTextMatch(tsquery))

    def approved(self) -> AnswerQuerySet:
        """Answers with an approved version that may leave the system."""
        return self.active().filter(approved__isnull=False)

    def due_for_rereview(self, today: datetime.date | None = None) -> AnswerQuerySet:
        """Exported answers whose approval is past its review-by date (today, unless given).

        They stay exported: the queue asks for a fresh look, it withdraws nothing.
        """
        return self.approved().filter(
            approved__review_by__lt=today if today is not None else timezone.localdate()
        )


# --- the history: permanent (see editorial.storage.history and migration 0007) ---

# The attribute of a Django connection that says the guard is lifted on it.
UNLOCKED_ATTRIBUTE = "editorial_history_unlocked"


class HistoryIsPermanent(IntegrityError):
    """A write would change or delete the history (an IntegrityError, like the triggers')."""


def is_unlocked(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether `unlocked()` is in force on this connection."""
    return getattr(connections[using], UNLOCKED_ATTRIBUTE, False)


class AppendOnlyQuerySet(models.QuerySet):
    """A part of the history (events, approvals, the chain's links): filters as usual; bulk
    update and delete refused, named by the model's plural."""

    def _refuse(self, done: str) -> None:
        if not is_unlocked(self.db):
            rows = self.model._meta.verbose_name_plural
            raise HistoryIsPermanent(f"Editorial history is permanent: {rows} cannot be {done}.")

    def update(self, **kwargs):
        self._refuse("changed")
        return super().update(**kwargs)

    update.alters_data = update.queryset_only = True

    def delete(self):
        self._refuse("deleted")
        return super().delete()

    delete.alters_data = delete.queryset_only = True


class ApprovalQuerySet(AppendOnlyQuerySet):
    """Approvals: append-only; an answer may have several, and names its latest."""

    def current(self) -> ApprovalQuerySet:
        """The approval each answer names as its own: its latest, what exports read.

        Asked as "named by an answer" (a semi-join on answer.approved_id), not as a join on
        both the answer's id and its approval's: PostgreSQL cannot see that those two
        conditions go together, expected one row of the join, and for an export's cursor
        chose a nested loop over every document (200,000 approvals: 9 minutes, not seconds).
        """
        answers = self.model._meta.get_field("answer").related_model
        return self.filter(pk__in=answers.objects.order_by().values("approved_id"))
