"""Every rule of the editorial workflow, in one place.

The admin, the commands and the tests call these functions; none of them re-implements
a rule. Each step locks the answer row, checks who may do what, saves inside a
django-reversion revision carrying the user and comment, appends to the event log and
raises WorkflowError with a sentence a person understands when a rule forbids it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import reversion
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from reversion.models import Revision, Version

from editorial import flags
from editorial.models import (
    Answer,
    ApprovedVersion,
    ClaimEvidence,
    Notice,
    Source,
    Status,
    WorkflowEvent,
)
from editorial.storage import events, versioning

Action = WorkflowEvent.Action


class WorkflowError(Exception):
    """A workflow rule forbids this step; the message says which and why."""


class StaleVersionError(WorkflowError):
    """The page acted on an older version than the one stored: someone saved in between."""

    def __init__(self, *, loaded: int, current: int, message: str = "") -> None:
        self.loaded, self.current = loaded, current
        super().__init__(
            message
            or f"Someone else saved this answer (now version {current}) after you opened "
            f"version {loaded}; nothing was changed. See what changed, then try again."
        )


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    sources: frozenset[str]
    target: str | None  # None: decided by the answer (restore returns to where it was)
    needs_comment: bool = False


ACTIVE_STATES = frozenset(
    {Status.DRAFT, Status.IN_REVIEW, Status.CHANGES_REQUESTED, Status.APPROVED}
)
EDITABLE_STATES = frozenset({Status.DRAFT, Status.CHANGES_REQUESTED, Status.APPROVED})
# Still being worked on: a reviewer can be assigned, and it counts as their load.
OPEN_STATES = frozenset({Status.DRAFT, Status.CHANGES_REQUESTED, Status.IN_REVIEW})

# The transition table: which states a step leaves from and where it goes.
STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step("submit", "Submit for review", frozenset({Status.DRAFT, Status.CHANGES_REQUESTED}),
             Status.IN_REVIEW),
        Step("withdraw", "Withdraw", frozenset({Status.IN_REVIEW}), Status.DRAFT),
        Step("approve", "Approve", frozenset({Status.IN_REVIEW}), Status.APPROVED),
        Step("request_changes", "Request changes", frozenset({Status.IN_REVIEW}),
             Status.CHANGES_REQUESTED, needs_comment=True),
        Step("archive", "Archive", ACTIVE_STATES, Status.ARCHIVED),
        Step("restore", "Restore", frozenset({Status.ARCHIVED}), None),
    )
}  # fmt: skip


# --- predicates -------------------------------------------------------------------------


def is_editor(user) -> bool:
    return user.is_active and user.has_perm("editorial.change_answer")


def is_reviewer(user) -> bool:
    return user.is_active and user.has_perm("editorial.review_answer")


def can_decide_any(user) -> bool:
    return user.is_active and user.has_perm("editorial.approve_any_answer")


def may_decide(user) -> bool:
    """Approving and requesting changes is a reviewer's part, or an "approve any" holder's."""
    return is_reviewer(user) or can_decide_any(user)


def can_assign(user) -> bool:
    return user.is_active and user.has_perm("editorial.assign_answer")


def can_archive(user) -> bool:
    return user.is_active and user.has_perm("editorial.archive_answer")


def can_export(user) -> bool:
    return user.is_active and user.has_perm("editorial.export_answers")


def can_import(user) -> bool:
    return user.is_active and user.has_perm("editorial.import_documents")


def is_responsible_editor(answer: Answer, user) -> bool:
    """The answer's editor; an unassigned answer belongs to the first editor who claims it."""
    if not is_editor(user):
        return False
    return user.is_superuser or answer.editor_id in (None, user.pk)


def can_edit(answer: Answer, user) -> bool:
    try:
        check_can_edit(answer, user)
    except WorkflowError:
        return False
    return True


def may_assign_reviewer(answer: Answer, user) -> bool:
    return can_assign(user) and answer.status in OPEN_STATES


def may_assign_editor(answer: Answer, user) -> bool:
    return can_assign(user) and answer.status != Status.ARCHIVED


def may_claim(answer: Answer, user) -> bool:
    return is_editor(user) and answer.editor_id is None and answer.status != Status.ARCHIVED


def editors_since_approval(answer: Answer) -> set[int]:
    """Users who changed the text since the last approval: four-eyes keeps them out."""
    return editors_since_approval_of([answer.pk])[answer.pk]


def editors_since_approval_of(answer_ids: Collection[int]) -> dict[int, set[int]]:
    """editors_since_approval of each of these answers, read in one query."""
    edited: dict[int, set[int]] = {pk: set() for pk in answer_ids}
    events = (
        WorkflowEvent.objects.filter(
            answer_id__in=answer_ids, action__in=[Action.APPROVE, Action.EDIT, Action.REVERT]
        )
        .order_by("answer_id", "id")
        .values_list("answer_id", "action", "actor_id")
    )
    for answer_id, action, actor_id in events:
        if action == Action.APPROVE:
            edited[answer_id] = set()  # only edits after the last approval count
        elif actor_id is not None:
            edited[answer_id].add(actor_id)
    return edited


