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

    def approved(self) -> AnswerQuerySet:
        """Answers with an approved version that may leave the system."""
        return self.active().filter(approved__isnull=False)
