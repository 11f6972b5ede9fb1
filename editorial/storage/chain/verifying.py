"""Verifying: the chain walked link by link, naming the first row that does not fit
(see editorial.storage.chain)."""

from __future__ import annotations

import hmac
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, Subquery

from editorial.storage.chain.links import (
    _BATCH,
    _ORDER,
    GENESIS,
    KINDS,
    Head,
    Tables,
    digest,
    keys,
)


@dataclass
class Verification:
    """What verify found: the first row that does not fit (None: all fit) and the counts."""

    problem: str | None = None
    links: int = 0
    rows: dict[str, int] = field(default_factory=lambda: {name: 0 for name, _, _ in KINDS})
    exports: int = 0
    head: Head = field(default_factory=Head)


def verify(using: str = DEFAULT_DB_ALIAS, *, noted: Head | None = None) -> Verification:
    """Walk the chain from its first link; stop at the first row or link that does not fit.

    Then what no link seals: revisions, or rows of a revision no link seals, rows with no
    revision the chain never saw, answers without any history, an answer that names an
    approval other than its latest, and export records whose link the chain no longer has.
    `noted`: a head kept from an earlier run, which must still be in the chain (the chain
    alone cannot prove its own end: links cut from it leave a shorter chain that fits).
    On PostgreSQL it reads one snapshot; elsewhere rows sealed while it runs are ignored.
    """
    connection = connections[using]
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic(using=using):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            return _verify(Tables(using), noted)
    return _verify(Tables(using), noted)


def _verify(tables: Tables, noted: Head | None) -> Verification:
    found = Verification()
    exports = _export_heads(tables)
    found.exports = sum(len(records) for records in exports.values())
    if noted is not None and noted.position:
        exports[noted.position].append(("The head given was noted", noted.digest))
    loose_seen: set[tuple[str, int]] = set()
    links = tables.link._base_manager.using(tables.using).order_by("position")
    previous, expected = GENESIS, 1
    fields = ("position", "revision_id", "rows", "sealed_at", "digest")
    for batch in _batches(links.values_list(*fields).iterator(chunk_size=_BATCH)):
        problem, previous, expected = _check(
            tables, batch, previous, expected, found, exports, loose_seen
        )
        if problem:
            found.problem = problem
            return found
    found.head = Head(expected - 1, previous if expected > 1 else "")
    found.problem = (
        _beyond_the_head(exports, found.head)
        or _unsealed(tables, loose_seen)
        or _answers_without_history(tables)
        or _approval_not_latest(tables)
    )
    return found


def _batches(items: Iterator) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _named(rows: str) -> list[tuple[str, int, str]]:
    """The rows a link names: (kind, id, sha256)."""
    return [
        (kind, int(pk), leaf) for kind, pk, leaf in (line.split(" ") for line in rows.splitlines())
    ]


def _export_heads(tables: Tables) -> dict[int, list[tuple[str, str]]]:
    """The heads export records carry, by position: ("Export record N was made", digest)."""
    export_model = global_apps.get_model("editorial", "ExportRecord")
    heads: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, position, value in (
        export_model.objects.using(tables.using)
        .filter(chain_position__isnull=False, chain_position__gt=0)
        .values_list("pk", "chain_position", "chain_digest")
    ):
        heads[position].append((f"Export record {pk} was made", value))
    return heads


def _check(tables, batch, previous, expected, found, exports, loose_seen):
    """Check a batch of links in order; return (first problem or None, digest, next position)."""
    revision_ids = [revision_id for _, revision_id, _, _, _ in batch if revision_id is not None]
    actual = tables.of_revisions(revision_ids)
    loose = _loose_rows(
        tables,
        [(kind, pk) for _, revision_id, rows, _, _ in batch if revision_id is None
         for kind, pk, _ in _named(rows)],
    )  # fmt: skip
    all_keys = keys()
    for position, revision_id, rows, sealed_at, stored in batch:
        if position != expected:
            what = (
                f"links {expected} to {position - 1} are missing (deleted)"
                if position > expected
                else f"link {position} appears twice"
            )
            return f"The chain breaks after link {expected - 1}: {what}.", previous, expected
        if not any(
            hmac.compare_digest(
                stored,
                digest(key, position=position, previous=previous, revision_id=revision_id,
                       sealed_at=sealed_at, rows=rows),
            )
            for key in all_keys
        ):  # fmt: skip
            return (
                f"Link {position}{_of(revision_id)} does not fit the chain: its digest is not "
                "what the link before it and its own rows give under this deployment's key "
                "(SECRET_KEY or SECRET_KEY_FALLBACKS). The link was rewritten, or the chain "
                "was rebuilt or sealed with another key.",
                previous,
                expected,
            )
        named = _named(rows)
        if revision_id is None:
            present = {(kind, pk): loose[kind, pk] for kind, pk, _ in named if (kind, pk) in loose}
            loose_seen.update((kind, pk) for kind, pk, _ in named)
        else:
            present = {(kind, pk): leaf for kind, pk, leaf in actual.get(revision_id, [])}
        problem = _rows_fit(tables, position, revision_id, named, present)
        if problem:
            return problem, previous, expected
        for noted, value in exports.get(position, []):
            if not hmac.compare_digest(value, stored):
                return (
                    f"{noted} at link {position}, whose digest was then {value[:16]}…; the "
                    f"chain's link {position} now has {stored[:16]}…: the history up to it "
                    "was rebuilt.",
                    previous,
                    expected,
                )
        for kind, _, _ in named:
            found.rows[kind] += 1
        found.links += 1
        previous, expected = stored, expected + 1
    return None, previous, expected


