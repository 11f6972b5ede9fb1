"""Webhooks go to http(s) URLs of public addresses only (server-side request forgery);
a development setting lets them reach 127.0.0.1."""

from __future__ import annotations

import pytest

from editorial import webhooks
from editorial.models import Status, WebhookAttempt
from editorial.webhooks import addresses
from tests.conftest import put_in_state


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/x", "must start with http:// or https://"),
        ("file:///etc/passwd", "must start with http:// or https://"),
        ("javascript:alert(1)", "must start with http:// or https://"),
        ("https://", "must name a host"),
        ("https://user:pw@example.org/", "may not carry a user name or password"),
        ("https://example.org:99999/", "port"),
        ("http://localhost:8000/", "this machine (localhost)"),
        ("http://127.0.0.1/", "private address (127.0.0.1)"),
        ("http://169.254.169.254/latest/meta-data/", "private address (169.254.169.254)"),
        ("http://10.1.2.3/", "private address (10.1.2.3)"),
        ("http://[::1]/", "private address (::1)"),
    ],
)
def test_a_url_no_webhook_may_have_is_refused_with_the_reason(settings, url, reason):
    settings.EDITORIAL_WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(webhooks.WebhookError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        webhooks.check_url(url)


def test_public_urls_pass(settings):
    settings.EDITORIAL_WEBHOOKS_ALLOW_PRIVATE = False
    webhooks.check_url("https://hooks.example.org/editorial?x=1")
    webhooks.check_url("http://93.184.215.14:8080/in")


def test_the_development_setting_lets_a_loopback_url_pass(settings):
    settings.EDITORIAL_WEBHOOKS_ALLOW_PRIVATE = True
    webhooks.check_url("http://127.0.0.1:8001/hooks")
    with pytest.raises(webhooks.WebhookError):
        webhooks.check_url("ftp://127.0.0.1/")  # still http(s) only


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f000001"])
def test_a_host_resolving_to_a_private_address_is_refused_at_the_request(settings, host):
    settings.EDITORIAL_WEBHOOKS_ALLOW_PRIVATE = False
    # Loopback spelt so that it is no address literal to the form, which takes it for a
    # name: the resolver makes it 127.0.0.1 when it is called, and that is refused.
    webhooks.check_url(f"http://{host}/hooks")
    with pytest.raises(webhooks.WebhookError, match=r"resolves to a private address \(127"):
        addresses.target(f"http://{host}/hooks")


@pytest.mark.django_db
def test_a_refused_address_is_a_logged_failed_attempt_and_nothing_is_sent(
    settings, answer, people, hooked
):
    receiver, endpoint = hooked(fail_first=0)
    settings.EDITORIAL_WEBHOOKS_ALLOW_PRIVATE = False  # production: the receiver is on 127.0.0.1
    put_in_state(answer, Status.APPROVED, people)
    webhooks.deliver_due(now=webhooks.next_due_at())
    (attempt,) = WebhookAttempt.objects.all()
    assert attempt.status_code is None
    assert "private address (127.0.0.1)" in attempt.error
    assert receiver.requests == []
