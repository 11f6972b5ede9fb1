"""The history's hash chain: every revision, with the rows written with it, sealed in order.

The idea of Certificate Transparency's append-only logs: each link carries a digest over the
previous link's digest and its own content, so history cannot be changed, removed, slipped
in or rebuilt without the chain showing where. `verify` (``manage.py verify_history``)
walks it and names the first row that does not fit; every export record carries the head
it was made at.

What a link seals. One link per reversion revision: the revision row, its versions (the
content of every object saved with it), the workflow events and the approvals written
with it. Every path writes them together in one transaction (reversion's create_revision,
the bulk import, approve_many), so the revision is the unit; a link per row would more
than double the rows an import writes. `rows` lists each row sealed as "kind id sha256",
the SHA-256 of its content (`content`), so a check can name the row that changed.

One chain, not one per table: an event, the version it describes and the revision that
carries them are sealed together, their order across tables is part of what is proven,
and an export record pins one head.

Keyed. The digest is an HMAC-SHA256 with a key derived from SECRET_KEY, not a plain hash:
whoever can write to the database (its owner, a superuser, a copy of a backup) could
otherwise truncate the history and rebuild a chain that fits whatever they wrote. Without
the key they cannot. A key rotated out stays usable for verifying from
SECRET_KEY_FALLBACKS; a database restored elsewhere verifies with the key it was sealed with.

When. A transaction's revisions are noted as they are written (`note`: reversion's
post_revision_commit signal for single saves, storage.versioning.create_revisions for the
bulk paths) and sealed just before it commits (storage.backends: Django's own database
backends with that one step), under a lock: on PostgreSQL an advisory transaction lock
held from the seal to the commit, milliseconds; SQLite has one writer already. Taking the
lock last, a transaction never waits for it while holding row locks that the lock's
holder could be waiting for (no deadlock), and links come in commit order.

What counts as a row's content (`content`): every column, by name, leaving out empty values
(None, "", [], {}) so that a column added later as nullable or empty leaves older rows
fitting (a history table's new column must be so, or a migration re-seals); times in UTC
ISO 8601, JSON with sorted keys; a version's content type by name, as a restore into
another database renumbers them.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import operator
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, Subquery
from django.utils import timezone

from editorial.storage.backends import PENDING as _PENDING
from editorial.storage.backends import WRITTEN as _WRITTEN

# pg_advisory_xact_lock's key for appending to the chain ("EDIT" in ASCII).
CHAIN_LOCK = 0x45444954
# Links read, written or checked at a time.
_BATCH = 500
# What the first link's "previous digest" is.
GENESIS = "0" * 64

# The kinds of rows a link seals: name, model, the column naming their revision.
KINDS = (
    ("revision", "reversion.Revision", "id"),
    ("version", "reversion.Version", "revision_id"),
    ("event", "editorial.WorkflowEvent", "revision_id"),
    ("approval", "editorial.ApprovedVersion", "revision_id"),
)
_ORDER = {name: index for index, (name, _, _) in enumerate(KINDS)}
_BY = {name: column for name, _, column in KINDS}
_KIND_OF = {label.lower(): name for name, label, _ in KINDS}
# What makes a row written in bulk unique in its revision (reversion's own unique
# constraint for versions; one event per answer and action in a bulk revision).
_WRITTEN_KEYS = {
    "version": ("revision_id", "content_type_id", "object_id", "db"),
    "event": ("revision_id", "answer_id", "action"),
}
# A column named otherwise in a row's content: a version's content type goes by name.
_NAMES = {"content_type_id": "content_type"}


@dataclass(frozen=True)
class Head:
    """The chain's last link: its position (0: no link yet) and digest."""

    position: int = 0
    digest: str = ""


# --- content and digests ------------------------------------------------------------


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"editorial.storage.chain", hashlib.sha256).digest()


def keys() -> list[bytes]:
    """The keys a link may be sealed with: SECRET_KEY's first (new links), then fallbacks'."""
    return [_key(settings.SECRET_KEY)] + [_key(old) for old in settings.SECRET_KEY_FALLBACKS]


# One encoder for every JSON value: json.dumps with options builds a new one per call.
_ENCODE = json.JSONEncoder(
    sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
).encode


