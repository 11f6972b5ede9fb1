"""Backup and restore of the whole editorial record, into a fresh database.

A backup is one JSON file: a header (format, when, row counts) and, per model, its rows
as Django's serializer writes them. Rows keep their ids, because versions refer to
answers, sources, documents and users by id inside their serialised data; what differs
between databases (content types, permissions, groups) is written by natural key, so a
freshly migrated database takes the file whatever ids it gave those.

Restoring only inserts, so the history guard (migration 0007) stays on throughout.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from itertools import islice
from typing import IO

from django.apps import apps
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

FORMAT = "editorial-backup"
FORMAT_VERSION = 1

# What a backup holds, in the order a restore inserts it (each after what it refers to).
# Groups by name: migrations create them, and a restore updates their permissions.
MODELS = [
    "auth.group",
    "auth.user",
    "editorial.document",
    "editorial.answer",
    "editorial.source",
    "editorial.claimevidence",
    "reversion.revision",
    "reversion.version",
    "editorial.workflowevent",
    "editorial.approvedversion",
    "editorial.notice",
    "editorial.exportrecord",
]
_BY_NATURAL_KEY = {"auth.group"}
_CHUNK = 2000


class BackupError(Exception):
    """A backup file cannot be restored here (another format, or a database not empty)."""


def _queryset(label: str, using: str):
    return apps.get_model(label).objects.using(using).order_by("pk")


def write_backup(out: IO[str], *, using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Write every row of MODELS to `out` from one consistent snapshot; return the counts."""
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql" and outermost:
            # One snapshot for every table: rows written meanwhile are in none or all.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # (SQLite: the transaction itself is the snapshot; it holds the write lock.)
        counts = {label: _queryset(label, using).count() for label in MODELS}
        header = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "counts": counts,
        }
        out.write(json.dumps(header)[:-1] + ', "models": {')
        for index, label in enumerate(MODELS):
            out.write(("," if index else "") + f"\n{json.dumps(label)}: [")
            rows = _queryset(label, using).iterator(chunk_size=_CHUNK)
            first = True
            while chunk := list(islice(rows, _CHUNK)):
                objects = serializers.serialize(
                    "python",
                    chunk,
                    use_natural_foreign_keys=True,
                    use_natural_primary_keys=label in _BY_NATURAL_KEY,
                )
                for row in objects:
                    out.write(("" if first else ",") + "\n" + json.dumps(row, cls=_Encoder))
                    first = False
            out.write("]")
        out.write("}}\n")
    return counts


class _Encoder(DjangoJSONEncoder):
    """Times to the microsecond: Django's JSON serializer keeps only milliseconds."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _not_empty(using: str) -> list[str]:
    return [
        label
        for label in MODELS
        if label not in _BY_NATURAL_KEY and _queryset(label, using).exists()
    ]


def read_backup(source: IO[str], *, using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Insert a backup into an empty, migrated database, all or nothing; return the counts."""
    try:
        data = json.load(source)
    except ValueError as error:
        raise BackupError(f"Not a backup file: {error}.") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError("Not an Editorial backup file.")
    if data.get("version") != FORMAT_VERSION:
        raise BackupError(f"Backup format version {data.get('version')} is not supported.")
    unknown = set(data["models"]) - set(MODELS)
    if unknown:
        raise BackupError(f"Unknown models in the backup: {', '.join(sorted(unknown))}.")
    counts = {}
    with transaction.atomic(using=using):
        occupied = _not_empty(using)
        if occupied:
            raise BackupError(
                "Restore needs an empty database (migrate a new one); this one already has "
                f"{', '.join(occupied)}."
            )
        for label in MODELS:
            rows = data["models"].get(label, [])
            counts[label] = _save(serializers.deserialize("python", rows, using=using), using)
        _reset_sequences(using)
        expected = data.get("counts", {})
        if counts != expected:
            raise BackupError(f"Restored {counts}, but the backup says {expected}.")
    return counts


def _save(objects: Iterable, using: str) -> int:
    saved = 0
    for deserialized in objects:
        deserialized.save(using=using)
        saved += 1
    return saved


def _reset_sequences(using: str) -> None:
    """Rows came with their ids: new rows must be numbered after them (PostgreSQL)."""
    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(
        no_style(), [apps.get_model(label) for label in MODELS]
    )
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
