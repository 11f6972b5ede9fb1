"""What a consumer is told of an answer taken out of the export: a tombstone.

The API's sync lists them under "deleted", and a webhook's answer.withdrawn event carries
one as its data: one shape, so a consumer that takes both applies them with one function
(remove the record with this id). It names only what was withdrawn and when; the record
itself is gone from the export, so nothing of its content travels with it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Max

from editorial.models import WorkflowEvent


def tombstones(answer_ids: Iterable[int]) -> list[dict]:
    """A tombstone for each of these answers, in the order given: its id, when it was last
    archived (ISO 8601, None if it never was) and why it left the export."""
    ids = list(answer_ids)
    if not ids:
        return []
    archived = dict(
        WorkflowEvent.objects.filter(answer_id__in=ids, action=WorkflowEvent.Action.ARCHIVE)
        .order_by()
        .values_list("answer_id")
        .annotate(Max("created_at"))
    )
    return [
        {
            "id": pk,
            "deleted_at": archived[pk].isoformat() if pk in archived else None,
            "reason": "archived",
        }
        for pk in ids
    ]
