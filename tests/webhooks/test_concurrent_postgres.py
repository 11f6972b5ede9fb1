"""Several workers delivering at once on PostgreSQL: each event is accepted exactly once,
and in order per answer (the lease is a compare-and-set; an event waits for the one ahead
of it)."""

from __future__ import annotations

import threading
from collections import defaultdict

import pytest
from django.db import connection, connections

from editorial import webhooks, workflow
from editorial.models import Answer, DeliveryState, Status, WebhookMessage
from tests.conftest import put_in_state

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="workers share PostgreSQL"),
    # serialized_rollback: the groups and their permissions (a migration's) outlive the flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_four_workers_deliver_each_event_once_in_order_per_answer(people, seeds, hooked):
    receiver, endpoint = hooked(fail_first=2)
    answers = list(Answer.objects.filter(document__subject="Massachusetts").order_by("position"))
    answers = answers[1:7]
    for answer in answers:
        put_in_state(answer, Status.APPROVED, people)
    for answer in answers[:3]:
        workflow.archive(answer, people["managing"])
        workflow.restore(answer, people["managing"])
    expected = list(WebhookMessage.objects.order_by("pk"))
    assert len(expected) == 12

    errors = []

    def work(now):
        try:
            webhooks.deliver_due(now=now)
        except Exception as error:  # reported by the test, in its thread
            errors.append(error)
        finally:
            connections.close_all()

    while (at := webhooks.next_due_at()) is not None:
        threads = [threading.Thread(target=work, args=(at,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors

    assert WebhookMessage.objects.filter(state=DeliveryState.DELIVERED).count() == 12
    assert receiver.accepted_counts() == {m.webhook_id: 1 for m in expected}
    # Three attempts each (two refused, one accepted): no attempt made twice at once.
    assert len(receiver.requests) == 36
    accepted = defaultdict(list)
    for received in receiver.accepted:
        accepted[received.payload["data"]["id"]].append(received.webhook_id)
    for answer in answers:
        assert accepted[answer.pk] == [m.webhook_id for m in expected if m.answer_id == answer.pk]
