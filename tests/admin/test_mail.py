"""The e-mails steps send, over real HTTP: to the person whose turn it is, never for a
refused step."""

from __future__ import annotations

import pytest

from editorial.models import (
    Status,
)
from tests.admin.conftest import COMMENT
from tests.conftest import (
    errors_of,
    post_step,
    put_in_state,
)


def test_submit_emails_the_reviewer(
    client, answer, people, mailoutbox, django_capture_on_commit_callbacks
):
    put_in_state(answer, Status.DRAFT, people)
    client.force_login(people["editor"])

    with django_capture_on_commit_callbacks(execute=True):
        post_step(client, answer, "submit", comment="Ready.")

    assert [m.to for m in mailoutbox] == [["reviewer@example.org"]]
    assert mailoutbox[0].subject == f"Review requested: {answer}"
    assert "Ready." in mailoutbox[0].body


def test_submit_to_a_named_reviewer_emails_that_reviewer(
    client, answer, people, mailoutbox, django_capture_on_commit_callbacks
):
    put_in_state(answer, Status.DRAFT, people)
    client.force_login(people["editor"])

    with django_capture_on_commit_callbacks(execute=True):
        post_step(client, answer, "submit", reviewer=people["reviewer2"].pk)

    answer.refresh_from_db()
    assert (answer.status, answer.reviewer) == (Status.IN_REVIEW, people["reviewer2"])
    assert [m.to for m in mailoutbox] == [["reviewer2@example.org"]]


def test_request_changes_emails_the_editor(
    client, answer, people, mailoutbox, django_capture_on_commit_callbacks
):
    put_in_state(answer, Status.IN_REVIEW, people)
    client.force_login(people["reviewer"])

    with django_capture_on_commit_callbacks(execute=True):
        post_step(client, answer, "request_changes", comment=COMMENT)

    assert [m.to for m in mailoutbox] == [["editor@example.org"]]
    assert mailoutbox[0].subject == f"Changes requested: {answer}"
    assert COMMENT in mailoutbox[0].body


def test_approve_emails_the_editor(
    client, answer, people, mailoutbox, django_capture_on_commit_callbacks
):
    put_in_state(answer, Status.IN_REVIEW, people)
    client.force_login(people["reviewer"])

    with django_capture_on_commit_callbacks(execute=True):
        post_step(client, answer, "approve")

    assert [m.to for m in mailoutbox] == [["editor@example.org"]]
    assert mailoutbox[0].subject == f"Approved: {answer}"


@pytest.mark.parametrize(
    ("role", "step", "state"),
    [
        ("reviewer2", "approve", Status.IN_REVIEW),
        ("reviewer", "request_changes", Status.IN_REVIEW),  # no comment
        ("editor2", "submit", Status.DRAFT),
    ],
)
def test_a_refused_step_sends_no_email(
    client, answer, people, mailoutbox, django_capture_on_commit_callbacks, role, step, state
):
    put_in_state(answer, state, people)
    client.force_login(people[role])

    with django_capture_on_commit_callbacks(execute=True):
        response = post_step(client, answer, step)

    assert len(errors_of(response)) == 1
    assert mailoutbox == []
