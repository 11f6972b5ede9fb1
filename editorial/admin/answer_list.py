"""The answer list's pages: a paginator whose deep pages cost what the first one does, one
whose count stops at a cap for searches, and a change list that reads only the columns it
shows."""

from __future__ import annotations

import json

from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

from editorial.admin.home import capped_count


class DeferredJoinPaginator(Paginator):
    """Pages that skip rows by id alone, then read only the rows shown.

    A plain OFFSET builds every skipped row (joins included) before throwing it away, so
    page 6,000 cost seconds. Here the skipping is an index-only walk of the list's order
    inside a subquery (`id IN (SELECT id … ORDER BY … LIMIT … OFFSET …)`): still one query,
    so a page costs the same queries at any size.
    """

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = self.object_list.values("pk")[bottom:top]
        return self._get_page(self.object_list.filter(pk__in=ids), number, self)


# A search counts its matches no further than this: 20 pages of 50.
SEARCH_COUNT_CAP = 1000


class CappedCountPaginator(DeferredJoinPaginator):
    """Pages counted no further than SEARCH_COUNT_CAP + 1 rows: a search's, and the logs'.

    A search for common words matches most answers: counting them all read the table
    (816 ms of a search page at 500,000 answers, for 50 rows shown). The count is a COUNT
    over a LIMIT subquery, so the page numbers reach the cap and the list says "1,000+";
    a narrower search or a filter finds what lies past it.
    """

    @cached_property
    def _counted(self) -> dict:
        return capped_count(self.object_list, SEARCH_COUNT_CAP)

    @cached_property
    def count(self) -> int:
        return self._counted["count"]

    @property
    def capped(self) -> bool:
        return self._counted["more"]

    @property
    def count_label(self) -> str:
        return self._counted["label"]


# The answer list counts exactly up to this many; past it, PostgreSQL's estimate.
EXACT_COUNT_CAP = 10_000


class EstimatingPaginator(CappedCountPaginator):
    """The answer list's pages: counted exactly up to EXACT_COUNT_CAP, estimated past it.

    Counting a million answers reads an index of a million entries on every page (half a
    second at 500,000 answers while autovacuum lagged), for a number nobody reads to the
    unit. Past the cap, PostgreSQL's planner says how many rows it expects (its statistics,
    kept fresh after bulk work by storage.statistics), shown as "about 990,000"; every page
    up to that is reachable, as before. SQLite's counts walk a local file and stay exact.
    """

    @cached_property
    def _counted(self) -> dict:
        if connections[self.object_list.db].vendor != "postgresql":
            exact = self.object_list.count()
            return {"count": exact, "more": False, "label": f"{exact:,}"}
        counted = capped_count(self.object_list, EXACT_COUNT_CAP)
        # Planned whatever the count, so a page costs the same two queries at any size.
        expected = max(planned_rows(self.object_list), EXACT_COUNT_CAP + 1)
        if not counted["more"]:
            return {**counted, "label": f"{counted['count']:,}"}
        return {"count": expected, "more": True, "label": f"about {_rounded(expected):,}"}


def planned_rows(queryset) -> int:
    """The rows PostgreSQL's planner expects the query to return (planning only)."""
    if queryset.query.is_empty():  # a filter that matches nothing: no SQL to plan
        return 0
    plan = json.loads(queryset.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def _rounded(number: int) -> int:
    """Two significant figures: an estimate shown no more precise than it is."""
    digits = len(str(number)) - 2
    return round(number, -digits) if digits > 0 else number


class AnswerChangeList(ChangeList):
    """The list as Django builds it, with the per-row costs that grew with the page cut.

    It reads the columns it shows, not the full and imported texts of each row; and the
    rows' links carry the list's filters without Django resolving each link's URL again to
    learn that it is a change page (a third of the time of a filtered page of 100).
    """

    deferred = ["text", "imported_question", "imported_text", "incoming_question", "incoming_text"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What add_preserved_filters would append to a change page's link, appended here.
        self.row_link_query = self.preserved_filters
        self.preserved_filters = ""
        self.row_links: dict[int, str] = {}

    def get_results(self, request):
        super().get_results(request)
        self.result_list = self.result_list.defer(*self.deferred)

    def url_for_result(self, result) -> str:
        # Two columns link to the row: one reverse() each row, not two.
        if result.pk not in self.row_links:
            url = super().url_for_result(result)
            self.row_links[result.pk] = (
                f"{url}?{self.row_link_query}" if self.row_link_query else url
            )
        return self.row_links[result.pk]
