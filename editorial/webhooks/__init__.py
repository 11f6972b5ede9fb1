"""Webhooks: approved content pushed to downstream systems as it changes.

Managing editors register endpoints (a URL, the events it wants, a Standard Webhooks
secret). Each approval, re-approval (or restore) and withdrawal (archive) of exported
content writes one outbox row per subscribed endpoint in the step's own transaction
(outbox); a task queued once the step commits delivers them, signed with the
`standardwebhooks` library, retried on the Standard Webhooks schedule (jittered) for about
75 hours, in order per answer, each attempt logged; an endpoint that fails an event's
every attempt is disabled and the managing editors told (delivery). Sending is to public
addresses only (addresses).

- errors: WebhookError, the one exception
- addresses: which URLs may be called, and the connection to the address checked
- outbox: the events a step owes, written with it
- delivery: deliver_due (the clock an argument), the task, the retry schedule
- endpoints: the managing editors' services (create, test, redeliver, enable, disable)
"""

from editorial.webhooks import outbox  # noqa: F401 - connects the outbox to workflow.steps_recorded
from editorial.webhooks.addresses import check_url
from editorial.webhooks.delivery import (
    JITTER,
    SCHEDULE,
    TIMEOUT_SECONDS,
    Delivered,
    deliver_due,
    deliver_webhooks,
    next_due_at,
    retry_wait,
    shortest_span,
    signed_headers,
    total_span,
)
from editorial.webhooks.endpoints import (
    change_endpoint,
    create_endpoint,
    disable,
    enable,
    new_secret,
    redeliver,
    reveal_secret,
    rotate_secret,
    send_test,
)
from editorial.webhooks.errors import WebhookError
from editorial.webhooks.outbox import approved_records

__all__ = [
    "JITTER",
    "SCHEDULE",
    "TIMEOUT_SECONDS",
    "Delivered",
    "WebhookError",
    "approved_records",
    "change_endpoint",
    "check_url",
    "create_endpoint",
    "deliver_due",
    "deliver_webhooks",
    "disable",
    "enable",
    "new_secret",
    "next_due_at",
    "redeliver",
    "retry_wait",
    "reveal_secret",
    "rotate_secret",
    "send_test",
    "shortest_span",
    "signed_headers",
    "total_span",
]
