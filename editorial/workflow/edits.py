"""The one edit path: every change of an answer's content goes through `editing()`.

Content is the question, the answer text, the sources and the claim evidence. An edit is
taken from the version the person's page showed, on the row locked, only where and by
whom editing is allowed; it makes one new version (a revision with the user and comment)
and one event; editing an approved answer returns it to draft while its approved version
stays pinned for export; the quality flags are computed again afterwards. `edit`,
`revert`, `settle_claims` (and `settle_claim`, its one-claim case), `clear_claim` and the admin's
save are each a few lines inside it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import reversion
from django.db import transaction
from django.utils import timezone
from reversion.models import Version

from editorial import flags
from editorial.models import Answer, ClaimEvidence, Source, Status, WorkflowEvent
from editorial.storage import events
from editorial.workflow.errors import WorkflowError
from editorial.workflow.guards import check_can_edit
from editorial.workflow.saving import (
    bump_version,
    check_version,
    locked,
    own_revision,
    refresh_instance,
)
from editorial.workflow.versions import version_sources

Action = WorkflowEvent.Action


@dataclass
class Edit:
    """An edit under way: change `answer` (the row, locked) and the objects that follow it.

    `comment` is what the event log and the revision say; `revision_comment`, if set,
    replaces it in the revision only (the admin records its change message there).
    """

    answer: Answer
    comment: str
    revision_comment: str = ""


@contextmanager
def editing(
    answer: Answer,
    *,
    user,
    comment: str = "",
    action: str = Action.EDIT,
    expected_version: int | None = None,
    expected_status: str | None = None,
) -> Iterator[Edit]:
    """Change the answer's content inside the block, under the workflow's rules.

    Refused (WorkflowError, nothing written) from a page that showed another version or
    state, or where the user may not edit. The block changes `edit.answer`'s question and
    text and saves sources or claim evidence; on leaving it the content, the new version
    and the event are saved in one revision, and the flags refreshed. Only the content and
    what the edit rule itself changes are written, never a stale status, editor or reviewer.
    """
    own_revision()
    with transaction.atomic():
        row = locked(answer, expected_version)
        check_version(row, None, expected_status)
        check_can_edit(row, user)
        edit = Edit(row, comment)
        with reversion.create_revision():
            reversion.set_user(user)
            # The answer and what follows it (sources, evidence) as the edit found them; what
            # the block saves replaces its own entries (what it deletes is left out).
            reversion.add_to_revision(row)
            yield edit
            from_status = row.status
            fields = ["question", "text", "version", "updated_at"]
            if row.editor_id is None:
                row.editor = user
                fields.append("editor")
            if row.status == Status.APPROVED:
                row.status = Status.DRAFT  # the approved version stays the exported one
                fields.append("status")
            bump_version(row)
            row.save(update_fields=fields)
            entry = events.Entry(row.pk, action, from_status, row.status, edit.comment)
            events.log([entry], actor=user)
            reversion.set_comment(edit.revision_comment or edit.comment or "Edited")
        flags.refresh_flags([row.pk])
        row.refresh_from_db(fields=["flags", "flag_level", "text_fingerprint"])
    refresh_instance(answer, row)


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
    with editing(answer, user=user, comment=comment, expected_version=expected_version) as done:
        if question is not None:
            done.answer.question = question
        if text is not None:
            done.answer.text = text
        done.answer.full_clean(exclude=["document", "editor", "reviewer"])
        if sources is not None:
            replace_sources(done.answer, sources)
    return done.answer


def replace_sources(answer: Answer, sources: list[dict]) -> None:
    answer.sources.all().delete()
    for values in sources:
        source = Source(answer=answer, **values)
        source.full_clean(exclude=["answer"])
        source.save()


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
    with editing(
        answer, user=user, comment=note, action=Action.REVERT, expected_version=expected_version
    ) as done:
        done.answer.question, done.answer.text = fields["question"], fields["text"]
        replace_sources(done.answer, old_sources)
    return done.answer


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
    """Link one claim of the answer's text to one of its sources with the quoted excerpt, or
    mark it common knowledge with a reason: settle_claims with one claim."""
    return settle_claims(
        answer,
        user=user,
        claims=[claim],
        kind=kind,
        source_id=source_id,
        excerpt=excerpt,
        reason=reason,
        expected_version=expected_version,
    )


_OVERRIDE_FIELDS = frozenset({"kind", "source_id", "excerpt", "reason"})


def settle_claims(
    answer: Answer,
    *,
    user,
    claims: Sequence[str],
    kind: str,
    source_id: int | None = None,
    excerpt: str = "",
    reason: str = "",
    overrides: Mapping[str, dict] | None = None,
    expected_version: int | None = None,
) -> Answer:
    """Settle several claims (a sentence's) in one edit: each linked to one of the answer's
    sources with the quoted excerpt, or marked common knowledge with a reason; `overrides`
    (by claim, its text or key) settles a claim differently (any of kind, source_id,
    excerpt, reason).

    Evidence is content (it says why the text may be trusted), so this is an edit like any
    other: only where and by whom editing is allowed, from the version the page showed, one
    new version with its own revision and one event whatever the number of claims, and
    four-eyes counts it. A refusal of any claim writes nothing.
    """
    overrides = dict(overrides or {})
    for name, fields in overrides.items():
        unknown = set(fields) - _OVERRIDE_FIELDS
        if unknown:
            raise ValueError(f"Unknown override for {name!r}: {sorted(unknown)}")
    if not claims:
        raise WorkflowError("Choose the claims to settle.")
    with editing(answer, user=user, expected_version=expected_version) as done:
        # An override names its claim as the claims do: by any form the text writes it in.
        own = {claim_of(done.answer, name).key: fields for name, fields in overrides.items()}
        settled: dict[str, tuple] = {}
        for name in claims:
            found = claim_of(done.answer, name)
            fields = {"kind": kind, "source_id": source_id, "excerpt": excerpt, "reason": reason}
            fields.update(own.get(found.key, {}))
            settled[found.key] = (found, _evidence(done.answer, found, **fields))
        for found, values in settled.values():
            ClaimEvidence.objects.update_or_create(
                answer=done.answer,
                claim_key=found.key,
                defaults={
                    **values,
                    "claim_text": found.text[:300],
                    "settled_by": user,
                    "settled_at": timezone.now(),
                },
            )
        done.comment = _settled_note(list(settled.values()))
    return done.answer


def _evidence(answer: Answer, found: flags.Claim, *, kind, source_id, excerpt, reason) -> dict:
    """The evidence fields for one claim, or the refusal that says what is missing."""
    excerpt, reason = (excerpt or "").strip(), (reason or "").strip()
    if kind == ClaimEvidence.Kind.SOURCE:
        # Only a source of this answer: the evidence must be what this text cites.
        source = answer.sources.filter(pk=source_id).first() if source_id else None
        if source is None:
            raise WorkflowError(f"Choose one of this answer's sources for “{found.text}”.")
        if not excerpt:
            raise WorkflowError(f"Quote the excerpt of “{source}” that supports “{found.text}”.")
        return {"kind": kind, "source": source, "excerpt": excerpt, "reason": ""}
    if kind == ClaimEvidence.Kind.COMMON_KNOWLEDGE:
        if not reason:
            raise WorkflowError(f"Say why “{found.text}” is common knowledge.")
        return {"kind": kind, "source": None, "excerpt": "", "reason": reason}
    raise WorkflowError("Link the claim to a source or mark it common knowledge.")


def _settled_note(settled: list[tuple]) -> str:
    """What the event log says: "Claim “2004” linked to “RMV”", or for several claims each
    way of settling once ("Claims “A”, “B” linked to “RMV”; “C” marked common knowledge: …")."""
    ways: dict[tuple, list[str]] = {}
    for found, values in settled:
        how = (values["kind"], values["source"], values["reason"])
        ways.setdefault(how, []).append(f"“{found.text}”")
    parts = []
    for (kind, source, reason), names in ways.items():
        done = (
            f"linked to “{source}”"
            if kind == ClaimEvidence.Kind.SOURCE
            else (f"marked common knowledge: {reason}")
        )
        parts.append(f"{', '.join(names)} {done}")
    return ("Claim " if len(settled) == 1 else "Claims ") + "; ".join(parts)


def clear_claim(answer: Answer, *, user, claim: str, expected_version: int | None = None) -> Answer:
    """Take back how a claim was settled: it is asked for again. An edit, as settle_claim."""
    with editing(answer, user=user, expected_version=expected_version) as done:
        key = flags.claim_key(claim)
        evidence = done.answer.claim_evidence.filter(claim_key=key).first()
        if evidence is None:
            raise WorkflowError(f"“{claim}” has no evidence to clear.")
        done.comment = f"Evidence for claim “{evidence.claim_text}” cleared"
        evidence.delete()
    return done.answer


def claim_of(answer: Answer, claim: str) -> flags.Claim:
    """The claim of the answer's text now with this text or key, or named this way somewhere
    in it ("ICE" for "Immigration and Customs Enforcement (ICE)"); refused if it is gone."""
    key = flags.claim_key(claim)
    claims = flags.find_claims(answer.text)
    found = next((c for c in claims if c.key == key), None) or next(
        (c for c in claims if key in c.names), None
    )
    if found is None:
        raise WorkflowError(f"“{claim}” is not a claim of the answer's text (any more).")
    if len(found.key) > ClaimEvidence._meta.get_field("claim_key").max_length:
        raise WorkflowError(f"“{found.text[:60]}…” is too long to settle; shorten it.")
    return found
