"""The answer list's filter behind the review dashboard's figures, and the dashboard rows.

A figure links to `?review_sign=SIGN&decided_by=ID`: the answers are found by the database
from the same query as the figure, so a link for 5,000 answers is as short as one for 5.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from editorial import workflow
from editorial.insights import review_quality
from editorial.insights.review_quality import REVIEWER_PARAMETER, SIGN_PARAMETER, SIGNS


class ReviewSignFilter(admin.SimpleListFilter):
    """Answers behind one reviewer's figure; shown only while in use (the links set it)."""

    title = "review quality"
    parameter_name = SIGN_PARAMETER

    def __init__(self, request, params, model, model_admin):
        # Read before the parent's __init__, which asks lookups() what to show.
        reviewer = params.pop(REVIEWER_PARAMETER, None)
        self.reviewer_value = reviewer[-1] if reviewer else None
        super().__init__(request, params, model, model_admin)
        if reviewer is not None:
            self.used_parameters[REVIEWER_PARAMETER] = self.reviewer_value

    def expected_parameters(self):
        return [self.parameter_name, REVIEWER_PARAMETER]

    def has_output(self):
        # Shown, and so applied, whenever the link set it, even to an unknown value.
        return self.value() is not None

    def _reviewer_id(self) -> int | None:
        value = self.reviewer_value or ""
        return int(value) if value.isdigit() else None

    def lookups(self, request, model_admin):
        if self.value() not in SIGNS or self._reviewer_id() is None:
            return []
        person = get_user_model().objects.filter(pk=self._reviewer_id()).first()
        who = workflow.display_name(person) if person else f"user {self._reviewer_id()}"
        return [(self.value(), f"{SIGNS[self.value()]}: {who}")]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(
                remove=[self.parameter_name, REVIEWER_PARAMETER]
            ),
            "display": "All",
        }
        for _value, label in self.lookup_choices:
            yield {
                "selected": True,
                "query_string": changelist.get_query_string(),
                "display": label,
            }

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        reviewer_id = self._reviewer_id()
        if reviewer_id is None:
            return queryset.none()
        return review_quality.answers_with_sign(queryset, self.value(), reviewer_id)


def _link(sign: str, reviewer_id: int) -> str:
    url = reverse("admin:editorial_answer_changelist")
    return f"{url}?{urlencode({SIGN_PARAMETER: sign, REVIEWER_PARAMETER: reviewer_id})}"


def review_quality_rows() -> list[dict]:
    """The dashboard's table: each reviewer's figures, each with the link to its answers."""
    rows = []
    for figures in review_quality.reviewer_figures():
        pk = figures.user.pk
        rows.append(
            {
                "user": figures.user,
                "decisions": figures.decisions,
                "sent_back": figures.sent_back,
                "sent_back_share": figures.sent_back_share,
                "timed": figures.timed,
                "median_time": review_quality.duration_label(figures.median_time),
                "approvals": figures.approvals,
                "with_warnings": figures.with_warnings,
                "unchanged": figures.unchanged,
                "urls": {sign: _link(sign, pk) for sign in SIGNS},
            }
        )
    return rows
