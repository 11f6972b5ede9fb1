"""The events a step owes to the webhook endpoints, written in the step's own transaction.

workflow.steps_recorded is sent inside the step's transaction, so the outbox rows commit
with the approval (or archive, or restore) or not at all: a process that dies right after
the commit still owes every event, and the worker finds them in the table. Only rows are
written here; the HTTP requests are made by a task queued once the step has committed
(delivery), so an endpoint that is down never slows or rolls back a step.

What leaves the export is what an event says: an approval's `data` is the very record the
jsonl export writes for that answer (exporters.approved_versions, records), and a
withdrawal's the tombstone the API's sync lists for it (exporters.tombstones).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count
from django.dispatch import receiver
from django.utils import timezone

from editorial import workflow
from editorial.exporters import approved_versions, dumps, records, tombstones
from editorial.models import (
    Answer,
    ApprovedVersion,
    WebhookEndpoint,
    WebhookEvent,
    WebhookMessage,
)
from editorial.webhooks.delivery import enqueue

# The steps that change what the export holds.
STEPS_WITH_EVENTS = ("approve", "archive", "restore")


def new_webhook_id() -> str:
    """A webhook-id: unique, without the "." the signed content uses as a separator."""
    return f"msg_{uuid.uuid4().hex}"


def body(event_type: str, timestamp: str, data: dict) -> str:
    """The payload as Standard Webhooks shapes it: type, timestamp, data; bytes stable."""
    return dumps({"type": event_type, "timestamp": timestamp, "data": data})


def approved_records(answer_ids: Iterable[int]) -> dict[int, dict]:
    """The jsonl export's record of each of these answers that the export holds now."""
    rows = approved_versions(answers=Answer.objects.filter(pk__in=list(answer_ids)))
    return {record["id"]: record for record in records(rows)}


def events_of(step: str, answers: list[Answer]) -> list[tuple[int, str, str, dict]]:
    """(answer id, event type, timestamp, data) of each event the step causes, in order."""
    ids = [answer.pk for answer in answers]
    if step == "archive":
        # Out of the export only if it was in it: it has an approval (archived is excluded).
        # Its data is the tombstone the API's sync lists for it, timed by the archive.
        withdrawn = set(
            Answer.objects.filter(pk__in=ids, approved__isnull=False).values_list("pk", flat=True)
        )
        return [
            (stone["id"], WebhookEvent.WITHDRAWN, stone["deleted_at"], stone)
            for stone in tombstones(pk for pk in ids if pk in withdrawn)
        ]
    now = timezone.now().isoformat()
    held = approved_records(ids)
    if step == "restore":
        # Back in the export, its approved record as before: consumers upsert it again.
        return [(pk, WebhookEvent.REAPPROVED, now, held[pk]) for pk in ids if pk in held]
    approvals = dict(
        ApprovedVersion.objects.filter(answer_id__in=ids)
        .order_by()
        .values("answer_id")
        .annotate(count=Count("id"))
        .values_list("answer_id", "count")
    )
    return [
        (
            pk,
            WebhookEvent.REAPPROVED if approvals.get(pk, 0) > 1 else WebhookEvent.APPROVED,
            held[pk]["approved_at"],
            held[pk],
        )
        for pk in ids
        if pk in held
    ]


@receiver(workflow.steps_recorded)
def write_outbox(sender, *, step: str, answers: list[Answer], user, **kwargs) -> None:
    """One outbox row per event and subscribed endpoint, in the step's transaction.

    Disabled endpoints are owed their events too: they are delivered, in order, once a
    managing editor enables the endpoint again.
    """
    if step not in STEPS_WITH_EVENTS:
        return
    endpoints = list(WebhookEndpoint.objects.only("pk", "events"))
    if not endpoints:
        return  # the usual case: no query of the export for nobody
    created = timezone.now()
    messages = [
        WebhookMessage(
            endpoint=endpoint,
            webhook_id=new_webhook_id(),
            event_type=event_type,
            answer_id=answer_id,
            body=body(event_type, timestamp, data),
            created_at=created,
            next_attempt_at=created,
        )
        for answer_id, event_type, timestamp, data in events_of(step, answers)
        for endpoint in endpoints
        if event_type in endpoint.events
    ]
    if messages:
        WebhookMessage.objects.bulk_create(messages, batch_size=500)
        transaction.on_commit(enqueue, robust=True)
