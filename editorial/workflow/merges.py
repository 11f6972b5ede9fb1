"""Merges instead of refusals: an edit from a stale page, and a re-import beside staff work.

A save from a page that showed an older version is merged three-way (editorial.diffs.merge):
base = the version the page showed (from its history), theirs = what is stored, yours = what
was typed. A waiting re-import is merged the same way: base = the previous import, theirs =
the new import, yours = the edited text. Edits to different passages merge; a passage both
sides changed is saved only with a choice made for it (ChoiceNeeded otherwise), and the
result is saved through the one edit path (`editing()`) as one version whose comment names
both sides. Nothing here guesses: a merge whose stored side moved meanwhile is refused
(StaleVersionError) so that the person sees it merged again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction

from editorial import diffs
from editorial.diffs import ContentMerge, Snapshot
from editorial.models import Answer, Source
from editorial.workflow.edits import editing
from editorial.workflow.errors import ChoiceNeeded, StaleVersionError, WorkflowError
from editorial.workflow.guards import check_can_edit
from editorial.workflow.saving import check_version, locked, own_revision, refresh_instance
from editorial.workflow.transitions import mark_import_merged
from editorial.workflow.versions import numbered_version, version_sources

# What a source holds, as a merge compares and saves it (its id only says which row it was).
SOURCE_FIELDS = ("url", "title", "publisher", "accessed_on", "excerpt")
# What the log and the history say of a merge: both versions it joined.
MERGE_COMMENT = "Merged version {stored} (stored) with the edit made from version {loaded}"
REIMPORT_COMMENT = "Merged the new import of {document} with the edited version {version}"


@dataclass(frozen=True)
class Merged:
    """A merge that went through: the answer as stored after it, and whether it saved a
    version (choosing the stored text everywhere changes nothing)."""

    answer: Answer
    saved: bool
    comment: str


def source_values(source: Source | Mapping) -> dict:
    """A source as the merge handles it: its id and the fields that are its content."""
    if isinstance(source, Source):
        return {"id": source.pk, **{name: getattr(source, name) for name in SOURCE_FIELDS}}
    return {"id": source.get("id"), **{name: source.get(name) for name in SOURCE_FIELDS}}


def stored_content(answer: Answer) -> Snapshot:
    """The answer's content as stored now."""
    return Snapshot(
        question=answer.question,
        text=answer.text,
        sources=tuple(source_values(source) for source in answer.sources.order_by("id")),
        label=f"version {answer.version} (stored)",
    )


def version_content(answer: Answer, number: int) -> Snapshot | None:
    """The answer's content in the version with this number, from its history."""
    version = numbered_version(answer, number)
    if version is None:
        return None
    fields = version.field_dict
    return Snapshot(
        question=fields["question"],
        text=fields["text"],
        sources=tuple(source_values(source) for source in version_sources(version)),
        label=f"version {number}",
    )


def stale_merge(answer: Answer, *, base_version: int, yours: Snapshot) -> ContentMerge:
    """What typing on a page of `base_version` gives merged with the answer as stored."""
    base = version_content(answer, base_version)
    if base is None:
        raise WorkflowError(
            f"Version {base_version} is not in this answer's history, so nothing can be "
            "merged with it; nothing was saved."
        )
    return diffs.merge_content(base, stored_content(answer), yours)


def import_merge(answer: Answer) -> ContentMerge:
    """The waiting re-import merged with the edited text (sources are not imported)."""
    imported = Snapshot(answer.imported_question, answer.imported_text, label="previous import")
    incoming = Snapshot(
        question=_or(answer.incoming_question, answer.imported_question),
        text=_or(answer.incoming_text, answer.imported_text),
        label="new import",
    )
    edited = Snapshot(answer.question, answer.text, label=f"version {answer.version}")
    return diffs.merge_content(imported, incoming, edited, with_sources=False)


def incoming_digest(answer: Answer) -> str:
    """Names the waiting re-import, so that a page merging it is refused if another came."""
    waiting = f"{answer.incoming_question}\x00{answer.incoming_text}".encode()
    return hashlib.sha256(waiting).hexdigest()[:16]