def content(row: dict) -> bytes:
    """A row's content as hashed: its non-empty columns but the id, sorted by name, one a
    line as "name:length:value" (the length makes it unambiguous without escaping the
    value, which for a version's serialised JSON cost a quarter of an import's time).

    The id is left out: the link pairs it with the hash ("version 46 <sha256>"), and a row
    written in bulk is hashed as it is written, before its id is known.
    """
    names = sorted(name for name in row if name != "id")
    return _content(names, [row[name] for name in names])


def _content(names: list[str], values) -> bytes:
    """content() of values given in the order of their sorted names."""
    return "\n".join([part for part in map(_part, names, values) if part]).encode()


def _part(name: str, value) -> str:
    """One column's line of content(), or "" where it leaves the column out (empty)."""
    text = value if type(value) is str else _text(value)
    return f"{name}:{len(text)}:{text}" if text else ""


def _text(value) -> str:
    """A value as content() writes it; "" for an empty one, which it leaves out."""
    kind = type(value)
    if kind is str:
        return value
    if value is None:
        return ""
    if kind is int:
        return str(value)
    if kind is bool:
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return _ENCODE(value) if value else ""
    return str(value)


def digest(key: bytes, *, position: int, previous: str, revision_id, sealed_at, rows: str) -> str:
    """A link's digest: HMAC-SHA256 over the previous digest and everything the link holds."""
    message = "\n".join(
        [str(position), previous, str(revision_id or ""), _utc(sealed_at), rows]
    ).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat()


class Tables:
    """The history's tables, from an app registry (the migration's historical one, or the
    project's), read on one database."""

    def __init__(self, using: str = DEFAULT_DB_ALIAS, apps=global_apps) -> None:
        self.using = using
        self.models = {name: apps.get_model(label) for name, label, _ in KINDS}
        self.link = apps.get_model("editorial", "HistoryLink")
        self.answer = apps.get_model("editorial", "Answer")
        self._content_type = apps.get_model("contenttypes", "ContentType")
        self._content_types: dict[int, str] = {}

    def rows(self, kind: str):
        return self.models[kind]._base_manager.using(self.using)

    def leaves(self, kind: str, **where) -> Iterator[tuple[int | None, str, int, str]]:
        """(revision id, kind, id, SHA-256 of content) of the rows of one kind matching."""
        columns = sorted(
            f.attname for f in self.models[kind]._meta.concrete_fields if f.attname != "id"
        )
        names = [_NAMES.get(column, column) for column in columns]
        at_revision = columns.index(_BY[kind]) + 1 if kind != "revision" else 0
        at_type = columns.index("content_type_id") if "content_type_id" in columns else None
        rows = self.rows(kind).filter(**where).order_by("pk").values_list("id", *columns)
        sha256 = hashlib.sha256
        for pk, *values in rows.iterator(chunk_size=2000):
            if at_type is not None:
                values[at_type] = self.content_type_name(values[at_type])
            leaf = sha256(_content(names, values)).hexdigest()
            yield (pk if at_revision == 0 else values[at_revision - 1]), kind, pk, leaf

    def content_type_name(self, pk: int) -> str:
        """A content type as "app_label.model": a restore into another database renumbers
        content types, and a version's content must read the same after it."""
        if pk not in self._content_types:
            self._content_types = {
                pk: f"{app}.{model}"
                for pk, app, model in self._content_type.objects.using(self.using).values_list(
                    "pk", "app_label", "model"
                )
            }
        return self._content_types.get(pk, f"unknown {pk}")

    def of_revisions(
        self, revision_ids: list[int], written: dict | None = None
    ) -> dict[int, list[tuple[str, int, str]]]:
        """Each revision's rows, as a link lists them: (kind, id, sha256).

        Rows noted as written in bulk (`note_copies`) are finished from their hashes with
        the ids read back; every other row is read whole and hashed here.
        """
        found: dict[int, list[tuple[str, int, str]]] = defaultdict(list)
        for start in range(0, len(revision_ids), _BATCH):
            ids = revision_ids[start : start + _BATCH]
            for kind, _, column in KINDS:
                where = {f"{column}__in": ids}
                hashed = (written or {}).get(kind)
                if hashed:
                    read_whole = []
                    for pk, *key in self._keys(kind, ids):
                        leaf = hashed.get(tuple(key))
                        if leaf is None:
                            read_whole.append(pk)
                            continue
                        found[key[0]].append((kind, pk, leaf))
                    where = {"pk__in": read_whole}
                    if not read_whole:
                        continue
                for revision_id, name, pk, leaf in self.leaves(kind, **where):
                    found[revision_id].append((name, pk, leaf))
        return found

    def _keys(self, kind: str, revision_ids: list[int]) -> list[tuple]:
        """(id, *what makes it unique in its revision) of the revisions' rows of one kind.

        Plain SQL: integers and text only, and the ORM's per-row work was most of it.
        """
        meta = self.models[kind]._meta
        quote = connections[self.using].ops.quote_name
        columns = ", ".join(quote(c) for c in ("id", *_WRITTEN_KEYS[kind]))
        marks = ", ".join(["%s"] * len(revision_ids))
        sql = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {quote(_BY[kind])} IN ({marks})"
        with connections[self.using].cursor() as cursor:
            cursor.execute(sql, revision_ids)
            return cursor.fetchall()

    def head(self) -> Head:
        last = (
            self.link._base_manager.using(self.using)
            .order_by("-position")
            .values_list("position", "digest")
            .first()
        )
        return Head(*last) if last else Head()


