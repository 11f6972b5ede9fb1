"""The logs' lists over real HTTP: newest first, counted no further than a cap, their filters'
choices never read off the log, so a page costs the same queries at any size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from editorial.admin import answer_list
from editorial.importers import import_contents
from editorial.models import WorkflowEvent
from tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db
EVENTS = "/admin/editorial/workflowevent/"


def import_copies(copy: int) -> None:
    """The seed files again under other names: as many more import events as answers."""
    contents = [(f"{copy}-{path.name}", path.read_bytes()) for path in FIXTURES.glob("*.txt")]
    assert not import_contents(contents).failed


def event_log(client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(EVENTS, params)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_the_event_log_shows_the_newest_first(client, seeds, managing):
    client.force_login(managing)
    newest = WorkflowEvent.objects.latest("pk")

    page, _ = event_log(client)

    assert page.index(f"/admin/editorial/workflowevent/{newest.pk}/change/") < page.index(
        f"/admin/editorial/workflowevent/{newest.pk - 1}/change/"
    )


def test_the_event_log_costs_the_same_queries_at_twice_the_events(client, seeds, managing):
    client.force_login(managing)
    _, before = event_log(client)
    filtered_before = event_log(client, actor__id__exact=managing.pk, action="import")[1]

    import_copies(1)

    assert event_log(client)[1] == before
    assert event_log(client, actor__id__exact=managing.pk, action="import")[1] == filtered_before


def test_a_long_log_is_counted_to_the_cap(client, seeds, managing, monkeypatch):
    monkeypatch.setattr(answer_list, "SEARCH_COUNT_CAP", 30)
    client.force_login(managing)
    total = WorkflowEvent.objects.count()
    assert total > 30

    page, _ = event_log(client)

    assert "30+ workflow events" in page
    assert f"{total} workflow events" not in page


def test_the_person_filter_offers_the_staff_not_the_log(
    client, seeds, people, managing, django_user_model
):
    reader = django_user_model.objects.create_user("reader", is_staff=False)
    client.force_login(managing)

    page, _ = event_log(client)

    # Nobody has done anything yet but the import (by no one); the staff are offered anyway.
    assert f"actor__id__exact={people['reviewer2'].pk}" in page
    assert f"actor__id__exact={reader.pk}" not in page  # no account of the staff


def test_the_date_filter_needs_no_hierarchy(client, seeds, managing):
    client.force_login(managing)

    page, _ = event_log(client)

    assert "By created at" in page
    assert "date_hierarchy" not in page and "xfull" not in page
