"""Saving the change form over real HTTP: read-only in review, only the answer's editor, web
links only, an approved answer back to draft, an unchanged form no edit at all."""

from __future__ import annotations

import re

from editorial import workflow
from editorial.models import (
    Answer,
    Status,
    WorkflowEvent,
)
from tests.conftest import (
    a_source,
    admin_edit,
    buttons,
    change_form_data,
    change_url,
    errors_of,
    put_in_state,
    snapshot,
)


def test_in_review_answer_is_read_only_for_its_editor(client, answer, people):
    put_in_state(answer, Status.DRAFT, people)
    client.force_login(people["editor"])
    assert 'name="text"' in client.get(change_url(answer)).content.decode()
    workflow.submit(answer, people["editor"])
    before = snapshot(answer)

    page = client.get(change_url(answer))
    html = page.content.decode()
    assert page.status_code == 200
    assert not re.search(r'<textarea[^>]*name="text"', html)
    assert not re.search(r'<textarea[^>]*name="question"', html)
    assert "withdraw" in buttons(page)

    response = client.post(change_url(answer), change_form_data(answer, text="Sneaky edit."))

    # Refused inside the admin, not on a bare 403: the reason, and the typing to copy.
    assert response.status_code == 200
    assert errors_of(response) == [
        "The answer is in review and read-only; withdraw it to draft to edit it."
    ]
    assert ">Sneaky edit.</textarea>" in response.content.decode()
    assert snapshot(answer) == before
    assert Answer.objects.get(pk=answer.pk).text != "Sneaky edit."


def test_another_editor_cannot_post_the_change_form(client, answer, people):
    put_in_state(answer, Status.DRAFT, people)
    client.force_login(people["editor2"])
    before = snapshot(answer)

    page = client.get(change_url(answer))
    assert page.status_code == 200
    assert not re.search(r'<textarea[^>]*name="text"', page.content.decode())
    response = client.post(change_url(answer), change_form_data(answer, text="Not mine."))

    assert response.status_code == 200
    assert errors_of(response) == [
        "editor is the editor of this answer; ask a managing editor to reassign it."
    ]
    assert ">Not mine.</textarea>" in response.content.decode()
    assert snapshot(answer) == before


def test_a_source_must_be_a_web_link(client, answer, people):
    put_in_state(answer, Status.DRAFT, people)
    client.force_login(people["editor"])
    before = snapshot(answer)

    response = client.post(
        change_url(answer),
        change_form_data(answer, new_sources=[a_source(url="javascript:alert(1)")]),
    )

    assert response.status_code == 200  # the form again, with the error
    assert response.context["errors"]
    assert snapshot(answer) == before


def test_editing_an_approved_answer_in_the_admin_sends_it_to_draft(client, answer, people):
    put_in_state(answer, Status.APPROVED, people)
    approved_text, approved_version = answer.text, answer.version
    client.force_login(people["editor"])
    assert 'name="text"' in client.get(change_url(answer)).content.decode()

    admin_edit(client, answer, text="A corrected answer, with a source.")

    answer.refresh_from_db()
    assert answer.status == Status.DRAFT
    assert answer.text == "A corrected answer, with a source."
    assert answer.version == approved_version + 1
    assert (answer.approved.text, answer.approved.version) == (approved_text, approved_version)
    event = answer.events.order_by("-id").first()
    assert (event.action, event.from_status, event.to_status) == (
        WorkflowEvent.Action.EDIT,
        Status.APPROVED,
        Status.DRAFT,
    )
    page = client.get(change_url(answer)).content.decode()
    assert f"Approved version v{approved_version}" in page
    assert "until a new approval" in page


def test_saving_an_unchanged_form_is_not_an_edit(client, answer, people):
    put_in_state(answer, Status.APPROVED, people)
    client.force_login(people["editor"])
    before = snapshot(answer)

    admin_edit(client, answer)

    assert snapshot(answer) == before
