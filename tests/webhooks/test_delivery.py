"""Approved content delivered to a real receiver: signed, retried on the schedule, each
event accepted exactly once and in order per answer, every attempt logged.

The clock is the test's: deliver_due(now=...) at each retry's time, as the task queued
for that time would run it (no sleeping through a backoff)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from editorial import webhooks, workflow
from editorial.exporters import Export
from editorial.models import (
    Answer,
    DeliveryState,
    Status,
    WebhookAttempt,
    WebhookEvent,
    WebhookMessage,
)
from tests.conftest import ma, put_in_state

pytestmark = pytest.mark.django_db


def jsonl_record(answer: Answer) -> dict:
    """The answer's line of the jsonl export, as a consumer of the file reads it."""
    exported = b"".join(
        Export("jsonl", channel="command", answers=Answer.objects.filter(pk=answer.pk)).stream()
    )
    (line,) = exported.decode().splitlines()
    return json.loads(line)


def next_due():
    return webhooks.next_due_at()


def walk(limit: int = 50) -> list:
    """Run deliver_due at each next retry's time until nothing is waiting; the times run."""
    times = []
    while (at := next_due()) is not None and len(times) < limit:
        webhooks.deliver_due(now=at)
        times.append(at)
    return times


def test_an_approval_reaches_a_flaky_receiver_once_signed_with_its_jsonl_record(
    answer, people, hooked
):
    receiver, endpoint = hooked(fail_first=2)
    put_in_state(answer, Status.APPROVED, people)

    (message,) = WebhookMessage.objects.all()
    assert (message.event_type, message.answer_id, message.endpoint) == (
        WebhookEvent.APPROVED,
        answer.pk,
        endpoint,
    )
    t0 = message.next_attempt_at
    second = t0 + webhooks.retry_wait(1, endpoint_id=endpoint.pk)
    third = second + webhooks.retry_wait(2, endpoint_id=endpoint.pk)
    webhooks.deliver_due(now=t0)
    webhooks.deliver_due(now=second - timedelta(milliseconds=1))  # not due yet: nothing sent
    assert len(receiver.requests) == 1
    webhooks.deliver_due(now=second)
    webhooks.deliver_due(now=third)

    assert [r.status for r in receiver.requests] == [500, 500, 204]
    assert receiver.accepted_counts() == {message.webhook_id: 1}
    (delivered,) = receiver.accepted
    assert delivered.verified
    headers = {
        k: delivered.headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
    payload = Webhook(endpoint.secret).verify(delivered.body, headers)
    assert payload["type"] == "answer.approved"
    assert payload["data"] == jsonl_record(answer)
    assert payload["timestamp"] == payload["data"]["approved_at"]
    # Every attempt sent the same bytes under the same webhook-id.
    assert {r.body for r in receiver.requests} == {message.body.encode()}
    assert {r.webhook_id for r in receiver.requests} == {message.webhook_id}

    message.refresh_from_db()
    assert message.state == DeliveryState.DELIVERED
    attempts = list(WebhookAttempt.objects.filter(message=message).order_by("number"))
    assert [(a.number, a.status_code, a.attempted_at) for a in attempts] == [
        (1, 500, t0),
        (2, 500, second),
        (3, 204, third),
    ]
    assert all(a.duration_ms >= 0 and a.endpoint_id == endpoint.pk for a in attempts)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.is_active


def test_events_of_an_answer_arrive_in_order_each_exactly_once(people, seeds, hooked):
    receiver, endpoint = hooked(fail_first=2)
    first, second = ma(2), ma(3)
    put_in_state(first, Status.APPROVED, people)
    put_in_state(second, Status.APPROVED, people)
    # While the approval is still failing, the answer is archived, restored and approved
    # again: each event waits for the one before it at this endpoint.
    workflow.archive(first, people["managing"])
    workflow.restore(first, people["managing"])
    webhooks.deliver_due(now=next_due())
    workflow.edit(first, user=people["editor"], text=first.text + " Checked again.")
    workflow.submit(first, people["editor"], reviewer=people["reviewer"])
    workflow.approve(first, people["reviewer"])

    walk()

    messages = list(WebhookMessage.objects.order_by("pk"))
    assert [(m.answer_id, m.event_type) for m in messages] == [
        (first.pk, "answer.approved"),
        (second.pk, "answer.approved"),
        (first.pk, "answer.withdrawn"),
        (first.pk, "answer.reapproved"),
        (first.pk, "answer.reapproved"),
    ]
    assert all(m.state == DeliveryState.DELIVERED for m in messages)
    assert receiver.accepted_counts() == {m.webhook_id: 1 for m in messages}
    assert all(r.verified for r in receiver.requests)
    by_answer = {}
    for received in receiver.accepted:
        by_answer.setdefault(received.payload["data"]["id"], []).append(received.webhook_id)
    assert by_answer[first.pk] == [m.webhook_id for m in messages if m.answer_id == first.pk]
    # Not merely accepted in order: no event of the answer was even tried before the one
    # ahead of it had been accepted.
    order = [m.webhook_id for m in messages if m.answer_id == first.pk]
    for earlier, later in zip(order, order[1:], strict=False):
        accepted_at = next(r.at for r in receiver.accepted if r.webhook_id == earlier)
        assert min(r.at for r in receiver.requests if r.webhook_id == later) > accepted_at
    withdrawn = next(r for r in receiver.accepted if r.payload["type"] == "answer.withdrawn")
    archived_at = first.events.get(action="archive").created_at
    assert withdrawn.payload["data"] == {
        "id": first.pk,
        "deleted_at": archived_at.isoformat(),
        "reason": "archived",
    }
    last = receiver.accepted[-1].payload
    assert last["type"] == "answer.reapproved" and last["data"] == jsonl_record(first)
    assert last["data"]["version"] > by_type(receiver, "answer.approved", first)["version"]


def by_type(receiver, event_type: str, answer: Answer) -> dict:
    return next(
        r.payload["data"]
        for r in receiver.accepted
        if r.payload["type"] == event_type and r.payload["data"]["id"] == answer.pk
    )


def test_the_schedule_is_the_standard_one_and_spans_more_than_a_day():
    assert [int(wait.total_seconds()) for wait in webhooks.SCHEDULE] == [
        0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400,
    ]  # fmt: skip
    assert webhooks.total_span() == timedelta(hours=75, minutes=35, seconds=5)
    assert webhooks.shortest_span() >= timedelta(hours=24)


def test_retries_are_jittered_apart_between_endpoints_and_keep_a_day_of_retries():
    endpoints = range(1, 201)
    for place, nominal in enumerate(webhooks.SCHEDULE):
        waits = [webhooks.retry_wait(place, endpoint_id=pk) for pk in endpoints]
        # Within the jitter's bounds, and the same draw every time it is asked.
        assert all(
            nominal * (1 - webhooks.JITTER) <= wait <= nominal * (1 + webhooks.JITTER)
            for wait in waits
        )
        assert waits == [webhooks.retry_wait(place, endpoint_id=pk) for pk in endpoints]
        if nominal:
            # Not in lock-step: 200 endpoints failing together come back spread over the
            # jitter's window (most of it), not at one time.
            assert max(Counter(waits).values()) <= 3
            assert max(waits) - min(waits) >= nominal * webhooks.JITTER * 1.8
            # Neither all early nor all late.
            assert 60 <= sum(wait < nominal for wait in waits) <= 140
        else:
            assert set(waits) == {timedelta(0)}  # the first attempt is at once
    # Each endpoint's whole schedule still retries for more than a day.
    for pk in endpoints:
        span = sum(
            (webhooks.retry_wait(place, endpoint_id=pk) for place in range(10)), timedelta(0)
        )
        assert span >= webhooks.shortest_span() >= timedelta(hours=24)


def test_an_endpoint_down_for_good_is_tried_for_three_days_then_disabled_with_a_notice(
    answer, people, hooked, mailoutbox, django_capture_on_commit_callbacks
):
    receiver, endpoint = hooked(fail_first=1000)
    put_in_state(answer, Status.APPROVED, people)
    (message,) = WebhookMessage.objects.all()
    t0 = message.next_attempt_at

    with django_capture_on_commit_callbacks(execute=True):
        times = walk()

    offsets = [at - t0 for at in times]
    expected, elapsed = [], timedelta(0)
    for place in range(len(webhooks.SCHEDULE)):
        elapsed += webhooks.retry_wait(place, endpoint_id=endpoint.pk)
        expected.append(elapsed)
    assert offsets == expected  # each attempt at its (jittered) time
    assert webhooks.shortest_span() <= offsets[-1] <= webhooks.total_span() * 1.2
    assert len(receiver.requests) == len(webhooks.SCHEDULE) == 10
    message.refresh_from_db()
    endpoint.refresh_from_db()
    assert message.state == DeliveryState.FAILED and message.attempts == 10
    assert not endpoint.is_active
    assert endpoint.consecutive_failures == 10
    hours, rest = divmod(int(offsets[-1].total_seconds()), 3600)
    assert (
        f"Every one of the 10 attempts to deliver answer.approved {message.webhook_id} failed, "
        f"over {hours} h {rest // 60} min; the last: HTTP 500."
    ) == endpoint.disabled_reason
    (notice,) = mailoutbox
    assert notice.to == [people["managing"].email]
    assert notice.subject == f"Webhook endpoint disabled: {endpoint}"
    assert endpoint.disabled_reason in notice.body
    assert f"/admin/editorial/webhookendpoint/{endpoint.pk}/change/" in notice.body

    # Disabled: a new event is kept, not sent.
    workflow.archive(answer, people["managing"])
    webhooks.deliver_due(now=timezone.now() + timedelta(days=5))
    assert len(receiver.requests) == 10
    assert WebhookMessage.objects.filter(state=DeliveryState.PENDING).count() == 1


def test_enabling_sends_the_failed_event_again_before_the_ones_kept_meanwhile(
    answer, people, hooked
):
    receiver, endpoint = hooked(fail_first=10)  # every attempt of the approval fails
    put_in_state(answer, Status.APPROVED, people)
    walk()
    workflow.archive(answer, people["managing"])
    endpoint.refresh_from_db()
    assert not endpoint.is_active

    receiver.fail_first = 0  # the receiver is mended
    assert webhooks.enable(endpoint=endpoint, user=people["managing"]) == 1
    webhooks.deliver_due(now=timezone.now() + timedelta(seconds=1))

    approved, withdrawn = WebhookMessage.objects.order_by("pk")
    assert [r.webhook_id for r in receiver.accepted] == [approved.webhook_id, withdrawn.webhook_id]


def test_a_receiver_answering_410_gone_disables_the_endpoint(answer, people, hooked):
    receiver, endpoint = hooked(fail_first=0, status=410)
    put_in_state(answer, Status.APPROVED, people)
    webhooks.deliver_due(now=next_due())
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "410 Gone" in endpoint.disabled_reason
    assert WebhookMessage.objects.get().state == DeliveryState.PENDING  # kept for later


def test_a_redirect_is_a_failure_and_is_not_followed(answer, people, hooked):
    receiver, endpoint = hooked(fail_first=0, status=302)
    put_in_state(answer, Status.APPROVED, people)
    webhooks.deliver_due(now=next_due())
    (attempt,) = WebhookAttempt.objects.all()
    assert attempt.status_code == 302
    assert "Redirects are not followed (to http://127.0.0.1:9/elsewhere)" in attempt.error
    assert len(receiver.requests) == 1
    assert WebhookMessage.objects.get().attempts == 1


def test_a_retry_after_longer_than_the_schedule_is_honoured(answer, people, hooked):
    receiver, endpoint = hooked(fail_first=1, retry_after=600)
    put_in_state(answer, Status.APPROVED, people)
    t0 = next_due()
    webhooks.deliver_due(now=t0)
    assert WebhookMessage.objects.get().next_attempt_at == t0 + timedelta(seconds=600)
    webhooks.deliver_due(now=t0 + timedelta(seconds=599))
    assert len(receiver.requests) == 1
    webhooks.deliver_due(now=t0 + timedelta(seconds=600))
    assert [r.status for r in receiver.requests] == [500, 204]


def test_an_unreachable_endpoint_logs_the_error_and_its_time(answer, people, managing):
    endpoint = webhooks.create_endpoint(
        url="http://127.0.0.1:9/nobody", events=["answer.approved"], user=managing
    )
    put_in_state(answer, Status.APPROVED, people)
    webhooks.deliver_due(now=next_due())
    (attempt,) = WebhookAttempt.objects.filter(endpoint=endpoint)
    assert attempt.status_code is None
    assert "ConnectionRefusedError" in attempt.error
    assert attempt.duration_ms < 10_000


def test_only_subscribed_events_are_written(answer, people, hooked):
    receiver, withdrawals = hooked(events=["answer.withdrawn"])
    put_in_state(answer, Status.APPROVED, people)
    assert not WebhookMessage.objects.exists()
    workflow.archive(answer, people["managing"])
    assert list(WebhookMessage.objects.values_list("event_type", flat=True)) == ["answer.withdrawn"]


def test_archiving_an_answer_never_approved_owes_nothing(answer, people, hooked):
    hooked()
    put_in_state(answer, Status.ARCHIVED, people)
    workflow.restore(answer, people["managing"])
    assert not WebhookMessage.objects.exists()


def test_a_bulk_approval_writes_each_answers_event_with_its_record(people, seeds, hooked):
    receiver, endpoint = hooked(fail_first=0)
    answers = [ma(2), ma(3), ma(4)]
    for answer in answers:
        put_in_state(answer, Status.IN_REVIEW, people)
    outcome = workflow.approve_many(answers=answers, user=people["reviewer"])
    assert len(outcome.done) == 3
    walk()
    assert [r.payload["data"] for r in receiver.accepted] == [jsonl_record(a) for a in answers]


def test_a_rolled_back_step_owes_no_event(answer, people, hooked):
    hooked()
    put_in_state(answer, Status.IN_REVIEW, people)
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.approve(answer, people["reviewer"])
        assert WebhookMessage.objects.count() == 1  # written with the step...
        raise RuntimeError("the request failed after the step")
    assert not WebhookMessage.objects.exists()  # ... and gone with it


def test_redelivery_sends_the_same_event_again_its_attempts_numbered_on(answer, people, hooked):
    receiver, endpoint = hooked(fail_first=1)
    put_in_state(answer, Status.APPROVED, people)
    walk()
    (message,) = WebhookMessage.objects.all()
    assert webhooks.redeliver(messages=[message], user=people["managing"]) == 1
    walk()
    first, again = receiver.accepted
    assert (first.webhook_id, first.body) == (again.webhook_id, again.body)
    assert first.headers["webhook-signature"] and again.verified
    # The log counts on (a third attempt, not a second "attempt 1")...
    assert list(message.tries.order_by("id").values_list("number", "status_code")) == [
        (1, 500),
        (2, 204),
        (3, 204),
    ]
    # ...while the schedule started again: a failure now would wait its first delay.
    message.refresh_from_db()
    assert message.attempts == 1 and message.state == DeliveryState.DELIVERED


def test_the_command_delivers_what_is_due(answer, people, hooked):
    receiver, endpoint = hooked(fail_first=1)
    put_in_state(answer, Status.APPROVED, people)
    out = StringIO()
    call_command("deliver_webhooks", stdout=out)
    assert out.getvalue().startswith("0 delivered, 1 failed attempts (tried again later)")
    assert "Next due: " in out.getvalue()
    assert [r.status for r in receiver.requests] == [500]