def rows_text(rows: Iterable[tuple[str, int, str]]) -> str:
    return "\n".join(
        f"{kind} {pk} {leaf}" for kind, pk, leaf in sorted(rows, key=lambda r: (_ORDER[r[0]], r[1]))
    )


def _append(tables: Tables, groups: Iterable[tuple[int | None, str]]) -> int:
    """Append a link per (revision id, rows text) after the head; return how many."""
    head = tables.head()
    position, previous, key = head.position, head.digest or GENESIS, keys()[0]
    now = timezone.now()
    links = []
    for revision_id, rows in groups:
        position += 1
        previous = digest(
            key, position=position, previous=previous, revision_id=revision_id,
            sealed_at=now, rows=rows,
        )  # fmt: skip
        links.append(
            tables.link(
                position=position, revision_id=revision_id, rows=rows, sealed_at=now,
                digest=previous,
            )
        )  # fmt: skip
    tables.link._base_manager.using(tables.using).bulk_create(links, batch_size=_BATCH)
    return len(links)


# --- sealing -------------------------------------------------------------------------


def note(revision_ids: Iterable[int], using: str = DEFAULT_DB_ALIAS) -> None:
    """These revisions were written in the open transaction: seal them before it commits.

    Outside a transaction (autocommit) they are committed already, and sealed now.
    """
    connection = connections[using]
    pending = getattr(connection, _PENDING, None)
    if pending is None:
        pending = set()
        setattr(connection, _PENDING, pending)
    pending.update(revision_ids)
    if not connection.in_atomic_block and connection.get_autocommit():
        with transaction.atomic(using=using):
            seal(using)


def noted(sender, revision, versions, **kwargs) -> None:
    """reversion's post_revision_commit: a revision saved by create_revision."""
    note([revision.pk], using=revision._state.db or DEFAULT_DB_ALIAS)


def seal(using: str = DEFAULT_DB_ALIAS) -> int:
    """Link the revisions this connection's transaction wrote, now; return the links added.

    Done just before commit (storage.backends); tests call it where no commit comes.
    """
    return seal_on(connections[using])


def seal_on(connection) -> int:
    """seal() on this connection. Revisions rolled back with a savepoint are gone and
    skipped; a revision already linked is not linked twice."""
    pending = sorted(getattr(connection, _PENDING, None) or ())
    written = getattr(connection, _WRITTEN, None)
    setattr(connection, _PENDING, set())
    setattr(connection, _WRITTEN, {})
    if not pending:
        return 0
    if connection.vendor == "postgresql":
        # Held until this transaction ends: links are appended one transaction at a time.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
    tables = Tables(connection.alias)
    linked = set(
        tables.link._base_manager.using(connection.alias)
        .filter(revision_id__in=pending)
        .values_list("revision_id", flat=True)
    )
    rows = tables.of_revisions([pk for pk in pending if pk not in linked], written)
    return _append(tables, ((pk, rows_text(rows[pk])) for pk in sorted(rows)))


