"""Approving many answers at once with exactly the result of approving them one by one.

Every rule is checked for each answer (state, assigned reviewer, four-eyes, sources,
blocking flags, claims, the version the reviewer saw) through the same `check` and the
same facts as a single approval, on rows locked and read once per batch; a refused
answer changes nothing and the others go on. Each approval still gets its own revision
(the answer's version with its sources and evidence), event, pin, review-quality facts and
announcement, in a few statements per batch instead of some twenty per answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from reversion.models import Revision, Version

from editorial.models import Answer, ApprovedVersion, ClaimEvidence, Source, Status, WorkflowEvent
from editorial.storage import approvals, events, review_facts, statistics, versioning
from editorial.workflow import facts, notify
from editorial.workflow.errors import WorkflowError
from editorial.workflow.provenance import pin_fields
from editorial.workflow.saving import check_version, own_revision
from editorial.workflow.transitions import STEPS, check

Action = WorkflowEvent.Action


@dataclass
class BulkOutcome:
    """What a step taken on many answers did: those it moved (as now stored), in the order
    given, and those a rule refused, each with the refusal."""

    done: list[Answer] = field(default_factory=list)
    refused: list[tuple[Answer, WorkflowError]] = field(default_factory=list)


# Answers approved per transaction: the queries of a batch do not grow with its size (rows
# are read and written a batch at a time), and a batch keeps its rows locked only briefly.
APPROVE_BATCH = 500


# Refused for an answer the posting page did not show: a decision is taken only on content
# seen, and a list's row says which version it showed.
UNSEEN = "The page did not say which version of this answer it showed; reload it and try again."


def take_many(
    step: str,
    *,
    answers: Sequence[Answer],
    user,
    expected_versions: Mapping[int, int],
    unseen_allowed: bool = False,
    **inputs,
) -> BulkOutcome:
    """Take a step of the table on each answer, from the version the page showed of it.

    Each answer goes through the step's own service and rules; a refusal names its reason
    and the others go on. An answer the page did not show is refused unless
    `unseen_allowed` (a step that only moves answers along may reach, through "select all",
    answers no page showed; a decision on their content never does). Approval has a bulk
    path of its own (approve_many) with the same result as one at a time.
    """
    unseen = [answer for answer in answers if answer.pk not in expected_versions]
    outcome = BulkOutcome()
    if step == "approve":
        seen = [answer for answer in answers if answer.pk in expected_versions]
        outcome = approve_many(answers=seen, user=user, comment=inputs.get("comment", ""),
                               expected_versions=expected_versions)  # fmt: skip
        outcome.refused += [(answer, WorkflowError(UNSEEN)) for answer in unseen]
        order = {answer.pk: index for index, answer in enumerate(answers)}
        outcome.refused.sort(key=lambda refused: order[refused[0].pk])
        return outcome
    service = STEPS[step].service
    for answer in answers:
        try:
            if answer.pk not in expected_versions and not unseen_allowed:
                raise WorkflowError(UNSEEN)
            service(answer, user, **inputs, expected_version=expected_versions.get(answer.pk))
        except WorkflowError as error:
            outcome.refused.append((answer, error))
        else:
            outcome.done.append(answer)
    _refresh_statistics(len(outcome.done))
    return outcome


def approve_many(
    *,
    answers: Sequence[Answer],
    user,
    comment: str = "",
    expected_versions: Mapping[int, int] | None = None,
) -> BulkOutcome:
    """Approve each answer as `approve` would, a batch of answers at a time."""
    own_revision()
    expected_versions = expected_versions or {}
    outcome = BulkOutcome()
    for start in range(0, len(answers), APPROVE_BATCH):
        with transaction.atomic():
            batch = _Batch.read(answers[start : start + APPROVE_BATCH])
            approved = batch.checked(user, expected_versions, outcome)
            if approved:
                _approve(batch, approved, user=user, comment=(comment or "").strip())
                outcome.done += approved
    _refresh_statistics(len(outcome.done))
    return outcome


def _refresh_statistics(steps: int) -> None:
    """Many answers moved: the planner hears of it now (storage.statistics); each step
    writes the answer, its version and its event."""
    statistics.after_bulk_work({Answer: steps, Version: steps, WorkflowEvent: steps})


@dataclass
class _Batch:
    """A batch's rows, locked, with every fact the rules and the pins need, read at once."""

    answers: Sequence[Answer]
    rows: dict[int, Answer]
    sources: dict[int, list[Source]]
    evidence: dict[int, dict[str, ClaimEvidence]]
    histories: dict[int, list[tuple]]

    @classmethod
    def read(cls, answers: Sequence[Answer]) -> _Batch:
        # Locked in id order, as two bulk steps over the same answers then cannot deadlock;
        # the document is only read (for the answers' names), so only the answers are locked.
        rows = {
            answer.pk: answer
            for answer in Answer.objects.select_for_update(of=("self",))
            .select_related("document")
            .filter(pk__in=[answer.pk for answer in answers])
            .order_by("pk")
        }
        people = get_user_model().objects.in_bulk(
            {pk for row in rows.values() for pk in (row.editor_id, row.reviewer_id) if pk}
        )
        for row in rows.values():
            row.editor, row.reviewer = people.get(row.editor_id), people.get(row.reviewer_id)
        sources: dict[int, list[Source]] = {pk: [] for pk in rows}
        for source in Source.objects.filter(answer_id__in=list(rows)).order_by("id"):
            sources[source.answer_id].append(source)
        evidence: dict[int, dict[str, ClaimEvidence]] = {pk: {} for pk in rows}
        for found in (
            ClaimEvidence.objects.filter(answer_id__in=list(rows))
            .select_related("source")
            .order_by("id")
        ):
            evidence[found.answer_id][found.claim_key] = found
        # One read of the log serves four-eyes and provenance; before this batch's events.
        return cls(answers, rows, sources, evidence, facts.histories_of(rows))

    def checked(
        self, user, expected_versions: Mapping[int, int], outcome: BulkOutcome
    ) -> list[Answer]:
        """The rows every rule lets `user` approve; the refusals go to the outcome."""
        approved = []
        for answer in self.answers:
            row = self.rows.get(answer.pk)
            try:
                if row is None:
                    raise WorkflowError("The answer no longer exists.")
                check_version(row, expected_versions.get(answer.pk))
                check(
                    STEPS["approve"],
                    row,
                    user,
                    edited=facts.edited_since_approval(self.histories[row.pk]),
                    has_source=bool(self.sources[row.pk]),
                    evidence=self.evidence[row.pk],
                )
            except WorkflowError as error:
                outcome.refused.append((answer, error))
            else:
                approved.append(row)
        return approved