def _holders(codename: str):
    """Active users who hold an editorial permission through a group or directly."""
    permission = Permission.objects.get(content_type__app_label="editorial", codename=codename)
    User = get_user_model()
    # EXISTS, not joins: a join with DISTINCT multiplied any count annotated on top (a
    # reviewer in two reviewing groups, or with the permission twice, counted double).
    through_group = Group.permissions.through.objects.filter(
        group__user=OuterRef("pk"), permission=permission
    )
    direct = User.user_permissions.through.objects.filter(
        user=OuterRef("pk"), permission=permission
    )
    return User.objects.filter(Exists(through_group) | Exists(direct), is_active=True)


def reviewers():
    return _holders("review_answer")


def editors():
    return _holders("change_answer")


def _four_eyes_applies(user) -> bool:
    return not (user.is_superuser and settings.EDITORIAL_SUPERUSER_BYPASSES_FOUR_EYES)


def claim_evidence(answer: Answer) -> dict[str, ClaimEvidence]:
    """The answer's claim evidence by claim key, sources read with it.

    A page listing many answers prefetches it (EVIDENCE_PREFETCH), one query for all.
    """
    if "claim_evidence" in getattr(answer, "_prefetched_objects_cache", {}):
        found = sorted(answer.claim_evidence.all(), key=lambda evidence: evidence.pk)
    else:
        found = answer.claim_evidence.select_related("source").order_by("id")
    return {evidence.claim_key: evidence for evidence in found}


# What a page of many answers prefetches so claim_evidence() reads no more.
EVIDENCE_PREFETCH = Prefetch(
    "claim_evidence", queryset=ClaimEvidence.objects.select_related("source")
)


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


