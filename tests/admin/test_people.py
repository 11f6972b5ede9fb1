"""People's accounts in the admin: one the history names is refused deletion with a sentence
offering deactivation, from its page and from the list's bulk delete (issue 20: a 500)."""

from __future__ import annotations

import pytest
import reversion
from django.contrib.auth import get_user_model

from editorial import workflow
from tests.conftest import a_source

pytestmark = pytest.mark.django_db
USERS = "/admin/auth/user/"


def delete_url(user) -> str:
    return f"{USERS}{user.pk}/delete/"


def saved_in_a_revision_by(user, answer) -> None:
    """A revision with this author and no event: a save from a shell or a script."""
    with reversion.create_revision():
        reversion.set_user(user)
        answer.save()


def test_an_account_that_wrote_a_revision_is_not_deleted_and_deactivation_is_offered(
    client, superuser, outsider, answer
):
    saved_in_a_revision_by(outsider, answer)
    client.force_login(superuser)

    page = client.get(delete_url(outsider))
    refused = client.post(delete_url(outsider), {"post": "yes"})

    sentence = (
        "outsider cannot be deleted: the permanent history names them (1 revision). Deactivate "
        "the account instead: untick “Active” on its page, and it can no longer sign in while "
        "its name stays on its work."
    )
    for response in (page, refused):
        assert response.status_code == 200
        assert sentence in response.content.decode()
        assert b'type="submit"' not in response.content.split(b'id="content"')[1]
    assert get_user_model().objects.filter(pk=outsider.pk).exists()


def test_the_bulk_delete_refuses_each_account_with_history_and_deletes_none(
    client, superuser, editor, outsider, answer
):
    workflow.edit(answer, user=editor, sources=[a_source()])  # revisions and events
    client.force_login(superuser)
    payload = {"action": "delete_selected", "_selected_action": [editor.pk, outsider.pk]}

    asked = client.post(USERS, payload)
    confirmed = client.post(USERS, {**payload, "post": "yes"})

    for response in (asked, confirmed):
        assert response.status_code == 200
        text = response.content.decode()
        assert (
            "editor cannot be deleted: the permanent history names them (1 revision, 1 workflow "
            "event)." in text
        )
        assert "Deactivate the account instead" in text
    assert get_user_model().objects.filter(pk__in=[editor.pk, outsider.pk]).count() == 2


def test_an_account_without_history_is_deleted_as_before(client, superuser, outsider):
    client.force_login(superuser)
    assert workflow.deletion_refusal(outsider) == ""
    response = client.post(delete_url(outsider), {"post": "yes"})
    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=outsider.pk).exists()


def test_a_refused_next_after_signing_in_leads_to_the_admin_index(client, editor):
    response = client.post(
        "/admin/login/?next=https://evil.example/",
        {"username": "editor", "password": "pw", "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get(response["Location"]).status_code == 200