def merge_edit(
    answer: Answer,
    *,
    user,
    base_version: int,
    yours: Snapshot,
    choices: Mapping[str, str],
    expected_version: int,
    expected_status: str | None = None,
    comment: str = "",
) -> Merged:
    """Save an edit typed on a page of `base_version` merged with the stored version
    `expected_version`, with a choice for each passage both changed.

    Refused (StaleVersionError) if the stored version is no longer `expected_version` (or
    its state no longer `expected_status`): the merge shown was with another text.
    """
    own_revision()
    with transaction.atomic():
        row = locked(answer, expected_version)
        check_version(row, None, expected_status)
        check_can_edit(row, user)
        merge = stale_merge(row, base_version=base_version, yours=yours)
        merged = _resolved(merge, choices)
        note = MERGE_COMMENT.format(stored=row.version, loaded=base_version)
        note = f"{note}: {comment.strip()}" if comment.strip() else note
        if not _changes(merge.theirs, merged):
            return Merged(row, saved=False, comment=note)
        with editing(row, user=user, comment=note, expected_version=row.version) as done:
            done.answer.question, done.answer.text = merged.question, merged.text
            done.answer.full_clean(exclude=["document", "editor", "reviewer"])
            if diffs.sources_text(merged.sources) != diffs.sources_text(merge.theirs.sources):
                sync_sources(done.answer, merged.sources)
    refresh_instance(answer, row)
    return Merged(row, saved=True, comment=note)


def merge_reimport(
    answer: Answer,
    *,
    user,
    choices: Mapping[str, str],
    expected_version: int,
    incoming: str,
    comment: str = "",
) -> Merged:
    """Resolve a waiting re-import: the merged text as an edit (if it changes anything) and
    the new import as the imported baseline, in one transaction.

    Refused (StaleVersionError) if the answer was edited since the merge was shown, or
    another re-import (`incoming`, see incoming_digest) came meanwhile.
    """
    own_revision()
    with transaction.atomic():
        row = locked(answer, expected_version)
        check_can_edit(row, user)
        if not row.has_import_conflict:
            raise WorkflowError("No re-import is waiting to be merged.")
        if incoming_digest(row) != incoming:
            raise StaleVersionError(
                loaded=expected_version,
                current=row.version,
                message="Another import of this answer arrived while you were merging; "
                "nothing was saved.",
            )
        merged = _resolved(import_merge(row), choices)
        note = REIMPORT_COMMENT.format(document=row.document.label, version=row.version)
        note = f"{note}: {comment.strip()}" if comment.strip() else note
        saved = (merged.question, merged.text) != (row.question, row.text)
        if saved:
            with editing(row, user=user, comment=note, expected_version=row.version) as done:
                done.answer.question, done.answer.text = merged.question, merged.text
                done.answer.full_clean(exclude=["document", "editor", "reviewer"])
        mark_import_merged(row, user, comment=note, expected_version=row.version)
    refresh_instance(answer, row)
    return Merged(row, saved=saved, comment=note)


def sync_sources(answer: Answer, wanted: Sequence[Mapping]) -> None:
    """Make the answer's sources the wanted list. A source still wanted stays the same row
    (by its id), so the claims linked to it stay linked; the others are removed."""
    stored = {source.pk: source for source in answer.sources.all()}
    kept: set[int] = set()
    for values in wanted:
        source = stored.get(values.get("id"))
        if source is None or source.pk in kept:
            source = Source(answer=answer)
        for name in SOURCE_FIELDS:
            setattr(source, name, values.get(name) or (None if name == "accessed_on" else ""))
        source.full_clean(exclude=["answer"])
        source.save()
        kept.add(source.pk)
    answer.sources.exclude(pk__in=kept).delete()


def _resolved(merge: ContentMerge, choices: Mapping[str, str]) -> Snapshot:
    try:
        return merge.resolve(choices)
    except diffs.MissingChoices as missing:
        raise ChoiceNeeded(missing.names) from None


def _changes(stored: Snapshot, merged: Snapshot) -> bool:
    return (merged.question, merged.text, diffs.sources_text(merged.sources)) != (
        stored.question,
        stored.text,
        diffs.sources_text(stored.sources),
    )


def _or(value: str | None, otherwise: str) -> str:
    return otherwise if value is None else value
