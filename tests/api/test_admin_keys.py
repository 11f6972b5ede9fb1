"""API keys in the admin: only managing editors (and the superuser) make, rescope and revoke
them; the key is shown once and works; nobody deletes one."""

import re

import pytest
from django.urls import reverse

from editorial.models import ApiKey
from tests.api.conftest import MISSISSIPPI, body, documents_named, get, make_key

pytestmark = pytest.mark.django_db

LIST = reverse("admin:editorial_apikey_changelist")
ADD = reverse("admin:editorial_apikey_add")


@pytest.mark.parametrize("role", ["editor", "reviewer", "outsider"])
def test_only_managing_editors_reach_the_key_pages(client, people, role, managing):
    key, _ = make_key(managing, everything=True)
    client.force_login(people[role])
    change = reverse("admin:editorial_apikey_change", args=[key.pk])
    for url in (LIST, ADD, change):
        assert client.get(url).status_code == 403, url
    assert client.post(ADD, {"name": "x", "everything": "on"}).status_code == 403
    revoke = {"action": "revoke_selected", "_selected_action": [key.pk]}
    assert client.post(LIST, revoke).status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None
    assert ApiKey.objects.count() == 1


def test_a_managing_editor_makes_a_key_shown_once(client, approved, managing):
    client.force_login(managing)
    assert client.get(ADD).status_code == 200
    [document] = documents_named(MISSISSIPPI)
    response = client.post(
        ADD, {"name": "Mississippi site", "documents": [document.pk], "requests_per_minute": 60}
    )
    # Shown on the page after a redirect, never as the POST's answer (a reload would post
    # again and make a second key).
    key = ApiKey.objects.get()
    issued = reverse("admin:editorial_apikey_issued", args=[key.pk])
    assert (response.status_code, response["Location"]) == (302, issued)
    shown = client.get(issued)
    assert "no-store" in shown["Cache-Control"]
    page = shown.content.decode()
    token = re.search(r'value="(ed_[^"]+)"', page).group(1)
    assert "shown only" in page
    # Reloaded: nothing is made, nothing shown; the key's page, saying why.
    reloaded = client.get(issued, follow=True)
    assert token not in reloaded.content.decode()
    assert "shown only once" in reloaded.content.decode()
    assert ApiKey.objects.count() == 1
    assert (key.name, key.created_by, list(key.documents.all())) == (
        "Mississippi site", managing, [document]
    )  # fmt: skip
    # The key's page never shows it again.
    again = client.get(reverse("admin:editorial_apikey_change", args=[key.pk])).content.decode()
    assert token not in again
    assert token not in client.get(LIST).content.decode()
    # It reads Mississippi only.
    records = body(get(client, "answers", token))["answers"]
    assert {record["document"] for record in records} == {MISSISSIPPI}


def test_a_key_must_say_what_it_reads(client, managing):
    client.force_login(managing)
    response = client.post(ADD, {"name": "vague", "requests_per_minute": 60})
    assert response.status_code == 200
    assert "Choose what the key may read" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_a_managing_editor_revokes_and_cannot_delete(client, approved, managing):
    key, token = make_key(managing, everything=True)
    client.force_login(managing)
    response = client.post(
        LIST, {"action": "revoke_selected", "_selected_action": [key.pk]}, follow=True
    )
    assert "1 key(s) revoked" in response.content.decode()
    key.refresh_from_db()
    assert (key.revoked_by, key.revoked_at is not None) == (managing, True)
    assert get(client, "answers", token).status_code == 403
    delete = reverse("admin:editorial_apikey_delete", args=[key.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert ApiKey.objects.filter(pk=key.pk).exists()


def test_a_key_is_revoked_from_its_own_page_after_one_question(client, approved, managing):
    key, token = make_key(managing, everything=True, name="Mississippi site")
    client.force_login(managing)
    change = reverse("admin:editorial_apikey_change", args=[key.pk])
    revoke = reverse("admin:editorial_apikey_revoke", args=[key.pk])
    page = client.get(change).content.decode()
    assert f'href="{revoke}"' in page and "Revoke…" in page

    asked = client.get(revoke)
    assert asked.status_code == 200
    assert "This cannot be undone" in asked.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is None  # asking revoked nothing

    done = client.post(revoke, follow=True)
    assert done.redirect_chain == [(change, 302)]
    assert f"Mississippi site: key {key.prefix}… revoked" in done.content.decode()
    key.refresh_from_db()
    assert key.revoked_by == managing and key.revoked_at is not None
    assert body(get(client, "answers", token))["error"] == "revoked_key"


def test_a_revoked_key_is_read_only_saying_when_and_by_whom(client, approved, managing):
    key, _ = make_key(managing, everything=True, name="Old site")
    client.force_login(managing)
    client.post(reverse("admin:editorial_apikey_revoke", args=[key.pk]))
    key.refresh_from_db()
    change = reverse("admin:editorial_apikey_change", args=[key.pk])

    page = client.get(change).content.decode()
    assert 'name="name"' not in page and 'name="_save"' not in page  # nothing to type or save
    assert "Revoke…" not in page
    note = re.search(r'<p class="errornote" role="status" id="revoked-note">(.*?)</p>', page, re.S)
    assert note is not None
    assert "by managing: the API refuses this key" in note.group(1)
    assert re.search(r"Revoked</strong> on \w", note.group(1))
    # A forged POST changes nothing.
    forged = client.post(change, {"name": "Renamed", "everything": "on", "requests_per_minute": 5})
    assert forged.status_code == 403
    key.refresh_from_db()
    assert (key.name, key.requests_per_minute) == ("Old site", 600)
    # Revoking again says so and keeps the first revocation.
    first = key.revoked_at
    again = client.post(reverse("admin:editorial_apikey_revoke", args=[key.pk]), follow=True)
    assert "this key was already revoked" in again.content.decode()
    key.refresh_from_db()
    assert key.revoked_at == first
    # The list shows the state as a chip.
    listed = client.get(LIST).content.decode()
    assert '<span class="state-chip state-revoked">Revoked</span>' in listed


@pytest.mark.parametrize("role", ["editor", "reviewer"])
def test_a_refused_key_page_is_the_admins_page_with_the_reason(client, people, role, managing):
    key, _ = make_key(managing, everything=True)
    client.force_login(people[role])
    for url in (
        LIST,
        reverse("admin:editorial_apikey_change", args=[key.pk]),
        reverse("admin:editorial_apikey_revoke", args=[key.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        page = response.content.decode()
        assert (
            '<p class="errornote" role="alert" id="refusal-reason">Only managing editors may '
            in (page)
        ), url
        assert 'id="site-name"' in page and f"You are signed in as {role}." in page
    assert client.post(reverse("admin:editorial_apikey_revoke", args=[key.pk])).status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None
