"""Writing a backup: one snapshot, streamed table by table through zstd, then the manifest.

Each row line is what Django's "python" serializer makes of the row (natural keys for
users, content types, groups), dumped as JSON. Django's serializer fetched the user or
content type each row names with a query of its own, per row: most of a backup's time. The
tables whose columns are all plain (text, numbers, times, JSON, references) are written
here from `values_list` instead, the names that references take looked up once per chunk;
the few others (users and groups, with their many-to-many lists) still go through Django's
serializer. tests/storage/test_backup_stream.py holds both to the same lines.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from itertools import islice
from typing import IO

from django.core import serializers
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone

from .format import (
    BY_NATURAL_KEY,
    CHUNK,
    FORMAT,
    FORMAT_VERSION,
    backed_up_models,
    encode,
    key_id,
    keys,
    signature,
    writer,
)

# Fields whose value from the database is the serializer's value as it is: a string, or a
# type it keeps (numbers, booleans, times, JSON). Any other kind sends its table through
# Django's serializer.
_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.DateField,
    models.TimeField,
    models.DecimalField,
    models.FloatField,
    models.JSONField,
)
# Names kept for references across chunks, per table referred to; emptied past this many.
_NAMES_KEPT = 10_000


def write_backup(
    out: IO[bytes], *, using: str = DEFAULT_DB_ALIAS, key: str | None = None, compress: bool = True
) -> dict[str, int]:
    """Write every backed-up table to the binary stream `out` from one consistent snapshot,
    zstd-compressed unless `compress` is false, then the signed manifest; return the row
    count of each table. Memory stays flat: rows are read in chunks and written as they come."""
    signing = keys(key)[0]
    tables = backed_up_models()
    connection = connections[using]
    outermost = not connection.in_atomic_block
    manifest: dict[str, dict] = {}
    stream = writer(out, compress=compress)
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql" and outermost:
            # One snapshot for every table: rows written meanwhile are in none or all.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # (SQLite: the transaction itself is the snapshot; it holds the write lock.)
        header = json.dumps(
            {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "created_at": timezone.now().isoformat(),
                "key_id": key_id(signing),
                "tables": [model._meta.label_lower for model in tables],
            }
        )
        stream.write((header + "\n").encode())
        for model in tables:
            label = model._meta.label_lower
            stream.write((json.dumps({"table": label}) + "\n").encode())
            digest, count = hashlib.sha256(), 0
            for lines in row_lines(model, using):
                data = "".join(lines).encode()
                digest.update(data)
                stream.write(data)
                count += len(lines)
                del lines, data  # before the next chunk is read: one in memory, not two
            manifest[label] = {"rows": count, "sha256": digest.hexdigest()}
        ending = {"manifest": manifest, "hmac": signature(signing, header, manifest)}
        stream.write((json.dumps(ending) + "\n").encode())
    if stream is not out:
        stream.close()  # the zstd frame end; `out` stays open, the caller's
    return {label: entry["rows"] for label, entry in manifest.items()}


def row_lines(model: type[models.Model], using: str) -> Iterator[list[str]]:
    """The table's row lines, in chunks, in the order of their ids."""
    if plain(model):
        return _plain_lines(model, using)
    return _serialized_lines(model, using)


def plain(model: type[models.Model]) -> bool:
    meta = model._meta
    return (
        meta.label_lower not in BY_NATURAL_KEY
        and not meta.local_many_to_many
        and meta.concrete_model is model
        and all(
            field.remote_field is not None or isinstance(field, _PLAIN)
            for field in meta.local_fields
        )
    )


def _natural(field) -> bool:
    return hasattr(field.remote_field.model, "natural_key")


def _plain_lines(model: type[models.Model], using: str) -> Iterator[list[str]]:
    meta = model._meta
    label = meta.label_lower
    fields = [field for field in meta.local_fields if field.serialize]
    names = [field.name for field in fields]
    # Which columns name a row of a table with natural keys: (position, that table).
    named = [
        (position, field.remote_field.model)
        for position, field in enumerate(fields, start=1)
        if field.remote_field is not None and _natural(field)
    ]
    known: dict[type[models.Model], dict] = {related: {} for _, related in named}
    queryset = model._base_manager.using(using).order_by("pk")
    rows = queryset.values_list(meta.pk.attname, *(f.attname for f in fields))
    rows = rows.iterator(chunk_size=CHUNK)
    while chunk := list(islice(rows, CHUNK)):
        for position, related in named:
            _learn_names(related, {row[position] for row in chunk}, known[related], using)
        lines = []
        for row in chunk:
            values = list(row[1:])
            for position, related in named:
                if values[position - 1] is not None:
                    values[position - 1] = known[related][values[position - 1]]
            data = {"model": label, "pk": row[0], "fields": dict(zip(names, values, strict=True))}
            lines.append(encode(data) + "\n")
        yield lines


def _learn_names(related, ids: set, known: dict, using: str) -> None:
    """The natural keys of the rows `ids` name, one query for those not known yet."""
    missing = ids - known.keys() - {None}
    if not missing:
        return
    if len(known) + len(missing) > _NAMES_KEPT:
        known.clear()
    for pk, obj in related._base_manager.using(using).in_bulk(missing).items():
        known[pk] = list(obj.natural_key())


def _serialized_lines(model: type[models.Model], using: str) -> Iterator[list[str]]:
    label = model._meta.label_lower
    queryset = model._base_manager.using(using).order_by("pk")
    many = [field.name for field in model._meta.local_many_to_many]
    rows = queryset.prefetch_related(*many).iterator(chunk_size=CHUNK)
    while chunk := list(islice(rows, CHUNK)):
        yield [
            encode(row) + "\n"
            for row in serializers.serialize(
                "python",
                chunk,
                use_natural_foreign_keys=True,
                use_natural_primary_keys=label in BY_NATURAL_KEY,
            )
        ]
