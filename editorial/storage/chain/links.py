"""What a link is: a row's content, a link's keyed digest, the history's tables read
and a link appended after the head (see editorial.storage.chain)."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.apps import apps as global_apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

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
REVISION_COLUMN = {name: column for name, _, column in KINDS}
_KIND_OF = {label.lower(): name for name, label, _ in KINDS}
# What makes a row written in bulk unique in its revision (reversion's own unique
# constraint for versions; one event per answer and action in a bulk revision).
_WRITTEN_KEYS = {
    "version": ("revision_id", "content_type_id", "object_id", "db"),
    "event": ("revision_id", "answer_id", "action"),
}
# What note_copies keeps rows written with their ids under: (kind, NUMBERED).
NUMBERED = "numbered"
# A column named otherwise in a row's content: a version's content type goes by name.
_NAMES = {"content_type_id": "content_type"}


@dataclass(frozen=True)
class Head:
    """The chain's last link: its position (0: no link yet) and digest."""

    position: int = 0
    digest: str = ""


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
        at_revision = columns.index(REVISION_COLUMN[kind]) + 1 if kind != "revision" else 0
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
        self,
        revision_ids: list[int],
        written: dict | None = None,
        *,
        report: Callable[[str], None] | None = None,
    ) -> dict[int, list[tuple[str, int, str]]]:
        """Each revision's rows, as a link lists them: (kind, id, sha256).

        Rows noted as written in bulk (`note_copies`) are finished from their hashes: with
        their ids where they were written with them and are all of their revision's rows of
        that kind, else with the ids read back; every other row is read whole and hashed
        here. `report` hears each kind as it is read.
        """
        found: dict[int, list[tuple[str, int, str]]] = defaultdict(list)
        for start in range(0, len(revision_ids), _BATCH):
            ids = revision_ids[start : start + _BATCH]
            for kind, _, column in KINDS:
                if report is not None:
                    report(f"reading the {kind} rows of {len(revision_ids):,} revisions")
                wanted = ids
                numbered = (written or {}).get((kind, NUMBERED))
                if numbered:
                    wanted = self._found_numbered(kind, ids, numbered, found)
                    if not wanted:
                        continue
                where = {f"{column}__in": wanted}
                hashed = (written or {}).get(kind)
                if hashed:
                    read_whole = []
                    leaf_of = hashed.get
                    for row in self._keys(kind, wanted):  # (id, revision id, …the rest of the key)
                        leaf = leaf_of(row[1:])
                        if leaf is None:
                            read_whole.append(row[0])
                            continue
                        found[row[1]].append((kind, row[0], leaf))
                    where = {"pk__in": read_whole}
                    if not read_whole:
                        continue
                for revision_id, name, pk, leaf in self.leaves(kind, **where):
                    found[revision_id].append((name, pk, leaf))
        return found

    def _found_numbered(
        self, kind: str, revision_ids: list[int], numbered: dict, found: dict
    ) -> list[int]:
        """The rows of one kind written with their ids (note_copies), added to `found` for
        each revision whose rows they are all of (as many, their ids adding up alike); the
        revisions left to read."""
        column = connections[self.using].ops.quote_name(REVISION_COLUMN[kind])
        counted = self._of_revisions(
            kind, f"{column}, count(*), sum(id)", revision_ids, then=f"GROUP BY {column}"
        )
        stored = {revision_id: (count, total) for revision_id, count, total in counted}
        left = []
        for revision_id in revision_ids:
            rows = numbered.get(revision_id)
            if rows and stored.get(revision_id) == (len(rows), sum(pk for pk, _ in rows)):
                found[revision_id].extend((kind, pk, leaf) for pk, leaf in rows)
            elif revision_id in stored:
                left.append(revision_id)
        return left

    def _keys(self, kind: str, revision_ids: list[int]) -> list[tuple]:
        """(id, *what makes it unique in its revision) of the revisions' rows of one kind.

        Plain SQL: integers and text only, and the ORM's per-row work was most of it.
        """
        quote = connections[self.using].ops.quote_name
        columns = ", ".join(quote(c) for c in ("id", *_WRITTEN_KEYS[kind]))
        return self._of_revisions(kind, columns, revision_ids)

    def _of_revisions(
        self, kind: str, select: str, revision_ids: list[int], *, then: str = ""
    ) -> list[tuple]:
        """SELECT `select` from the revisions' rows of one kind (`then` after the WHERE)."""
        quote = connections[self.using].ops.quote_name
        table = quote(self.models[kind]._meta.db_table)
        revision = quote(REVISION_COLUMN[kind])
        marks = ", ".join(["%s"] * len(revision_ids))
        with connections[self.using].cursor() as cursor:
            cursor.execute(
                f"SELECT {select} FROM {table} WHERE {revision} IN ({marks}) {then}",
                revision_ids,
            )
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