def _blocking_reasons(
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


# --- guards: raise WorkflowError, change nothing -----------------------------------------


def _require_state(answer: Answer, step: Step) -> None:
    if answer.status not in step.sources:
        raise WorkflowError(
            f"“{step.label}” is not possible while the answer is "
            f"{answer.get_status_display().lower()}."
        )


def check_can_edit(answer: Answer, user) -> None:
    if not is_editor(user):
        raise WorkflowError("Only editors can change questions, answers and sources.")
    if answer.status == Status.IN_REVIEW:
        raise WorkflowError(
            "The answer is in review and read-only; withdraw it to draft to edit it."
        )
    if answer.status not in EDITABLE_STATES:
        raise WorkflowError("The answer is archived; restore it to edit it.")
    if not is_responsible_editor(answer, user):
        raise WorkflowError(
            f"{answer.editor} is the editor of this answer; ask a managing editor to reassign it."
        )


def _guard_submit(answer: Answer, user, reviewer=None, *, check_content: bool = True) -> None:
    _require_state(answer, STEPS["submit"])
    if not is_responsible_editor(answer, user):
        raise WorkflowError("Only the answer's editor can submit it for review.")
    # A reviewer must never receive work that approval would refuse.
    reasons = _blocking_reasons(answer) if check_content else []
    if reasons:
        raise WorkflowError("Fix this before submitting: " + "; ".join(reasons) + ".")
    if reviewer is not None:
        _check_reviewer_eligible(answer, reviewer)


def _guard_withdraw(answer: Answer, user) -> None:
    _require_state(answer, STEPS["withdraw"])
    if not is_responsible_editor(answer, user):
        raise WorkflowError("Only the answer's editor can withdraw it from review.")


def decides_on(reviewer_id: int | None, user) -> bool:
    """Whether the user may decide on an answer assigned to reviewer_id: its assigned
    reviewer, or a holder of "approve any" (_guard_review says why not, when not)."""
    return can_decide_any(user) or (is_reviewer(user) and reviewer_id == user.pk)


def _guard_review(answer: Answer, user, step: Step) -> None:
    _require_state(answer, step)
    if not decides_on(answer.reviewer_id, user):
        if not is_reviewer(user):
            raise WorkflowError("Only reviewers can approve or request changes.")
        if answer.reviewer_id != user.pk:
            raise WorkflowError(
                f"This answer is assigned to {answer.reviewer or 'no reviewer'}; "
                "only the assigned reviewer can decide on it."
            )


def _guard_approve(
    answer: Answer,
    user,
    *,
    edited: set[int] | None = None,
    has_source: bool | None = None,
    evidence: Mapping[str, ClaimEvidence] | None = None,
) -> None:
    """The approval rules; a bulk approval passes the facts it read for many answers at once
    (who edited since the last approval, whether there is a source)."""
    _guard_review(answer, user, STEPS["approve"])
    if edited is None:
        edited = editors_since_approval(answer)
    if _four_eyes_applies(user) and user.pk in edited:
        raise WorkflowError(
            "You edited this answer since its last approval; another reviewer must approve it."
        )
    reasons = _blocking_reasons(answer, has_source=has_source, evidence=evidence)
    if reasons:
        raise WorkflowError("The answer cannot be approved: " + "; ".join(reasons) + ".")


def _guard_request_changes(answer: Answer, user) -> None:
    _guard_review(answer, user, STEPS["request_changes"])


def _guard_archive(answer: Answer, user) -> None:
    _require_state(answer, STEPS["archive"])
    if not can_archive(user):
        raise WorkflowError("Only managing editors can archive answers.")


def _guard_restore(answer: Answer, user) -> None:
    _require_state(answer, STEPS["restore"])
    if not can_archive(user):
        raise WorkflowError("Only managing editors can restore answers.")


_GUARDS: dict[str, Callable[..., None]] = {
    "submit": _guard_submit,
    "withdraw": _guard_withdraw,
    "approve": _guard_approve,
    "request_changes": _guard_request_changes,
    "archive": _guard_archive,
    "restore": _guard_restore,
}


def available_transitions(answer: Answer, user) -> list[Step]:
    """The steps this user may take on this answer now (what the admin offers as buttons)."""
    return [step for name, step in STEPS.items() if _refusal(name, answer, user) is None]


def offered_steps(answer: Answer, user) -> list[Step]:
    """The step buttons to show: the steps allowed now, and submit while only the content
    stands in its way, since the button saves the editor's typing first and checks again."""
    allowed = available_transitions(answer, user)
    if STEPS["submit"] not in allowed and can_edit(answer, user):
        try:
            _guard_submit(answer, user, check_content=False)
        except WorkflowError:
            return allowed
        return [step for step in STEPS.values() if step in allowed or step.name == "submit"]
    return allowed


def _editor_part(user, answer: Answer | None) -> bool:
    return is_editor(user) if answer is None else is_responsible_editor(answer, user)


# Whose part each step is; a refusal is worth explaining only to someone whose part it is.
STEP_ROLES: dict[str, Callable[..., bool]] = {
    "claim": lambda user, answer=None: is_editor(user),
    "submit": _editor_part,
    "withdraw": _editor_part,
    "approve": lambda user, answer=None: may_decide(user),
    "request_changes": lambda user, answer=None: may_decide(user),
    "assign_reviewer": lambda user, answer=None: can_assign(user),
    "archive": lambda user, answer=None: can_archive(user),
    "restore": lambda user, answer=None: can_archive(user),
}


def has_part_in(step: str, user, answer: Answer | None = None) -> bool:
    """Whether taking this step is this user's part at all (on this answer, if given)."""
    return STEP_ROLES[step](user, answer)


def refused_transitions(answer: Answer, user) -> dict[str, str]:
    """Steps the state allows and that are this user's part, but a rule refuses, with why."""
    return {
        name: reason
        for name, step in STEPS.items()
        if answer.status in step.sources
        and has_part_in(name, user, answer)
        and (reason := _refusal(name, answer, user)) is not None
    }


def _refusal(name: str, answer: Answer, user) -> str | None:
    try:
        _GUARDS[name](answer, user)
    except WorkflowError as error:
        return str(error)
    return None


def _barred_by_four_eyes(reviewer, edited: set[int]) -> bool:
    """Whether four-eyes keeps this reviewer off an answer these users edited."""
    return reviewer.pk in edited and _four_eyes_applies(reviewer)


def _check_reviewer_eligible(answer: Answer, reviewer) -> None:
    if not is_reviewer(reviewer):
        raise WorkflowError(f"{reviewer} is not a reviewer.")
    if _barred_by_four_eyes(reviewer, editors_since_approval(answer)):
        raise WorkflowError(
            f"{reviewer} edited this answer since its last approval and cannot review it."
        )


def eligible_reviewers(answer: Answer) -> list:
    """The reviewers the rules allow for this answer: what a reviewer choice may offer."""
    edited = editors_since_approval(answer)
    return [
        reviewer
        for reviewer in reviewers().order_by("username")
        if not _barred_by_four_eyes(reviewer, edited)
    ]


def display_name(user) -> str:
    """How people are named in messages and e-mails: their full name, else the username."""
    return user.get_full_name() or user.get_username()


def pick_reviewer(answer: Answer, *, exclude: set[int] = frozenset()):
    """The least-loaded reviewer who has not edited the answer.

    Load counts every answer assigned and not yet decided (draft, changes requested, in
    review), so balancing a batch of drafts spreads it instead of giving it all to one.
    """
    excluded = set(exclude) | editors_since_approval(answer)
    if answer.editor_id:
        excluded.add(answer.editor_id)
    candidate = (
        reviewers()
        .exclude(pk__in=excluded)
        .annotate(
            open_assignments=Count(
                "reviewed_answers", filter=Q(reviewed_answers__status__in=OPEN_STATES)
            )
        )
        .order_by("open_assignments", "username")
        .first()
    )
    if candidate is None:
        raise WorkflowError("No reviewer is available who has not edited this answer.")
    return candidate


# --- steps ---------------------------------------------------------------------------------


def _locked(answer: Answer, expected_version: int | None = None) -> Answer:
    """Re-read the row under a lock so two people acting at once cannot both win.

    With expected_version (what the person's page showed), a step taken from a stale page
    is refused: nobody acts on content they did not see.
    """
    locked = Answer.objects.select_for_update().select_related("document").get(pk=answer.pk)
    check_version(locked, expected_version)
    return locked


def check_version(
    answer: Answer, expected_version: int | None, expected_status: str | None = None
) -> None:
    """Refuse a write from a page that showed another version (or state) than the stored one.

    The state matters to a content save: saving an answer approved meanwhile would send it
    back to draft, a consequence the person never saw on their page.
    """
    if expected_version is not None and answer.version != expected_version:
        raise StaleVersionError(loaded=expected_version, current=answer.version)
    if expected_status and answer.status != expected_status:
        now, then = answer.get_status_display().lower(), Status(expected_status).label.lower()
        raise StaleVersionError(
            loaded=answer.version,
            current=answer.version,
            message=f"The answer became {now} while you had this page open (it showed "
            f"{then}); nothing was saved. Save again to apply your text to it as it is now.",
        )


def _bump_version(answer: Answer) -> None:
    """Compare-and-set in the database: exactly one increment per landed content change."""
    bumped = Answer.objects.filter(pk=answer.pk, version=answer.version).update(
        version=F("version") + 1
    )
    if bumped != 1:
        current = Answer.objects.values_list("version", flat=True).get(pk=answer.pk)
        raise StaleVersionError(loaded=answer.version, current=current)
    answer.version += 1


def _own_revision() -> None:
    """A step's revision carries its own comment and event; it must not merge into another."""
    if reversion.is_active():
        raise RuntimeError("Workflow steps make their own revision; call them outside one.")


# What a step may write: never the content, so a step cannot undo a content save.
STEP_FIELDS = [
    "status", "status_before_archive", "editor", "reviewer",
    "imported_question", "imported_text", "incoming_question", "incoming_text", "updated_at",
]  # fmt: skip


def _save_with_event(
    answer: Answer, *, user, action: str, from_status: str, comment: str, label: str
) -> None:
    _own_revision()
    with reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment(f"{label}: {comment}" if comment else label)
        answer.save(update_fields=STEP_FIELDS)
        events.log(
            [events.Entry(answer.pk, action, from_status, answer.status, comment)], actor=user
        )


def answer_url(answer: Answer) -> str:
    """The answer's page as a link that works from an e-mail."""
    path = reverse("admin:editorial_answer_change", args=[answer.pk])
    return settings.SITE_URL.rstrip("/") + path


def _mail(user, answer: Answer, subject: str, body: str) -> EmailMessage | None:
    """The e-mail telling someone the step that is now theirs, naming the answer and linking
    to it; None for someone without an address."""
    if user is None or not user.email:
        return None
    message = f"{body.strip()}\n\nOpen it: {answer_url(answer)}\n"
    return EmailMessage(f"{subject}: {answer}", message, None, [user.email])


def _send_on_commit(mails: Iterable[EmailMessage | None]) -> None:
    """Send once the step is committed (never for a step rolled back), over one connection."""
    mails = [mail for mail in mails if mail is not None]
    if mails:
        transaction.on_commit(lambda: get_connection().send_messages(mails))


def _notify(user, answer: Answer, subject: str, body: str) -> None:
    """E-mail someone the step that is now theirs, naming the answer and linking to it."""
    _send_on_commit([_mail(user, answer, subject, body)])


def _transition(
    name: str,
    answer: Answer,
    user,
    *,
    comment: str = "",
    guard_kwargs: dict | None = None,
    before_save: Callable[[Answer], None] | None = None,
    after_save: Callable[[Answer, WorkflowEvent], None] | None = None,
    expected_version: int | None = None,
) -> Answer:
    step = STEPS[name]
    comment = (comment or "").strip()
    with transaction.atomic():
        locked = _locked(answer, expected_version)
        _GUARDS[name](locked, user, **(guard_kwargs or {}))
        if step.needs_comment and not comment:
            raise WorkflowError(f"“{step.label}” needs a comment saying what to change.")
        from_status = locked.status
        if before_save:
            before_save(locked)
        if step.target is not None:
            locked.status = step.target
        _save_with_event(
            locked,
            user=user,
            action=name,
            from_status=from_status,
            comment=comment,
            label=step.label,
        )
        if after_save:
            # In the same transaction: what the step pins or records lands with it or not at all.
            after_save(locked, locked.events.filter(action=name).latest("id"))
    _refresh_instance(answer, locked)
    return locked


def _refresh_instance(answer: Answer, fresh: Answer) -> None:
    """Keep the caller's object in step with the row, as a save would."""
    if answer is not fresh:
        answer.refresh_from_db()


def submit(
    answer: Answer,
    user,
    reviewer=None,
    comment: str = "",
    *,
    expected_version: int | None = None,
) -> Answer:
    """Send the answer to a reviewer: the one given, the one assigned, or the least loaded."""

    def choose_reviewer(locked: Answer) -> None:
        chosen = reviewer
        if chosen is None and locked.reviewer_id is not None:
            try:
                _check_reviewer_eligible(locked, locked.reviewer)
                chosen = locked.reviewer
            except WorkflowError:
                chosen = None
        if chosen is None:
            chosen = pick_reviewer(locked, exclude={user.pk})
        if locked.editor_id is None:
            locked.editor = user
        locked.reviewer = chosen

    locked = _transition(
        "submit",
        answer,
        user,
        comment=comment,
        guard_kwargs={"reviewer": reviewer},
        before_save=choose_reviewer,
        expected_version=expected_version,
    )
    _notify(
        locked.reviewer,
        locked,
        "Review requested",
        f"{display_name(user)} submitted “{locked.question}” for your review.\n\n{comment}",
    )
    return locked


def withdraw(
    answer: Answer, user, comment: str = "", *, expected_version: int | None = None
) -> Answer:
    return _transition("withdraw", answer, user, comment=comment, expected_version=expected_version)


def approve(
    answer: Answer, user, comment: str = "", *, expected_version: int | None = None
) -> Answer:
    """Approve and pin what was approved: export uses it until the next approval.

    With expected_version, the pinned content is exactly the version the reviewer saw.
    """

    def pin(locked: Answer, event: WorkflowEvent) -> None:
        ApprovedVersion.objects.update_or_create(
            answer=locked,
            defaults=_pin_fields(
                locked,
                user=user,
                approved_at=event.created_at,
                revision_id=event.revision_id,
                sources=locked.sources.all(),
                history=histories_of([locked.pk])[locked.pk],
                evidence=claim_evidence(locked),
                before_event_id=event.pk,
            ),
        )

    locked = _transition(
        "approve",
        answer,
        user,
        comment=comment,
        after_save=pin,
        expected_version=expected_version,
    )
    _send_on_commit([_approval_mail(locked, user, comment)])
    return locked


@dataclass
class BulkOutcome:
    """What a step taken on many answers did: those it moved (as now stored), in the order
    given, and those a rule refused, each with the refusal."""

    done: list[Answer] = field(default_factory=list)
    refused: list[tuple[Answer, WorkflowError]] = field(default_factory=list)


# Answers approved per transaction: the queries of a batch do not grow with its size (rows
# are read and written a batch at a time), and a batch keeps its rows locked only briefly.
APPROVE_BATCH = 500


def approve_many(
    *,
    answers: Sequence[Answer],
    user,
    comment: str = "",
    expected_versions: Mapping[int, int] | None = None,
) -> BulkOutcome:
    """Approve each answer as `approve` would, a batch of answers at a time.

    Every rule is checked for each answer (state, assigned reviewer, four-eyes, sources,
    blocking flags, the version the reviewer saw) on rows locked and read once per batch;
    a refused answer changes nothing and the others go on. Each approval still gets its
    own revision (the answer's version with its sources), event, pin and e-mail: the
    result is what approving them one by one gives, in a few queries per batch instead of
    some twenty per answer.
    """
    _own_revision()
    expected_versions = expected_versions or {}
    outcome = BulkOutcome()
    for start in range(0, len(answers), APPROVE_BATCH):
        with transaction.atomic():
            _approve_batch(
                answers[start : start + APPROVE_BATCH],
                user=user,
                comment=(comment or "").strip(),
                expected_versions=expected_versions,
                outcome=outcome,
            )
    return outcome


def _approve_batch(
    answers: Sequence[Answer],
    *,
    user,
    comment: str,
    expected_versions: Mapping[int, int],
    outcome: BulkOutcome,
) -> None:
    # Locked in id order, as two bulk steps over the same answers then cannot deadlock; the
    # document is only read (for the answers' names), so only the answers are locked.
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
    # One read of the log serves four-eyes and provenance; before this batch's events exist.
    histories = histories_of(rows)
    edited = {pk: _edited_since_approval(history) for pk, history in histories.items()}

    approved: list[Answer] = []
    for answer in answers:
        row = rows.get(answer.pk)
        try:
            if row is None:
                raise WorkflowError("The answer no longer exists.")
            row.editor = people.get(row.editor_id)
            row.reviewer = people.get(row.reviewer_id)
            check_version(row, expected_versions.get(answer.pk))
            _guard_approve(
                row,
                user,
                edited=edited[row.pk],
                has_source=bool(sources[row.pk]),
                evidence=evidence[row.pk],
            )
        except WorkflowError as error:
            outcome.refused.append((answer, error))
        else:
            approved.append(row)
    if not approved:
        return

    now = timezone.now()
    from_status = Status.IN_REVIEW  # the only state approve leaves from (the guard checked)
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
    revisions = Revision.objects.bulk_create(
        Revision(date_created=now, user=user, comment=f"{label}: {comment}" if comment else label)
        for _ in approved
    )
    revision_of = {row.pk: revision for row, revision in zip(approved, revisions, strict=True)}
    # As reversion's follow writes them: the answer's version, its sources', its evidence's.
    followed = [source for row in approved for source in sources[row.pk]]
    settled = [found for row in approved for found in evidence[row.pk].values()]
    versioning.write_versions(
        versioning.versions_of(approved, revisions),
        versioning.versions_of(followed, (revision_of[s.answer_id] for s in followed)),
        versioning.versions_of(settled, (revision_of[found.answer_id] for found in settled)),
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
            **_pin_fields(
                row,
                user=user,
                approved_at=now,
                revision_id=revision.pk,
                sources=sources[row.pk],
                history=histories[row.pk],
                evidence=evidence[row.pk],
            ),
        )
        for row, revision in zip(approved, revisions, strict=True)
    ]
    ApprovedVersion.objects.bulk_create(
        pins,
        update_conflicts=True,
        unique_fields=["answer"],
        update_fields=_PIN_FIELDS,
    )
    _send_on_commit(_approval_mail(row, user, comment) for row in approved)
    outcome.done += approved


