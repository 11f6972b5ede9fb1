"""What a request costs in queries does not grow with the answers served."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from editorial import workflow
from tests.api.conftest import (
    MASSACHUSETTS,
    MISSISSIPPI,
    approve,
    documents_named,
    get,
    make_key,
    step,
)
from tests.exporters.conftest import answer_at

pytestmark = pytest.mark.django_db


def costs(client, token: str, sync_token: str) -> dict[str, int]:
    counted = {}
    for name, path, params in (
        ("answers", "answers", {}),
        ("filtered", "answers", {"subject": "Mississippi"}),
        ("documents", "documents", {}),
        ("initial sync", "sync", {}),
        ("delta", "sync", {"token": sync_token}),
    ):
        with CaptureQueriesContext(connection) as queries:
            assert get(client, path, token, **params).status_code == 200
        counted[name] = len(queries)
    return counted


@pytest.mark.parametrize("scoped", [False, True])
def test_queries_per_request_stay_the_same_with_more_answers(client, approved, people, scoped):
    editor, reviewer, managing = people["editor"], people["reviewer"], people["managing"]
    fields = {"subjects": ["Mississippi", "Massachusetts"]} if scoped else {"everything": True}
    _, token = make_key(managing, **fields)
    get(client, "documents", token)  # its last use written: once a minute, not per request
    sync_token = get(client, "sync", token).json()["next_sync_token"]
    approve(answer_at(MISSISSIPPI, 3), editor, reviewer)
    step(workflow.archive, approved["ma2"], managing)
    before = costs(client, token, sync_token)
    for position in (5, 6, 8):
        approve(answer_at(MASSACHUSETTS, position), editor, reviewer)
    approve(answer_at(MISSISSIPPI, 4), editor, reviewer)
    step(workflow.archive, approved["ma3"], managing)
    assert costs(client, token, sync_token) == before
    assert before["answers"] <= 6


@pytest.mark.parametrize("scoped", [False, True])
def test_a_page_is_one_query_after_the_key_and_a_revalidation_builds_nothing(
    client, approved, people, scoped
):
    """The key is read with the chain's head in one statement (and, scoped by document, its
    documents in another); a page's answers and records are one more; a 304 reads no more."""
    reviewer = people["reviewer"]
    fields = {"documents": documents_named(MASSACHUSETTS)} if scoped else {"everything": True}
    _, token = make_key(people["managing"], **fields)
    key_reads = 2 if scoped else 1
    get(client, "documents", token)  # its last use written: once a minute, not per request
    for path, params in (("answers", {"limit": 2}), ("sync", {"limit": 2})):
        with CaptureQueriesContext(connection) as page_queries:
            first = get(client, path, token, **params)
        assert first.status_code == 200
        assert len(page_queries) == key_reads + 1, [q["sql"] for q in page_queries]
        with CaptureQueriesContext(connection) as revalidation_queries:
            again = client.get(
                f"/api/v1/{path}",
                params,
                headers={"Authorization": f"Bearer {token}", "If-None-Match": first["ETag"]},
            )
        assert again.status_code == 304
        assert len(revalidation_queries) == key_reads, [q["sql"] for q in revalidation_queries]
    # A page's worth of answers more: still one query for the page.
    for position in (5, 6, 8):
        approve(answer_at(MASSACHUSETTS, position), people["editor"], reviewer)
    with CaptureQueriesContext(connection) as page_queries:
        assert get(client, "answers", token, limit=100).status_code == 200
    assert len(page_queries) == key_reads + 1