def _approve(batch: _Batch, approved: list[Answer], *, user, comment: str) -> None:
    """Write the approvals of these checked rows: state, revisions, versions, events, pins."""
    now = timezone.now()
    from_status = Status.IN_REVIEW  # the only state approve leaves from (checked)
    # The rows are locked and were read in review; the state in the WHERE is the
    # compare-and-set that makes sure no other write landed in between.
    moved = Answer.objects.filter(pk__in=[row.pk for row in approved], status=from_status).update(
        status=Status.APPROVED, updated_at=now
    )
    if moved != len(approved):
        raise RuntimeError(
            "Answers locked for approval changed state; nothing in this batch was approved."
        )
    for row in approved:
        row.status, row.updated_at = Status.APPROVED, now

    label = STEPS["approve"].label
    revisions = versioning.create_revisions(
        Revision(date_created=now, user=user, comment=f"{label}: {comment}" if comment else label)
        for _ in approved
    )
    revision_of = {row.pk: revision for row, revision in zip(approved, revisions, strict=True)}
    # As reversion's follow writes them: the answer's version, its sources', its evidence's.
    followed = [source for row in approved for source in batch.sources[row.pk]]
    settled = [found for row in approved for found in batch.evidence[row.pk].values()]
    versioning.write_versions(
        versioning.versions_of(approved, revisions),
        versioning.versions_of(followed, (revision_of[s.answer_id] for s in followed)),
        versioning.versions_of(settled, (revision_of[e.answer_id] for e in settled)),
    )
    events.log(
        [
            events.Entry(row.pk, Action.APPROVE, from_status, row.status, comment)
            for row in approved
        ],
        actor=user,
        revisions=[revision.pk for revision in revisions],
        at=now,
    )
    pins = [
        ApprovedVersion(
            answer=row,
            **pin_fields(
                row,
                user=user,
                approved_at=now,
                revision_id=revision.pk,
                sources=batch.sources[row.pk],
                history=batch.histories[row.pk],
                evidence=batch.evidence[row.pk],
            ),
        )
        for row, revision in zip(approved, revisions, strict=True)
    ]
    approvals.record(pins)
    # Each approval's review-quality facts, added to the reviewer's totals: one batch at once.
    review_facts.keep(
        WorkflowEvent.objects.filter(
            revision_id__in=[revision.pk for revision in revisions], action=Action.APPROVE
        )
    )
    notify.record("approve", approved, user=user)
    notify.announce("approve", approved, user=user, comment=comment)
