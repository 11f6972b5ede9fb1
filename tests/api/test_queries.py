"""What a request costs in queries does not grow with the answers served."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from editorial import workflow
from tests.api.conftest import MASSACHUSETTS, MISSISSIPPI, approve, get, make_key, step
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
