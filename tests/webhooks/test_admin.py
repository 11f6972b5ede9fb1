"""The webhooks admin: managing editors only (every page, button and action checked on the
server), the secret shown once when made and revealed on request, a test event, the
attempts of an endpoint, redelivery."""

from __future__ import annotations

import re

import pytest
from django.test import TestCase
from django.urls import reverse

from editorial import webhooks
from editorial.models import DeliveryState, Status, WebhookEndpoint, WebhookMessage
from tests.conftest import page_text, put_in_state

pytestmark = pytest.mark.django_db

ENDPOINTS = "/admin/editorial/webhookendpoint/"
EVENTS = "/admin/editorial/webhookmessage/"
ATTEMPTS = "/admin/editorial/webhookattempt/"


def button(name: str, endpoint: WebhookEndpoint) -> str:
    return reverse(f"admin:editorial_webhookendpoint_{name}", args=[endpoint.pk])


def add_form(url: str, events=("answer.approved", "answer.withdrawn")) -> dict:
    return {"url": url, "description": "Downstream site", "events": list(events)}


@pytest.mark.parametrize("role", ["editor", "reviewer", "outsider"])
def test_nobody_but_managing_editors_reaches_any_webhook_page_or_button(
    client, people, hooked, role
):
    receiver, endpoint = hooked(fail_first=0)
    client.force_login(people[role])
    for url in (ENDPOINTS, ENDPOINTS + "add/", EVENTS, ATTEMPTS, button("secret", endpoint)):
        assert client.get(url).status_code in (403, 405), url
    assert client.post(ENDPOINTS + "add/", add_form(receiver.url)).status_code == 403
    for name in ("secret", "rotate", "test", "enable", "disable"):
        response = client.post(button(name, endpoint))
        assert response.status_code == 403, name
        assert endpoint.secret not in response.content.decode()
    endpoint_before = WebhookEndpoint.objects.values().get(pk=endpoint.pk)
    assert WebhookEndpoint.objects.values().get(pk=endpoint.pk) == endpoint_before
    assert not WebhookMessage.objects.exists()
    assert receiver.requests == []
    # Nor does the admin's index list them.
    assert "Webhook endpoints" not in client.get("/admin/").content.decode()


def test_a_managing_editor_adds_an_endpoint_and_sees_its_secret_once(client, people, receiving):
    receiver = receiving()
    client.force_login(people["managing"])
    added = client.post(ENDPOINTS + "add/", add_form(receiver.url))
    endpoint = WebhookEndpoint.objects.get()
    # Shown after a redirect, so a reload cannot post again (a second endpoint: every event
    # sent twice under other ids).
    shown = reverse("admin:editorial_webhookendpoint_shown", args=[endpoint.pk])
    assert (added.status_code, added["Location"]) == (302, shown)
    response = client.get(shown)
    assert response.status_code == 200
    reloaded = client.get(shown, follow=True)
    assert endpoint.secret not in reloaded.content.decode()
    assert WebhookEndpoint.objects.count() == 1
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert endpoint.events == ["answer.approved", "answer.withdrawn"]
    assert endpoint.created_by == people["managing"]

    # The endpoint's page does not show it; the reveal button (a POST) does.
    page = client.get(reverse("admin:editorial_webhookendpoint_change", args=[endpoint.pk]))
    assert endpoint.secret not in page.content.decode()
    assert client.get(button("secret", endpoint)).status_code == 405
    assert endpoint.secret in client.post(button("secret", endpoint)).content.decode()

    old = endpoint.secret
    rotated = client.post(button("rotate", endpoint), follow=True)
    assert rotated.redirect_chain == [(shown, 302)]
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in rotated.content.decode()
    # A reload of the new secret's page replaces nothing.
    client.get(shown)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == endpoint.secret


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("ftp://example.org/in", "A webhook URL must start with http:// or https://."),
        ("http://127.0.0.1:9/in", "A webhook may not be sent to a private address (127.0.0.1)."),
        ("https://user:secret@example.org/in", "may not carry a user name or password"),
    ],
)
def test_the_form_refuses_a_url_no_webhook_may_have(client, people, settings, url, error):
    settings.EDITORIAL_WEBHOOKS_ALLOW_PRIVATE = False
    client.force_login(people["managing"])
    response = client.post(ENDPOINTS + "add/", add_form(url))
    assert response.status_code == 200
    assert error in page_text(response)
    assert not WebhookEndpoint.objects.exists()


