"""The one writer of approvals: each appended as a row of its own, its answer pointed at it.

An approval is history: what a reviewer approved, and what exports read. It is therefore
append-only like the event log (a new approval adds a row, the earlier ones stay; the
service's database role may only insert and read them) and sealed in the history chain with
the approve revision it names. The answer's `approved` names its latest, in the same
transaction; `verify_history` checks that it names no other.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Max, OuterRef, Subquery

from editorial.models import Answer, ApprovedVersion


def record(pins: Sequence[ApprovedVersion]) -> list[ApprovedVersion]:
    """Append these approvals in one statement and point each answer at its latest.

    Each pins, beside the content approved, the machine text it was corrected from and its
    document's subject as they are now (from the answer it names, unless given): what the
    pairs, markdown and faq exports show with it, which a re-import merged later must not
    change. Pinned here, the one writer, so that no way of approving can leave them out.
    """
    for pin in pins:
        _pin_import(pin)
    created = ApprovedVersion.objects.bulk_create(pins)
    Answer.objects.filter(pk__in={pin.answer_id for pin in created}).update(
        approved=Subquery(latest_approval())
    )
    for pin in created:
        if pin.pk is not None and ApprovedVersion.answer.is_cached(pin):
            pin.answer.approved = pin
    return created


def _pin_import(pin: ApprovedVersion) -> None:
    answer = pin.answer
    if pin.imported_question is None:
        pin.imported_question = answer.imported_question
    if pin.imported_text is None:
        pin.imported_text = answer.imported_text
    if pin.document_subject is None:
        pin.document_subject = answer.document.subject


def latest_approval():
    """A subquery: the id of the answer (OuterRef "pk")'s latest approval.

    An aggregate, found through the index of approvals by answer: ORDER BY id DESC LIMIT 1
    let PostgreSQL walk the approvals backwards for each answer instead.
    """
    return (
        ApprovedVersion.objects.filter(answer=OuterRef("pk"))
        .values("answer")
        .annotate(latest=Max("pk"))
        .values("latest")
    )
