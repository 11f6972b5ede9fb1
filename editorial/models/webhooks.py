"""Webhooks: the endpoints downstream systems registered, the outbox of events owed to each,
and every attempt made to deliver them (editorial.webhooks).

An event is written to the outbox in the transaction of the step that caused it, one row
per endpoint, so a committed approval always has its deliveries owed and a rolled-back one
none. The outbox row keeps the exact body that is signed and sent, so every retry and every
redelivery sends the same bytes under the same webhook-id.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from editorial.models.content import Answer


class WebhookEvent(models.TextChoices):
    """What an endpoint may subscribe to, as the payload's `type` names it."""

    APPROVED = "answer.approved", "Approved (an answer's first approval)"
    REAPPROVED = "answer.reapproved", "Re-approved (approved again, or restored from archive)"
    WITHDRAWN = "answer.withdrawn", "Withdrawn (an approved answer taken out of the export)"


# Sent by "Send a test event" whatever the endpoint subscribed to.
TEST_EVENT = "webhook.test"


class WebhookEndpoint(models.Model):
    url = models.URLField(
        "URL",
        max_length=2000,
        help_text="Where events are POSTed (http or https). Redirects are not followed.",
    )
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(
        default=list, help_text="The event types sent to this endpoint (WebhookEvent values)."
    )
    # Standard Webhooks' symmetric secret, "whsec_" + base64 of 32 random bytes. Kept as is:
    # every delivery is signed with it.
    secret = models.CharField(max_length=100, editable=False)
    is_active = models.BooleanField("active", default=True)
    disabled_reason = models.TextField(blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Failed attempts since the last success (any event); shown, reset by a success.
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["url", "id"]
        verbose_name = "webhook endpoint"
        permissions = [("manage_webhooks", "Can manage webhook endpoints and see their secrets")]

    def __str__(self) -> str:
        return self.description or self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Waiting to be delivered"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (every attempt)"


class WebhookMessage(models.Model):
    """One event owed to one endpoint: the outbox row a worker delivers."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="messages")
    # Standard Webhooks' webhook-id: the same for every attempt, the receiver's idempotency key.
    webhook_id = models.CharField("webhook-id", max_length=40, unique=True)
    event_type = models.CharField(max_length=40)
    # Events of one answer reach an endpoint in the order written (by id); test events
    # have no answer and no order.
    answer = models.ForeignKey(
        Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    body = models.TextField(help_text="The JSON body exactly as signed and sent.")
    created_at = models.DateTimeField()
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    # Attempts in the current round of the retry schedule (a redelivery starts a new round).
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker sending it holds it until then (a worker killed mid-request lets it go).
    leased_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "webhook event"
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_due"),
            models.Index(fields=["endpoint", "answer", "state"], name="webhook_answer_order"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_id}"


class WebhookAttempt(models.Model):
    """One HTTP request made to deliver a message, as it went."""

    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="tries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField(
        help_text="The event's attempts counted from its first, redeliveries by hand included."
    )
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField("duration (ms)")
    response_excerpt = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-attempted_at", "-id"]
        verbose_name = "webhook attempt"
        indexes = [models.Index(fields=["endpoint", "-attempted_at"], name="webhook_attempts")]

    def __str__(self) -> str:
        return f"Attempt {self.number} of {self.message.webhook_id}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