def _of(revision_id) -> str:
    return f" (revision {revision_id})" if revision_id is not None else ""


def _rows_fit(tables, position, revision_id, named, present) -> str | None:
    """The rows a link names against those the database holds for it; the first misfit."""
    sealed = f"sealed in link {position}{_of(revision_id)}"
    names = set()
    for kind, pk, leaf in named:
        names.add((kind, pk))
        now = present.get((kind, pk))
        if now is None:
            elsewhere = tables.models[kind]._base_manager.using(tables.using).filter(pk=pk)
            if elsewhere.exists():
                return f"{kind.capitalize()} {pk}, {sealed}, was changed: it now belongs elsewhere."
            return f"{kind.capitalize()} {pk}, {sealed}, is missing: it was deleted."
        if now != leaf:
            return f"{kind.capitalize()} {pk}, {sealed}, was changed after it was sealed."
    extra = sorted((key for key in present if key not in names), key=lambda k: (_ORDER[k[0]], k[1]))
    if extra:
        kind, pk = extra[0]
        return (
            f"{kind.capitalize()} {pk} was added to revision {revision_id} after it was {sealed}."
        )
    return None


def _loose_rows(tables, named) -> dict[tuple[str, int], str]:
    by_kind = defaultdict(list)
    for kind, pk in named:
        by_kind[kind].append(pk)
    return {
        (kind, pk): leaf
        for name, ids in by_kind.items()
        for _, kind, pk, leaf in tables.leaves(name, pk__in=ids, revision_id__isnull=True)
    }


def _beyond_the_head(exports, last: Head) -> str | None:
    beyond = sorted(position for position in exports if position > last.position)
    if beyond:
        noted = exports[beyond[0]][0][0]
        return (
            f"{noted} at link {beyond[0]}, but the chain ends at link {last.position}: links "
            "were removed from its end."
        )
    return None


def _unsealed(tables, loose_seen) -> str | None:
    """The first row no link seals: a revision, a row of an unsealed revision, a loose row."""
    link = tables.link._base_manager.using(tables.using)
    for name, _, column in KINDS:
        rows = tables.models[name]._base_manager.using(tables.using)
        unsealed = rows.filter(~Exists(link.filter(revision_id=OuterRef(column)))).exclude(
            **{f"{column}__isnull": True}
        )
        first = unsealed.order_by("pk").values_list("pk", column).first()
        if first:
            pk, revision_id = first
            where = f" (revision {revision_id})" if name != "revision" else ""
            return (
                f"{name.capitalize()} {pk}{where} is in no link of the chain: it was written "
                "around the app (inserted by hand), or its link was removed."
            )
    for name in ("event", "approval"):
        rows = tables.models[name]._base_manager.using(tables.using)
        for pk in rows.filter(revision_id__isnull=True).order_by("pk").values_list("pk", flat=True):
            if (name, pk) not in loose_seen:
                return (
                    f"{name.capitalize()} {pk} belongs to no revision and is in no link of the "
                    "chain: it was inserted by hand."
                )
    return None


def _answers_without_history(tables) -> str | None:
    events = tables.models["event"]._base_manager.using(tables.using)
    bare = (
        tables.answer._base_manager.using(tables.using)
        .filter(~Exists(events.filter(answer_id=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if bare is not None:
        return f"Answer {bare} has no history at all, not even its import: its events were removed."
    return None


def _approval_not_latest(tables) -> str | None:
    """The first answer naming an approval other than its latest (or none, having some).

    Over the approved answers only, each latest found through the index of approvals by
    answer (an aggregate: ORDER BY id DESC LIMIT 1 walked every approval per answer).
    """
    approvals = tables.models["approval"]._base_manager.using(tables.using)
    latest = (
        approvals.filter(answer_id=OuterRef("pk"))
        .values("answer_id")
        .annotate(latest=Max("pk"))
        .values("latest")
    )
    wrong = (
        tables.answer._base_manager.using(tables.using)
        .filter(pk__in=approvals.values("answer_id"))
        .annotate(latest=Subquery(latest))
        .filter(
            Q(approved__isnull=True)
            | Q(approved_id__lt=F("latest"))
            | Q(approved_id__gt=F("latest"))
        )
        .order_by("pk")
        .values_list("pk", "approved_id", "latest")
        .first()
    )
    if wrong is not None:
        pk, named, latest_id = wrong
        return (
            f"Answer {pk} names approval {named} as its current one, but its latest approval "
            f"is {latest_id}: what it exports was switched outside the workflow."
        )
    return None
