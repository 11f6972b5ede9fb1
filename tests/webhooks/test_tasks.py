"""Deliveries run by the task queued once the step has committed: never in the step's
transaction, so a failing endpoint neither slows nor rolls back the step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from editorial import webhooks, workflow
from editorial.models import (
    ApprovedVersion,
    DeliveryState,
    Status,
    WebhookAttempt,
    WebhookMessage,
)
from tests.conftest import ma, post_step, put_in_state, run_worker

pytestmark = pytest.mark.django_db


def deliveries():
    return DBTaskResult.objects.filter(task_path__endswith=".deliver_webhooks")


def test_the_worker_delivers_after_commit_and_queues_each_retry_for_its_time(
    client, answer, people, hooked, db_tasks
):
    receiver, endpoint = hooked(fail_first=1)
    put_in_state(answer, Status.IN_REVIEW, people)
    client.force_login(people["reviewer"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        post_step(client, answer, "approve")

    assert receiver.requests == []  # the request only wrote the outbox row
    (queued,) = deliveries().filter(status="READY")  # beside the approval's e-mail
    with TestCase.captureOnCommitCallbacks(execute=True):  # the worker's commits
        run_worker()

    (message,) = WebhookMessage.objects.all()
    assert [r.status for r in receiver.requests] == [500]
    retry = deliveries().get(status="READY")
    # Queued for the retry's time, to the whole second after it.
    assert timedelta(0) <= retry.run_after - message.next_attempt_at < timedelta(seconds=1)
    assert retry.run_after.microsecond == 0
    (attempt,) = WebhookAttempt.objects.all()
    assert message.next_attempt_at == attempt.attempted_at + webhooks.retry_wait(
        1, endpoint_id=endpoint.pk
    )

    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    # The wait is over: the retry runs at its time, as the worker's clock says.
    WebhookMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    with TestCase.captureOnCommitCallbacks(execute=True):
        run_worker()
    assert [r.status for r in receiver.requests] == [500, 204]
    assert receiver.accepted[0].verified
    message.refresh_from_db()
    assert message.state == DeliveryState.DELIVERED


def test_a_failing_endpoint_never_rolls_back_the_step(client, answer, people, hooked):
    # The tests' immediate backend runs the delivery at commit, in the request's process.
    receiver, endpoint = hooked(fail_first=100)
    put_in_state(answer, Status.IN_REVIEW, people)
    client.force_login(people["reviewer"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = post_step(client, answer, "approve")

    assert response.status_code == 200
    answer.refresh_from_db()
    assert answer.status == Status.APPROVED
    assert ApprovedVersion.objects.filter(answer=answer).count() == 1
    assert [r.status for r in receiver.requests] == [500]
    (message,) = WebhookMessage.objects.all()
    assert message.state == DeliveryState.PENDING and message.attempts == 1
    assert message.last_error == "HTTP 500"


def test_a_step_on_an_answer_nobody_subscribed_to_queues_no_task(client, answer, people, db_tasks):
    put_in_state(answer, Status.IN_REVIEW, people)
    client.force_login(people["reviewer"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        post_step(client, answer, "approve")
    assert not WebhookMessage.objects.exists()
    assert not deliveries().exists()


def test_a_run_failing_many_events_queues_one_task_per_second_of_retries(
    people, seeds, hooked, db_tasks
):
    receiver, endpoint = hooked(fail_first=1)
    answers = [ma(position) for position in (2, 3, 4, 5)]
    for answer in answers:
        put_in_state(answer, Status.IN_REVIEW, people)
    workflow.approve_many(answers=answers, user=people["reviewer"])
    now = webhooks.next_due_at()
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = webhooks.deliver_due(now=now)
    assert done.failed_attempts == 4
    wakes = list(deliveries().filter(status="READY").values_list("run_after", flat=True))
    assert len(wakes) == len(done.wake_at) <= 2  # the four retries fall due within a second
    # Every retry has a task at or after its time (and within a second of it).
    for retry in WebhookMessage.objects.values_list("next_attempt_at", flat=True):
        assert any(timedelta(0) <= wake - retry < timedelta(seconds=1) for wake in wakes)
    assert max(WebhookMessage.objects.values_list("next_attempt_at", flat=True)) <= max(wakes)