def note_copies(template, varying: Sequence[str], rows: Sequence[tuple], using: str) -> None:
    """Rows storage.bulk.insert_copies has just written: hash them now, from the values
    written, so that sealing need not read them back (at import, reading a file's versions
    back cost a tenth of its time); only their ids are read when they are sealed.

    Found again by what makes a row unique in its revision (_WRITTEN_KEYS); a row that is
    not (two alike), or of another kind, is read back whole instead.
    """
    meta = template._meta
    kind = _KIND_OF.get(meta.label_lower)
    if kind not in _WRITTEN_KEYS:
        return
    connection = connections[using]
    written = getattr(connection, _WRITTEN, None)
    if written is None:
        written = {}
        setattr(connection, _WRITTEN, written)
    hashed = written.setdefault(kind, {})
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    varies = {meta.get_field(name).attname: index for index, name in enumerate(varying)}
    columns = sorted(f.attname for f in fields)
    names = [_NAMES.get(column, column) for column in columns]
    # The template's columns are alike in every row: their lines are made once.
    lines = [
        _part(name, getattr(template, column)) for name, column in zip(names, columns, strict=True)
    ]
    picks = [
        (at, varies[column], names[at])
        for at, column in enumerate(columns)
        if column in varies and column != "content_type_id"
    ]
    # A version's content type goes by name; the names are found once per type.
    typed = [
        (at, varies[column], names[at])
        for at, column in enumerate(columns)
        if column in varies and column == "content_type_id"
    ]
    type_names = {
        pk: "{0.app_label}.{0.model}".format(ContentType.objects.db_manager(using).get_for_id(pk))
        for _, index, _ in typed
        for pk in {row[index] for row in rows}
    }
    key_columns = _WRITTEN_KEYS[kind]
    if all(column in varies for column in key_columns):
        key_of = operator.itemgetter(*[varies[column] for column in key_columns])
    else:
        fixed = [getattr(template, column) for column in key_columns]

        def key_of(row):
            return tuple(
                row[varies[column]] if column in varies else value
                for column, value in zip(key_columns, fixed, strict=True)
            )

    sha256 = hashlib.sha256
    for row in rows:
        own = lines.copy()
        for at, index, name in picks:
            own[at] = _part(name, row[index])
        for at, index, name in typed:
            own[at] = _part(name, type_names[row[index]])
        key = key_of(row)
        content = "\n".join([line for line in own if line]).encode()
        hashed[key] = None if key in hashed else sha256(content).hexdigest()


def seal_existing(apps, using: str) -> int:
    """A migration's work: link every revision not linked yet, in id order, then the rows
    that belong to no revision (older databases may hold some), a batch per link."""
    tables = Tables(using, apps)
    revisions = tables.models["revision"]._base_manager.using(using)
    unlinked = revisions.filter(
        ~Exists(tables.link._base_manager.filter(revision_id=OuterRef("pk")))
    ).order_by("pk")
    ids = list(unlinked.values_list("pk", flat=True))
    added = 0
    for start in range(0, len(ids), _BATCH * 2):
        chunk = ids[start : start + _BATCH * 2]
        rows = tables.of_revisions(chunk)
        added += _append(tables, ((pk, rows_text(rows[pk])) for pk in chunk if pk in rows))
    loose = [
        (kind, pk, leaf)
        for name in ("event", "approval")
        for _, kind, pk, leaf in tables.leaves(name, revision_id__isnull=True)
    ]
    for start in range(0, len(loose), _BATCH * 2):
        added += _append(tables, [(None, rows_text(loose[start : start + _BATCH * 2]))])
    return added


def head(using: str = DEFAULT_DB_ALIAS) -> Head:
    """The chain's last link as committed (or as this transaction sealed it)."""
    link = global_apps.get_model("editorial", "HistoryLink")
    last = link.objects.using(using).order_by("-position").values_list("position", "digest")
    found = last.first()
    return Head(*found) if found else Head()


# --- verifying -----------------------------------------------------------------------


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
