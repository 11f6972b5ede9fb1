"""What a managing editor does with webhooks: register an endpoint (its secret made here),
change it, send it a test event, redeliver events, disable and enable it.

Each is a service the admin calls, checking the person's permission itself (the admin
checks it too): only holders of editorial.manage_webhooks, the Managing editors group.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from editorial import workflow
from editorial.models import (
    TEST_EVENT,
    DeliveryState,
    WebhookEndpoint,
    WebhookEvent,
    WebhookMessage,
)
from editorial.webhooks import addresses, delivery, outbox
from editorial.webhooks.errors import WebhookError

# Standard Webhooks asks for 24 to 64 bytes of randomness in a symmetric secret.
SECRET_BYTES = 32


def _check(user) -> None:
    if not workflow.can_manage_webhooks(user):
        raise WebhookError("Only managing editors may manage webhooks.")


def new_secret() -> str:
    """A Standard Webhooks secret: "whsec_" and the base64 of random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _checked_events(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(events))
    unknown = set(chosen) - set(WebhookEvent.values)
    if unknown:
        raise WebhookError(f"Unknown event types: {', '.join(sorted(unknown))}.")
    if not chosen:
        raise WebhookError("Choose at least one event to send.")
    return [event for event in WebhookEvent.values if event in chosen]


def create_endpoint(
    *, url: str, events: Iterable[str], user, description: str = ""
) -> WebhookEndpoint:
    """Register an endpoint with a secret of its own (shown to its creator next)."""
    _check(user)
    addresses.check_url(url)
    return WebhookEndpoint.objects.create(
        url=url,
        events=_checked_events(events),
        description=description,
        secret=new_secret(),
        created_by=user,
    )


def change_endpoint(
    *, endpoint: WebhookEndpoint, url: str, events: Iterable[str], user, description: str = ""
) -> WebhookEndpoint:
    _check(user)
    addresses.check_url(url)
    endpoint.url, endpoint.events = url, _checked_events(events)
    endpoint.description = description
    endpoint.save(update_fields=["url", "events", "description"])
    return endpoint


def rotate_secret(*, endpoint: WebhookEndpoint, user) -> str:
    """A new secret at once: the receiver must switch to it (no overlap is kept)."""
    _check(user)
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret"])
    return endpoint.secret


def reveal_secret(*, endpoint: WebhookEndpoint, user) -> str:
    _check(user)
    return endpoint.secret


def send_test(*, endpoint: WebhookEndpoint, user) -> WebhookMessage:
    """Queue a "webhook.test" event to the endpoint, delivered like any other."""
    _check(user)
    if not endpoint.is_active:
        raise WebhookError("This endpoint is disabled: enable it to send it a test event.")
    now = timezone.now()
    data = {"endpoint": endpoint.pk, "sent_by": user.get_username()}
    with transaction.atomic():
        message = WebhookMessage.objects.create(
            endpoint=endpoint,
            webhook_id=outbox.new_webhook_id(),
            event_type=TEST_EVENT,
            body=outbox.body(TEST_EVENT, now.isoformat(), data),
            created_at=now,
            next_attempt_at=now,
        )
        transaction.on_commit(delivery.enqueue, robust=True)
    return message


def redeliver(*, messages: Iterable[WebhookMessage], user) -> int:
    """Send these events again from the start of the schedule, same webhook-id and body.

    An event still ahead of it for the same answer at its endpoint goes first, as ever.
    """
    _check(user)
    ids = [message.pk for message in messages]
    with transaction.atomic():
        count = WebhookMessage.objects.filter(pk__in=ids).update(
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            leased_until=None,
            delivered_at=None,
        )
        transaction.on_commit(delivery.enqueue, robust=True)
    return count


def disable(*, endpoint: WebhookEndpoint, user) -> bool:
    """Stop sending to it by hand; events owed are kept for when it is enabled."""
    _check(user)
    reason = f"Disabled by {workflow.display_name(user)}."
    return delivery.disable(endpoint, reason=reason)


def enable(*, endpoint: WebhookEndpoint, user) -> int:
    """Send to it again: its failed events go back in line first (so order per answer
    holds), then what was owed while it was disabled. Returns the events put back."""
    _check(user)
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            is_active=True, disabled_reason="", disabled_at=None, consecutive_failures=0
        )
        requeued = WebhookMessage.objects.filter(
            endpoint=endpoint, state=DeliveryState.FAILED
        ).update(state=DeliveryState.PENDING, attempts=0, next_attempt_at=timezone.now())
        transaction.on_commit(delivery.enqueue, robust=True)
    endpoint.refresh_from_db()
    return requeued