def _pin_fields(
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
    it holds and how it was made (from the history before the approval's own event)."""
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


_PIN_FIELDS = [
    "question", "text", "sources", "claims", "approved_by", "approved_at", "version", "revision",
    "review_by", "provenance",
]  # fmt: skip


# --- provenance: how approved text was made, pinned with it --------------------------------

# IPTC digital source types (schema.org digitalSourceType): the model's text as it came, or
# the model's text corrected by people.
IPTC_DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED_ALGORITHMIC_MEDIA = IPTC_DIGITAL_SOURCE_TYPE + "trainedAlgorithmicMedia"
COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA = (
    IPTC_DIGITAL_SOURCE_TYPE + "compositeWithTrainedAlgorithmicMedia"
)
# The admin's fixed comment on a save: it says nothing about what was corrected. Nor do
# the notes settle_claim and clear_claim log: the evidence itself is exported as claims.
ADMIN_EDIT_COMMENT = "Edited in the admin"
EVIDENCE_NOTES = ("Claim “", "Evidence for claim “")
_CONTENT_ACTIONS = (Action.EDIT, Action.REVERT, Action.MERGE)
_HISTORY_ACTIONS = [
    Action.IMPORT, Action.REIMPORT, Action.CONFLICT, *_CONTENT_ACTIONS, Action.SUBMIT,
    Action.APPROVE,
]  # fmt: skip


def histories_of(answer_ids: Collection[int]) -> dict[int, list[tuple]]:
    """The events provenance (and four-eyes) is read from, per answer and oldest first, in
    one query: (event id, action, actor id, actor's username, comment, time)."""
    histories: dict[int, list[tuple]] = {pk: [] for pk in answer_ids}
    username = f"actor__{get_user_model().USERNAME_FIELD}"
    rows = (
        WorkflowEvent.objects.filter(answer_id__in=list(answer_ids), action__in=_HISTORY_ACTIONS)
        .order_by("answer_id", "id")
        .values_list("answer_id", "id", "action", "actor_id", username, "comment", "created_at")
    )
    for answer_id, *event in rows:
        histories[answer_id].append(tuple(event))
    return histories


def _edited_since_approval(history: list) -> set[int]:
    """editors_since_approval, read from a history of histories_of."""
    edited: set[int] = set()
    for _, action, actor_id, *_rest in history:
        if action == Action.APPROVE:
            edited = set()
        elif action in (Action.EDIT, Action.REVERT) and actor_id is not None:
            edited.add(actor_id)
    return edited


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


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
        if action in _CONTENT_ACTIONS:
            edits.append(created_at)
            if actor is not None:
                editors.add(actor)
        note = (comment or "").strip()
        if (
            action in (*_CONTENT_ACTIONS, Action.SUBMIT)
            and note
            and note != ADMIN_EDIT_COMMENT
            and not note.startswith(EVIDENCE_NOTES)
            and note not in notes
        ):
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


def _approval_mail(answer: Answer, user, comment: str) -> EmailMessage | None:
    """The editor's news of an approval (the same from approve and approve_many)."""
    return _mail(
        answer.editor,
        answer,
        "Approved",
        f"{display_name(user)} approved version {answer.version} of “{answer.question}”; it is now "
        f"the exported one.\n\n{(comment or '').strip()}",
    )


def request_changes(
    answer: Answer, user, comment: str = "", *, expected_version: int | None = None
) -> Answer:
    def leave_notice(locked: Answer, event: WorkflowEvent) -> None:
        # Unread until the editor opens the answer: their home page lists it till then.
        if locked.editor_id is not None:
            Notice.objects.create(recipient_id=locked.editor_id, event=event)

    locked = _transition(
        "request_changes",
        answer,
        user,
        comment=comment,
        after_save=leave_notice,
        expected_version=expected_version,
    )
    _notify(
        locked.editor,
        locked,
        "Changes requested",
        f"{display_name(user)} asks for changes to “{locked.question}”:\n\n{comment}",
    )
    return locked


def archive(
    answer: Answer, user, comment: str = "", *, expected_version: int | None = None
) -> Answer:
    def remember(locked: Answer) -> None:
        locked.status_before_archive = locked.status

    return _transition(
        "archive", answer, user, comment=comment, before_save=remember,
        expected_version=expected_version,
    )  # fmt: skip


def restore(
    answer: Answer, user, comment: str = "", *, expected_version: int | None = None
) -> Answer:
    """Return an archived answer to the state it was archived from."""

    def back(locked: Answer) -> None:
        locked.status = locked.status_before_archive or Status.DRAFT
        if locked.status == Status.IN_REVIEW and locked.reviewer_id is None:
            locked.status = Status.DRAFT
        locked.status_before_archive = ""

    return _transition(
        "restore", answer, user, comment=comment, before_save=back,
        expected_version=expected_version,
    )  # fmt: skip


def assign_reviewer(
    answer: Answer,
    user,
    reviewer=None,
    comment: str = "",
    *,
    expected_version: int | None = None,
) -> Answer:
    """Assign by hand, or pick the least-loaded eligible reviewer when none is given."""
    with transaction.atomic():
        locked = _locked(answer, expected_version)
        if not can_assign(user):
            raise WorkflowError("Only managing editors can assign reviewers.")
        if not may_assign_reviewer(locked, user):
            raise WorkflowError(
                f"Reviewers are assigned to answers still being worked on, "
                f"not to {locked.get_status_display().lower()} ones."
            )
        chosen = reviewer or pick_reviewer(locked)
        _check_reviewer_eligible(locked, chosen)
        if chosen.pk == locked.reviewer_id:
            return locked
        previous = locked.reviewer
        locked.reviewer = chosen
        note = f"{previous or 'nobody'} → {chosen}"
        _save_with_event(
            locked,
            user=user,
            action=Action.ASSIGN,
            from_status=locked.status,
            comment=f"{note}. {comment}".strip().rstrip("."),
            label="Reviewer assigned",
        )
    _refresh_instance(answer, locked)
    if locked.status == Status.IN_REVIEW:
        _notify(
            chosen,
            locked,
            "Review requested",
            f"{display_name(user)} assigned you to review “{locked.question}”.",
        )
    return locked


def assign_editor(
    answer: Answer, user, editor, comment: str = "", *, expected_version: int | None = None
) -> Answer:
    """A managing editor makes someone responsible; an editor may claim an unassigned answer."""
    with transaction.atomic():
        locked = _locked(answer, expected_version)
        claiming = editor.pk == user.pk and locked.editor_id is None
        if not (can_assign(user) or (claiming and is_editor(user))):
            raise WorkflowError("Only managing editors can assign an editor to an answer.")
        if not is_editor(editor):
            raise WorkflowError(f"{editor} is not an editor.")
        if locked.status == Status.ARCHIVED:
            raise WorkflowError("The answer is archived; restore it first.")
        if locked.editor_id == editor.pk:
            return locked
        previous = locked.editor
        locked.editor = editor
        _save_with_event(
            locked,
            user=user,
            action=Action.CLAIM,
            from_status=locked.status,
            comment=f"{previous or 'nobody'} → {editor}. {comment}".strip().rstrip("."),
            label="Editor assigned",
        )
    _refresh_instance(answer, locked)
    return locked


def claim(answer: Answer, user, *, expected_version: int | None = None) -> Answer:
    return assign_editor(answer, user, user, expected_version=expected_version)


# --- edits ---------------------------------------------------------------------------------


def begin_edit(answer: Answer, *, user, comment: str = "", action: str = Action.EDIT) -> list[str]:
    """Apply the rules of an edit to a locked answer about to be saved inside a revision.

    Returns the fields the caller saves: the content, the version (raised here by a
    compare-and-set) and only what the edit rule itself changed; never a stale status,
    editor or reviewer. Callers save the answer (and its sources) inside the same
    revision: the admin through its form, `edit` and `revert` below directly. Editing an
    approved answer returns it to draft; its approved version stays pinned for export.
    """
    check_can_edit(answer, user)
    from_status = answer.status
    fields = ["question", "text", "version", "updated_at"]
    if answer.editor_id is None:
        answer.editor = user
        fields.append("editor")
    if answer.status == Status.APPROVED:
        answer.status = Status.DRAFT
        fields.append("status")
    _bump_version(answer)
    events.log([events.Entry(answer.pk, action, from_status, answer.status, comment)], actor=user)
    return fields


def mark_import_merged(
    answer: Answer, *, user, comment: str = "", expected_version: int | None = None
) -> Answer:
    """The editor has merged a re-import by hand: it becomes the new imported baseline."""
    with transaction.atomic():
        locked = _locked(answer, expected_version)
        check_can_edit(locked, user)
        if not locked.has_import_conflict:
            raise WorkflowError("No re-import is waiting to be merged.")
        if locked.incoming_question is not None:
            locked.imported_question = locked.incoming_question
        if locked.incoming_text is not None:
            locked.imported_text = locked.incoming_text
        locked.incoming_question = locked.incoming_text = None
        _save_with_event(
            locked, user=user, action=Action.MERGE, from_status=locked.status,
            comment=comment, label="Re-import merged",
        )  # fmt: skip
    _refresh_instance(answer, locked)
    return locked


def finish_edit(answer: Answer) -> None:
    """Recompute the quality flags once text and sources are saved."""
    flags.refresh_flags([answer.pk])
    answer.refresh_from_db(fields=["flags", "flag_level", "text_fingerprint"])


def edit(
    answer: Answer,
    *,
    user,
    question: str | None = None,
    text: str | None = None,
    sources: list[dict] | None = None,
    comment: str = "",
    expected_version: int | None = None,
) -> Answer:
    """Change the question, answer text and/or sources under the workflow rules."""
    _own_revision()
    with transaction.atomic():
        locked = _locked(answer, expected_version)
        with reversion.create_revision():
            reversion.set_user(user)
            reversion.set_comment(comment or "Edited")
            fields = begin_edit(locked, user=user, comment=comment)
            if question is not None:
                locked.question = question
            if text is not None:
                locked.text = text
            locked.full_clean(exclude=["document", "editor", "reviewer"])
            locked.save(update_fields=fields)
            if sources is not None:
                _replace_sources(locked, sources)
        finish_edit(locked)
    _refresh_instance(answer, locked)
    return locked


def _replace_sources(answer: Answer, sources: list[dict]) -> None:
    answer.sources.all().delete()
    for values in sources:
        source = Source(answer=answer, **values)
        source.full_clean(exclude=["answer"])
        source.save()


def version_sources(version: Version) -> list[dict]:
    """The sources this answer had in a version (a revision may hold other answers' too)."""
    return [
        source_version.field_dict
        for source_version in version.revision.version_set.filter(
            content_type__app_label="editorial", content_type__model="source"
        ).order_by("object_id")
        if str(source_version.field_dict.get("answer_id")) == str(version.object_id)
    ]


def version_claims(version: Version) -> list[dict]:
    """The settled claims of the answer's text in a version, in the shape an approval pins
    (a claim's source is read from the same version's sources)."""
    sources = {str(source["id"]): source for source in version_sources(version)}
    rows = [
        claim_version.field_dict
        for claim_version in version.revision.version_set.filter(
            content_type__app_label="editorial", content_type__model="claimevidence"
        ).order_by("object_id")
        if str(claim_version.field_dict.get("answer_id")) == str(version.object_id)
    ]
    evidence = {row["claim_key"]: row for row in rows}
    settled = []
    for claim in flags.find_claims(version.field_dict["text"]):
        row = evidence.get(claim.key)
        if row is None:
            continue
        source = sources.get(str(row.get("source_id")))
        if row["kind"] == ClaimEvidence.Kind.SOURCE and source is None:
            continue  # its source was gone: not settled in that version
        if row["kind"] == ClaimEvidence.Kind.COMMON_KNOWLEDGE and not row["reason"].strip():
            continue
        linked = row["kind"] == ClaimEvidence.Kind.SOURCE
        settled.append(
            {
                "text": row["claim_text"],
                "kind": row["kind"],
                "source_url": source["url"] if linked else "",
                "source_title": source["title"] if linked else "",
                "excerpt": row["excerpt"] if linked else "",
                "reason": row["reason"] if not linked else "",
            }
        )
    return settled


def revert(
    answer: Answer,
    *,
    user,
    version_id: int,
    comment: str = "",
    expected_version: int | None = None,
) -> Answer:
    """Bring back the question, text and sources of an earlier version; it is an edit."""
    version = (
        Version.objects.get_for_object(answer)
        .select_related("revision")
        .filter(pk=version_id)
        .first()
    )
    if version is None:
        raise WorkflowError("That version does not belong to this answer.")
    fields = version.field_dict
    old_sources = [
        {key: value for key, value in fields.items() if key not in {"id", "answer", "answer_id"}}
        for fields in version_sources(version)
    ]
    when = timezone.localtime(version.revision.date_created).strftime("%Y-%m-%d %H:%M")
    note = comment or f"Reverted to the version of {when}"
    _own_revision()
    with transaction.atomic():
        locked = _locked(answer, expected_version)
        with reversion.create_revision():
            reversion.set_user(user)
            reversion.set_comment(note)
            update_fields = begin_edit(locked, user=user, comment=note, action=Action.REVERT)
            locked.question, locked.text = fields["question"], fields["text"]
            locked.save(update_fields=update_fields)
            _replace_sources(locked, old_sources)
        finish_edit(locked)
    _refresh_instance(answer, locked)
    return locked


# --- claim evidence --------------------------------------------------------------------------


def settle_claim(
    answer: Answer,
    *,
    user,
    claim: str,
    kind: str,
    source_id: int | None = None,
    excerpt: str = "",
    reason: str = "",
    expected_version: int | None = None,
) -> Answer:
    """Link a claim of the answer's text to one of its sources with the quoted excerpt, or mark
    it common knowledge with a reason.

    Evidence is content (it says why the text may be trusted), so this is an edit like any
    other: only where and by whom editing is allowed, from the version the page showed, a
    new version with its own revision and event, and four-eyes counts it.
    """
    excerpt, reason = (excerpt or "").strip(), (reason or "").strip()
    _own_revision()
    with transaction.atomic():
        locked = _locked(answer, expected_version)
        check_can_edit(locked, user)
        found = _claim_of(locked, claim)
        source = None
        if kind == ClaimEvidence.Kind.SOURCE:
            source = locked.sources.filter(pk=source_id).first() if source_id else None
            if source is None:
                raise WorkflowError(f"Choose one of this answer's sources for “{found.text}”.")
            if not excerpt:
                raise WorkflowError(
                    f"Quote the excerpt of “{source}” that supports “{found.text}”."
                )
            note = f"Claim “{found.text}” linked to “{source}”"
        elif kind == ClaimEvidence.Kind.COMMON_KNOWLEDGE:
            if not reason:
                raise WorkflowError(f"Say why “{found.text}” is common knowledge.")
            excerpt = ""
            note = f"Claim “{found.text}” marked common knowledge: {reason}"
        else:
            raise WorkflowError("Link the claim to a source or mark it common knowledge.")
        with reversion.create_revision():
            reversion.set_user(user)
            reversion.set_comment(note)
            fields = begin_edit(locked, user=user, comment=note)
            locked.save(update_fields=fields)
            ClaimEvidence.objects.update_or_create(
                answer=locked,
                claim_key=found.key,
                defaults={
                    "claim_text": found.text[:300],
                    "kind": kind,
                    "source": source,
                    "excerpt": excerpt,
                    "reason": reason if kind == ClaimEvidence.Kind.COMMON_KNOWLEDGE else "",
                    "settled_by": user,
                    "settled_at": timezone.now(),
                },
            )
        finish_edit(locked)
    _refresh_instance(answer, locked)
    return locked


def clear_claim(answer: Answer, *, user, claim: str, expected_version: int | None = None) -> Answer:
    """Take back how a claim was settled: it is asked for again. An edit, as settle_claim."""
    _own_revision()
    with transaction.atomic():
        locked = _locked(answer, expected_version)
        check_can_edit(locked, user)
        key = flags.claim_key(claim)
        evidence = locked.claim_evidence.filter(claim_key=key).first()
        if evidence is None:
            raise WorkflowError(f"“{claim}” has no evidence to clear.")
        note = f"Evidence for claim “{evidence.claim_text}” cleared"
        with reversion.create_revision():
            reversion.set_user(user)
            reversion.set_comment(note)
            fields = begin_edit(locked, user=user, comment=note)
            locked.save(update_fields=fields)
            evidence.delete()
        finish_edit(locked)
    _refresh_instance(answer, locked)
    return locked


def _claim_of(answer: Answer, claim: str) -> flags.Claim:
    """The claim of the answer's text now with this text (or key); refused if it is gone."""
    key = flags.claim_key(claim)
    for found in flags.find_claims(answer.text):
        if found.key == key:
            if len(found.key) > ClaimEvidence._meta.get_field("claim_key").max_length:
                raise WorkflowError(f"“{found.text[:60]}…” is too long to settle; shorten it.")
            return found
    raise WorkflowError(f"“{claim}” is not a claim of the answer's text (any more).")
