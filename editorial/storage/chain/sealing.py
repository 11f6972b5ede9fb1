"""Sealing: the revisions a transaction wrote, noted as written and linked just before it
commits; the existing history linked by a migration (see editorial.storage.chain)."""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence

from django.apps import apps as global_apps
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce

from editorial.storage.backends import PENDING as _PENDING
from editorial.storage.backends import WRITTEN as _WRITTEN
from editorial.storage.chain.links import (
    _BATCH,
    _KIND_OF,
    _NAMES,
    _WRITTEN_KEYS,
    CHAIN_LOCK,
    NUMBERED,
    REVISION_COLUMN,
    Head,
    Tables,
    _append,
    _part,
    _text,
    rows_text,
)


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


def seal(using: str = DEFAULT_DB_ALIAS, *, report: Callable[[str], None] | None = None) -> int:
    """Link the revisions this connection's transaction wrote, now; return the links added.

    Done just before commit (storage.backends); tests call it where no commit comes, and
    a long import job just before its commit, so that `report` can say how far it has got
    (sealing a 119,000-answer file reads and hashes 240,000 rows' keys: seconds).
    """
    return seal_on(connections[using], report=report)


def seal_on(connection, *, report: Callable[[str], None] | None = None) -> int:
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
    rows = tables.of_revisions([pk for pk in pending if pk not in linked], written, report=report)
    if report is not None:
        report(f"linking {sum(map(len, rows.values())):,} rows into the history")
    texts = [(pk, rows_text(rows[pk])) for pk in sorted(rows)]
    if report is not None:
        report(f"writing {len(texts):,} links of the history")
    return _append(tables, texts)


def note_copies(template, varying: Sequence[str], rows: Sequence[tuple], using: str) -> None:
    """Rows storage.bulk.insert_copies has just written: hash them now, from the values
    written, so that sealing need not read them back (at import, reading a file's versions
    back cost a tenth of its time).

    Rows that bring their ids (storage.bulk.numbered) are kept by revision with them:
    sealing only counts each revision's rows to know that these are all of them (reading
    40,000 rows' ids and keys back was 3 % of an import's time). Others are found again by
    what makes a row unique in its revision (_WRITTEN_KEYS), their ids read back; a row
    that is not (two alike), or of another kind, is read back whole instead.
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
    varies = {meta.get_field(name).attname: index for index, name in enumerate(varying)}
    leaves = _leaves(template, varies, rows, using)
    if "id" in varies:
        numbered = written.setdefault((kind, NUMBERED), {})
        id_of, revision_of = (
            _column_of(template, varies, ["id"]),
            _column_of(template, varies, [REVISION_COLUMN[kind]]),
        )
        for row, leaf in zip(rows, leaves, strict=True):
            numbered.setdefault(revision_of(row), []).append((id_of(row), leaf))
        return
    hashed = written.setdefault(kind, {})
    key_of = _column_of(template, varies, _WRITTEN_KEYS[kind])
    for row, leaf in zip(rows, leaves, strict=True):
        key = key_of(row)
        hashed[key] = None if key in hashed else leaf


def _column_of(template, varies: dict[str, int], columns: Sequence[str]) -> Callable:
    """A row's value of these columns (one: the value; more: a tuple), from the row where it
    varies, else the template's."""
    if all(column in varies for column in columns):
        return operator.itemgetter(*[varies[column] for column in columns])
    fixed = [getattr(template, column) for column in columns]

    def value_of(row):
        values = tuple(
            row[varies[column]] if column in varies else value
            for column, value in zip(columns, fixed, strict=True)
        )
        return values[0] if len(values) == 1 else values

    return value_of


def _leaves(template, varies: dict[str, int], rows: Sequence[tuple], using: str) -> Iterator[str]:
    """Each row's SHA-256 of content(), made from the template and the row's values."""
    meta = template._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
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
    sha256 = hashlib.sha256
    # _part() inlined: a call per column and row was a third of this loop's time.
    picks = [(at, index, f"{name}:") for at, index, name in picks]
    typed_lines = {
        (at, pk): _part(name, type_name)
        for at, index, name in typed
        for pk, type_name in type_names.items()
    }
    for row in rows:
        own = lines.copy()
        for at, index, prefix in picks:
            value = row[index]
            text = value if type(value) is str else _text(value)
            own[at] = f"{prefix}{len(text)}:{text}" if text else ""
        for at, index, _ in typed:
            own[at] = typed_lines[at, row[index]]
        yield sha256("\n".join([line for line in own if line]).encode()).hexdigest()


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
    return Tables(using).head()


def head_position() -> Coalesce:
    """head().position as an expression (0: no link yet), to read it in the same statement as
    something else: the read API reads it with the request's key, so a revalidation costs
    one query."""
    link = global_apps.get_model("editorial", "HistoryLink")
    last = link._base_manager.order_by("-position").values("position")[:1]
    return Coalesce(Subquery(last), 0)
