"""Read-only filters over answers; no writes live here."""

from __future__ import annotations

import re

from django.db import connections, models

# What the search index holds a word as: letters and digits (SQLite's unicode61 tokenizer
# and PostgreSQL's parser both split on everything else, the underscore included).
_WORD_RE = re.compile(r"[^\W_]+")
# More words than anyone types; a pasted paragraph is not an error, only shortened.
_MAX_SEARCH_WORDS = 32


def search_words(terms: str) -> list[str]:
    """The words of a search box's text, lower-cased; quotes and operators are not words."""
    return [word.lower() for word in _WORD_RE.findall(terms)][:_MAX_SEARCH_WORDS]


class _FullTextMatch(models.Func):
    """PostgreSQL: question and text match a tsquery, through the GIN index of 0007.

    The SQL repeats the index's expression exactly (`to_tsvector('simple', question || ' '
    || text)`), or the planner cannot use the index. Written as an expression, not raw SQL,
    so the columns are relabelled when the list's queryset becomes a subquery (exports).
    """

    output_field = models.BooleanField()

    def __init__(self, tsquery: str) -> None:
        super().__init__(models.F("question"), models.F("text"), models.Value(tsquery))

    def as_sql(self, compiler, connection, **extra_context):
        question, text, tsquery = (compiler.compile(arg) for arg in self.get_source_expressions())
        sql = (
            f"to_tsvector('simple'::regconfig, {question[0]} || ' ' || {text[0]}) "
            f"@@ to_tsquery('simple'::regconfig, {tsquery[0]})"
        )
        return sql, (*question[1], *text[1], *tsquery[1])


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
        from the full-text index of migration 0007 (SQLite FTS5, PostgreSQL GIN), so a
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
            return self.filter(_FullTextMatch(" & ".join(words) + ":*"))
        # No index elsewhere: the same words, found by scanning.
        query = self
        for word in words:
            query = query.filter(
                models.Q(question__icontains=word) | models.Q(text__icontains=word)
            )
        return query

    def approved(self) -> AnswerQuerySet:
        """Answers with an approved version that may leave the system."""
        return self.active().filter(approved__isnull=False)
