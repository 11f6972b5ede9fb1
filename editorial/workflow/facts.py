"""What the rules read from the record: who edited since the last approval (four-eyes),
how each claim is settled, and why content cannot be approved yet.

Every rule that needs one of these facts asks here, so the single and the bulk paths
cannot compute them differently. A bulk step reads them for many answers at once and
passes them in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch

from editorial import flags
from editorial.models import Answer, ClaimEvidence, WorkflowEvent

Action = WorkflowEvent.Action

# The actions that make someone an editor of the text for four-eyes: changing it by hand
# or bringing an old version back. (Merging a re-import only moves its baseline.)
EDITING_ACTIONS = (Action.EDIT, Action.REVERT)
# Actions that change the content: the editors of an approved version, for provenance.
CONTENT_ACTIONS = (Action.EDIT, Action.REVERT, Action.MERGE)
# The events provenance and four-eyes are read from.
HISTORY_ACTIONS = [
    Action.IMPORT, Action.REIMPORT, Action.CONFLICT, *CONTENT_ACTIONS, Action.SUBMIT,
    Action.APPROVE,
]  # fmt: skip


def histories_of(answer_ids: Collection[int]) -> dict[int, list[tuple]]:
    """The events provenance and four-eyes are read from, per answer and oldest first, in
    one query: (event id, action, actor id, actor's username, comment, time)."""
    histories: dict[int, list[tuple]] = {pk: [] for pk in answer_ids}
    username = f"actor__{get_user_model().USERNAME_FIELD}"
    rows = (
        WorkflowEvent.objects.filter(answer_id__in=list(answer_ids), action__in=HISTORY_ACTIONS)
        .order_by("answer_id", "id")
        .values_list("answer_id", "id", "action", "actor_id", username, "comment", "created_at")
    )
    for answer_id, *event in rows:
        histories[answer_id].append(tuple(event))
    return histories


def edited_since_approval(history: list) -> set[int]:
    """The four-eyes rule's fact: who changed the text since the last approval, from a
    history of histories_of."""
    edited: set[int] = set()
    for _, action, actor_id, *_rest in history:
        if action == Action.APPROVE:
            edited = set()  # only edits after the last approval count
        elif action in EDITING_ACTIONS and actor_id is not None:
            edited.add(actor_id)
    return edited


def editors_since_approval(answer: Answer) -> set[int]:
    """Users who changed the text since the last approval: four-eyes keeps them out."""
    return editors_since_approval_of([answer.pk])[answer.pk]


def editors_since_approval_of(answer_ids: Collection[int]) -> dict[int, set[int]]:
    """editors_since_approval of each of these answers, read in one query."""
    return {pk: edited_since_approval(history) for pk, history in histories_of(answer_ids).items()}


def four_eyes_applies(user) -> bool:
    """Everyone is bound, a superuser too unless EDITORIAL_SUPERUSER_BYPASSES_FOUR_EYES."""
    return not (user.is_superuser and settings.EDITORIAL_SUPERUSER_BYPASSES_FOUR_EYES)


def barred_by_four_eyes(user, edited: set[int]) -> bool:
    """Whether four-eyes keeps this user off deciding on an answer these users edited."""
    return user.pk in edited and four_eyes_applies(user)


# What a page of many answers prefetches so claim_evidence() reads no more.
EVIDENCE_PREFETCH = Prefetch(
    "claim_evidence", queryset=ClaimEvidence.objects.select_related("source", "settled_by")
)


def claim_evidence(answer: Answer) -> dict[str, ClaimEvidence]:
    """The answer's claim evidence by claim key, sources read with it.

    A page listing many answers prefetches it (EVIDENCE_PREFETCH), one query for all.
    """
    if "claim_evidence" in getattr(answer, "_prefetched_objects_cache", {}):
        found = sorted(answer.claim_evidence.all(), key=lambda evidence: evidence.pk)
    else:
        found = answer.claim_evidence.select_related("source", "settled_by").order_by("id")
    return {evidence.claim_key: evidence for evidence in found}


def claims_with_evidence(
    answer: Answer, evidence: Mapping[str, ClaimEvidence] | None = None
) -> list[tuple[flags.Claim, ClaimEvidence | None]]:
    """Each claim of the answer's text now, in text order, with how it is settled (if it is)."""
    evidence = claim_evidence(answer) if evidence is None else evidence
    return [(claim, evidence.get(claim.key)) for claim in flags.find_claims(answer.text)]


def unsettled_claims(
    answer: Answer, evidence: Mapping[str, ClaimEvidence] | None = None
) -> list[flags.Claim]:
    """Claims of the answer's text with no evidence, or evidence that no longer holds
    (its source was removed)."""
    return [
        claim
        for claim, found in claims_with_evidence(answer, evidence)
        if found is None or not found.settled
    ]


def blocking_reasons(
    answer: Answer,
    *,
    has_source: bool | None = None,
    evidence: Mapping[str, ClaimEvidence] | None = None,
) -> list[str]:
    """Why the content cannot be approved; has_source and evidence, if given, save asking
    the database (a bulk approval reads them for many answers at once)."""
    reasons = []
    if settings.EDITORIAL_REQUIRE_SOURCE_FOR_APPROVAL and not (
        answer.sources.exists() if has_source is None else has_source
    ):
        reasons.append("it has no source; add at least one")
    for flag in flags.blocking_flags(answer):
        if flag is flags.NO_SOURCE:
            continue  # reported above, and only while the setting asks for a source
        reasons.append(f"it is flagged “{flag.label}”")
    if settings.EDITORIAL_APPROVAL_NEEDS_SETTLED_CLAIMS:
        # Checked on the text being approved: the locked row, at the version the reviewer saw.
        unsettled = unsettled_claims(answer, evidence)
        if unsettled:
            named = ", ".join(f"“{claim.text}”" for claim in unsettled)
            reasons.append(
                f"{'a claim is' if len(unsettled) == 1 else 'claims are'} not settled ({named}): "
                "link each to a source with its excerpt, rewrite it, or mark it common knowledge"
            )
    return reasons
