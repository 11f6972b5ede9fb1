"""Notification e-mails go out from a worker after the step has committed; a mail server
that refuses is tried again later, and the step stands whatever it does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from editorial.models import Status
from editorial.tasks.mail import MAIL_ATTEMPTS
from tests.conftest import post_step, put_in_state, run_worker
from tests.tasks import flaky_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def flaky(settings, db_tasks):
    settings.EMAIL_BACKEND = "tests.tasks.flaky_mail.FlakyBackend"
    return flaky_mail.reset


def submit(client, answer, people):
    put_in_state(answer, Status.DRAFT, people)
    client.force_login(people["editor"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        post_step(client, answer, "submit", comment="Ready.")


def test_the_email_is_sent_by_the_worker_not_the_request(client, answer, people, mailoutbox, flaky):
    flaky(0)
    submit(client, answer, people)

    assert mailoutbox == []
    assert DBTaskResult.objects.get().status == "READY"
    run_worker()
    assert [m.to for m in mailoutbox] == [["reviewer@example.org"]]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_a_refused_email_is_tried_again_later_and_the_step_stands(
    client, answer, people, mailoutbox, flaky
):
    flaky(1)
    submit(client, answer, people)

    run_worker()

    answer.refresh_from_db()
    assert answer.status == Status.IN_REVIEW  # the step is not rolled back
    assert mailoutbox == []
    failed, retry = DBTaskResult.objects.order_by("enqueued_at")
    assert failed.status == "FAILED" and "ConnectionRefusedError" in failed.exception_class_path
    assert retry.status == "READY" and retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after > timezone.now() + timedelta(seconds=20)  # not at once

    # The wait is over.
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()

    assert [m.to for m in mailoutbox] == [["reviewer@example.org"]]
    assert mailoutbox[0].subject == f"Review requested: {answer}"
    retry.refresh_from_db()
    assert retry.status == "SUCCESSFUL"


def test_a_mail_server_down_for_good_is_tried_a_bounded_number_of_times(
    client, answer, people, mailoutbox, flaky
):
    flaky(100)
    submit(client, answer, people)

    for _ in range(MAIL_ATTEMPTS + 2):
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        run_worker()

    assert DBTaskResult.objects.filter(status="FAILED").count() == MAIL_ATTEMPTS
    assert not DBTaskResult.objects.exclude(status="FAILED").exists()
    assert mailoutbox == []
    answer.refresh_from_db()
    assert answer.status == Status.IN_REVIEW
