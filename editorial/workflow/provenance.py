"""How approved text was made, pinned with the approval: who corrected the machine's
text, what they said they corrected, and what the approval holds until when.

Both approval paths (one answer, many at once) pin through `pin_fields`, from the same
history (facts.histories_of) read before the approval's own event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from editorial.models import Answer, ClaimEvidence, Source, WorkflowEvent
from editorial.workflow.facts import CONTENT_ACTIONS, claims_with_evidence

Action = WorkflowEvent.Action

# IPTC digital source types (schema.org digitalSourceType): the model's text as it came, or
# the model's text corrected by people.
IPTC_DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED_ALGORITHMIC_MEDIA = IPTC_DIGITAL_SOURCE_TYPE + "trainedAlgorithmicMedia"
COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA = (
    IPTC_DIGITAL_SOURCE_TYPE + "compositeWithTrainedAlgorithmicMedia"
)
# The admin's fixed comment on a save: it says nothing about what was corrected. Nor do
# the notes settle_claims and clear_claim log: the evidence itself is exported as claims.
ADMIN_EDIT_COMMENT = "Edited in the admin"
EVIDENCE_NOTES = ("Claim “", "Claims “", "Evidence for claim “")


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _is_correction_note(action: str, note: str, notes: list[str]) -> bool:
    """A comment typed on an edit or a submission that says what was corrected, once."""
    return (
        action in (*CONTENT_ACTIONS, Action.SUBMIT)
        and bool(note)
        and note != ADMIN_EDIT_COMMENT
        and not note.startswith(EVIDENCE_NOTES)
        and note not in notes
    )


def provenance(answer: Answer, *, history: list, before_event_id: int | None = None) -> dict:
    """How the content approved now was made, read from its event log (before the approval).

    - digital_source_type: trainedAlgorithmicMedia when the question and text are exactly
      the imported machine text, else compositeWithTrainedAlgorithmicMedia;
    - editors: everyone whose edit, revert or merge since the import is in this version
      (its text or its sources), by username, sorted; empty when the text is the machine's
      unchanged and nobody touched the content;
    - correction: the comments people typed on those edits and on submitting since the last
      approval, in order, each once (the admin's fixed "Edited in the admin" is no note);
    - imported_at: when the machine text held as the import arrived (an import, a re-import,
      or a re-import's conflict once merged); first/last_edit_at bound the editing.
    """
    editors: set[str] = set()
    notes: list[str] = []
    edits: list[datetime] = []
    imported_at = pending_at = None
    for event_id, action, _actor_id, actor, comment, created_at in history:
        if before_event_id is not None and event_id >= before_event_id:
            break
        if action in (Action.IMPORT, Action.REIMPORT):
            imported_at = created_at
        elif action == Action.CONFLICT:
            pending_at = created_at
        elif action == Action.APPROVE:
            notes = []  # a correction note tells what changed since the last approval
        if action == Action.MERGE and pending_at is not None:
            imported_at = pending_at
        if action in CONTENT_ACTIONS:
            edits.append(created_at)
            if actor is not None:
                editors.add(actor)
        note = (comment or "").strip()
        if _is_correction_note(action, note, notes):
            notes.append(note)
    unchanged = answer.question == answer.imported_question and answer.text == answer.imported_text
    return {
        "digital_source_type": (
            TRAINED_ALGORITHMIC_MEDIA if unchanged else COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA
        ),
        "editors": sorted(editors),
        "correction": "\n".join(notes),
        "imported_at": _iso(imported_at),
        "first_edit_at": _iso(edits[0]) if edits else None,
        "last_edit_at": _iso(edits[-1]) if edits else None,
    }


def pinned_claims(answer: Answer, evidence: Mapping[str, ClaimEvidence]) -> list[dict]:
    """The claims of the text approved with their evidence; only those of this text (evidence
    for a claim rewritten away is not pinned), and only settled ones."""
    return [
        found.as_dict()
        for claim, found in claims_with_evidence(answer, evidence)
        if found is not None and found.settled
    ]


def pin_fields(
    answer: Answer,
    *,
    user,
    approved_at: datetime,
    revision_id: int,
    sources: Iterable[Source],
    history: list,
    evidence: Mapping[str, ClaimEvidence],
    before_event_id: int | None = None,
) -> dict:
    """What an approval pins for export: the content approved (sources in id order, the
    text's settled claims in text order), by whom, when and in which revision, until when
    it holds (the approval's day plus the document's interval) and how it was made."""
    return {
        "review_by": timezone.localdate(approved_at)
        + timedelta(days=answer.document.review_interval),
        "provenance": provenance(answer, history=history, before_event_id=before_event_id),
        "question": answer.question,
        "text": answer.text,
        "sources": [source.as_dict() for source in sources],
        "claims": pinned_claims(answer, evidence),
        "approved_by": user,
        "approved_at": approved_at,
        "version": answer.version,
        "revision_id": revision_id,
    }


# The fields pin_fields fills: a new approval replaces all of them.
PIN_FIELDS = [
    "question", "text", "sources", "claims", "approved_by", "approved_at", "version", "revision",
    "review_by", "provenance",
]  # fmt: skip
# And storage.approvals.record pins the machine text and subject beside them.