def test_the_test_button_sends_a_signed_test_event_and_the_page_lists_the_attempt(
    client, people, hooked
):
    receiver, endpoint = hooked(fail_first=0)
    client.force_login(people["managing"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        posted = client.post(button("test", endpoint))
    assert posted.status_code == 302
    response = client.get(posted["Location"])  # delivered once the request had committed
    (received,) = receiver.requests
    assert received.verified and received.payload["type"] == "webhook.test"
    assert received.payload["data"] == {"endpoint": endpoint.pk, "sent_by": "managing"}
    text = page_text(response)
    assert f"Test event {received.webhook_id} queued" in text
    assert "HTTP 204" in text and " ms" in text

    attempts = client.get(ATTEMPTS, {"endpoint__id__exact": endpoint.pk})
    assert received.webhook_id in attempts.content.decode()


def test_redeliver_from_the_event_list(client, people, answer, hooked):
    receiver, endpoint = hooked(fail_first=0)
    client.force_login(people["managing"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        put_in_state(answer, Status.APPROVED, people)
    (message,) = WebhookMessage.objects.all()
    assert message.state == DeliveryState.DELIVERED

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            EVENTS,
            {"action": "redeliver_selected", "_selected_action": [message.pk]},
            follow=True,
        )
    assert "1 event queued for redelivery." in page_text(response)
    assert [r.webhook_id for r in receiver.accepted] == [message.webhook_id] * 2
    detail = client.get(reverse("admin:editorial_webhookmessage_change", args=[message.pk]))
    assert detail.status_code == 200
    assert message.webhook_id in detail.content.decode()
    # The redelivery is attempt 2, not a second attempt 1, on the event's page and the
    # endpoint's.
    numbers = re.findall(r'<td class="field-number">\s*<p>(\d+)</p>', detail.content.decode())
    assert sorted(numbers) == ["1", "2"]
    endpoint_page = client.get(
        reverse("admin:editorial_webhookendpoint_change", args=[endpoint.pk])
    )
    rows = re.findall(r"<td>(\d+)</td>\s*<td>HTTP 204</td>", endpoint_page.content.decode())
    assert rows == ["2", "1"]  # newest first


def test_redelivery_is_refused_to_others(client, people, answer, hooked):
    receiver, endpoint = hooked(fail_first=0)
    with TestCase.captureOnCommitCallbacks(execute=True):
        put_in_state(answer, Status.APPROVED, people)
    message = WebhookMessage.objects.get()
    client.force_login(people["editor"])
    response = client.post(
        EVENTS, {"action": "redeliver_selected", "_selected_action": [message.pk]}
    )
    assert response.status_code == 403
    assert len(receiver.accepted) == 1


def test_a_disabled_endpoint_shows_why_and_is_enabled_by_its_button(client, people, hooked):
    receiver, endpoint = hooked(fail_first=0)
    client.force_login(people["managing"])
    client.post(button("disable", endpoint))
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_reason == "Disabled by managing."
    page = page_text(
        client.get(reverse("admin:editorial_webhookendpoint_change", args=[endpoint.pk]))
    )
    assert "Disabled since" in page and "Disabled by managing." in page
    listed = page_text(client.get(ENDPOINTS))
    assert "Disabled" in listed

    client.post(button("enable", endpoint))
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.disabled_reason == ""


def test_an_endpoint_is_deleted_only_before_it_was_sent_anything(client, people, hooked):
    receiver, endpoint = hooked(fail_first=0)
    client.force_login(people["managing"])
    delete = reverse("admin:editorial_webhookendpoint_delete", args=[endpoint.pk])
    assert client.get(delete).status_code == 200
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(button("test", endpoint))
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_a_disabled_endpoint_is_sent_no_test_event(client, people, hooked):
    receiver, endpoint = hooked(fail_first=0)
    client.force_login(people["managing"])
    client.post(button("disable", endpoint))
    response = client.post(button("test", endpoint), follow=True)
    assert "This endpoint is disabled: enable it to send it a test event." in page_text(response)
    assert not WebhookMessage.objects.exists()


def test_enabling_says_what_was_sent_again_or_that_nothing_was(client, people, answer, hooked):
    receiver, endpoint = hooked(fail_first=100)
    client.force_login(people["managing"])
    client.post(button("disable", endpoint))
    response = client.post(button("enable", endpoint), follow=True)
    assert "Enabled; there were no failed events to send again." in page_text(response)
    assert "0 failed" not in page_text(response)

    # An event that failed every attempt disabled it: enabling puts that one back.
    put_in_state(answer, Status.APPROVED, people)
    while (at := webhooks.next_due_at()) is not None:
        webhooks.deliver_due(now=at)
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(button("enable", endpoint), follow=True)
    assert "Enabled; 1 failed event sent again first, in order." in page_text(response)

    client.post(button("disable", endpoint))
    response = client.post(
        ENDPOINTS, {"action": "enable_selected", "_selected_action": [endpoint.pk]}, follow=True
    )
    assert "1 endpoint enabled; there were no failed events to send again." in (page_text(response))


@pytest.mark.parametrize("role", ["editor", "reviewer"])
def test_a_refused_webhook_page_is_the_admins_page_with_the_reason(client, people, hooked, role):
    receiver, endpoint = hooked(fail_first=0)
    client.force_login(people[role])
    change = reverse("admin:editorial_webhookendpoint_change", args=[endpoint.pk])
    for method, url in (
        ("get", ENDPOINTS),
        ("get", change),
        ("get", EVENTS),
        ("get", ATTEMPTS),
        ("post", button("rotate", endpoint)),
        ("post", button("enable", endpoint)),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 403, url
        page = response.content.decode()
        assert (
            '<p class="errornote" role="alert" id="refusal-reason">'
            "Only managing editors may see or manage webhooks.</p>"
        ) in page, url
        assert 'id="site-name"' in page  # the admin's page, with its header
        assert endpoint.secret not in page


def test_the_list_shows_states_and_events_as_whole_chips(client, people, hooked):
    receiver, endpoint = hooked(fail_first=0)
    client.force_login(people["managing"])
    client.post(button("disable", endpoint))
    page = client.get(ENDPOINTS).content.decode()
    assert '<span class="state-chip state-disabled">Disabled</span>' in page
    assert '<span class="state-reason">Disabled by managing.</span>' in page
    chips = re.findall(r'<span class="event-chip"[^>]*>([^<]+)</span>', page)
    assert chips == ["approved", "re-approved", "withdrawn"]
    assert 'href="/static/editorial/integrations.css"' in page
    # The form's event choices are a list of choices (labels their whole width).
    form = client.get(reverse("admin:editorial_webhookendpoint_change", args=[endpoint.pk]))
    assert '<div id="id_events" class="radiolist">' in form.content.decode()
