"""One withdrawal, told two ways: the API's sync delta lists a tombstone, and the webhook's
answer.withdrawn event carries one. A consumer of both applies them with one function, so
they must be the same object, compared here through a real request and a real delivery."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from jsonschema import ValidationError
from openapi_schema_validator import OAS31Validator
from standardwebhooks import Webhook

from editorial import webhooks, workflow
from tests.api.conftest import approve, body, get, make_key, step
from tests.exporters.conftest import MASSACHUSETTS, answer_at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    cache.clear()
    yield
    cache.clear()


def sync_to_end(client, key: str, **params) -> dict:
    """Every page of a sync (initial without a token): its records, tombstones and token."""
    page = body(get(client, "sync", key, **params))
    answers, deleted = page["answers"], page["deleted"]
    while page["next_page"]:
        page = body(get(client, "sync", key, token=page["next_page"]))
        answers += page["answers"]
        deleted += page["deleted"]
    return {"answers": answers, "deleted": deleted, "next": page["next_sync_token"]}


def deliver_all() -> None:
    while (at := webhooks.next_due_at()) is not None:
        webhooks.deliver_due(now=at)


def test_a_withdrawal_is_the_same_tombstone_in_the_sync_and_in_the_webhook(
    client, seeds, editor, reviewer, managing, hooked
):
    receiver, endpoint = hooked(fail_first=0)
    kept, withdrawn = (
        approve(answer_at(MASSACHUSETTS, 2), editor, reviewer),
        approve(answer_at(MASSACHUSETTS, 3), editor, reviewer),
    )
    key = make_key(managing, everything=True)[1]
    initial = sync_to_end(client, key)
    assert {record["id"] for record in initial["answers"]} == {kept.pk, withdrawn.pk}

    step(workflow.archive, withdrawn, managing)
    deliver_all()
    delta = sync_to_end(client, key, token=initial["next"])

    (event,) = [r for r in receiver.accepted if r.payload["type"] == "answer.withdrawn"]
    verified = Webhook(endpoint.secret).verify(event.body, event.headers)
    (tombstone,) = delta["deleted"]
    assert delta["answers"] == []
    # The very same object, key for key and value for value (deleted_at to the microsecond).
    assert verified["data"] == tombstone
    assert json.dumps(verified["data"], sort_keys=True) == json.dumps(tombstone, sort_keys=True)
    archived_at = withdrawn.events.get(action="archive").created_at
    assert tombstone == {
        "id": withdrawn.pk,
        "deleted_at": archived_at.isoformat(),
        "reason": "archived",
    }
    # The event is timed by the withdrawal, as an approval's is by its approval.
    assert verified["timestamp"] == tombstone["deleted_at"]
    # There is no webhook payload schema of its own: its data fits the API's published
    # Tombstone (and an approval's the AnswerRecord), from the OpenAPI document.
    components = client.get("/api/v1/schema").json()["components"]

    def check(name: str, instance) -> None:
        schema = {"$ref": f"#/components/schemas/{name}", "components": components}
        OAS31Validator(schema).validate(instance)

    check("Tombstone", verified["data"])
    approved = [r for r in receiver.accepted if r.payload["type"] == "answer.approved"]
    assert len(approved) == 2
    for event in approved:
        check("AnswerRecord", event.payload["data"])
    with pytest.raises(ValidationError, match="required"):
        check("Tombstone", {"id": withdrawn.pk, "withdrawn": True})
