"""Read-only filters over answers; no writes live here."""

from __future__ import annotations

from django.db import models


class AnswerQuerySet(models.QuerySet):
    def active(self) -> AnswerQuerySet:
        return self.exclude(status="archived")

    def needs_review(self) -> AnswerQuerySet:
        return self.filter(status="in_review")

    def for_reviewer(self, user) -> AnswerQuerySet:
        return self.needs_review().filter(reviewer=user)

    def drafts_of(self, user) -> AnswerQuerySet:
        return self.filter(editor=user, status__in=["draft", "changes_requested"])

    def approved(self) -> AnswerQuerySet:
        """Answers with an approved version that may leave the system."""
        return self.active().filter(approved__isnull=False)
