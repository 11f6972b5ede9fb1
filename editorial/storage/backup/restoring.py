"""Restoring a checked backup into an empty, migrated database: all rows or none.

Inserting through Django's deserializer cost two queries a row (an UPDATE that finds
nothing, then the INSERT) and a query per reference by name (a user, a content type);
on 200,000 answers that was nearly all of a restore's time. The tables of plain columns
(writing.plain) are inserted here a batch at a time instead: one multi-row INSERT of the
values as the file has them ("raw", as Django's loaddata saves: no auto_now, no signals),
the names resolved once each. Users and groups, with their many-to-many lists, still go
through the deserializer, a row at a time: there are few.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO

from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, ValidationError
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction

from ..search import indexed_in_bulk
from .checking import verify_backup
from .format import BY_NATURAL_KEY, CHUNK, BackupError, backed_up_models, reader
from .writing import plain


def read_backup(
    source: IO[bytes], *, using: str = DEFAULT_DB_ALIAS, key: str | None = None
) -> dict[str, int]:
    """Verify the whole file, then insert it into an empty, migrated database, all rows or
    none; return the counts. `source` is a binary file, gzip or plain, read twice (a file,
    not a pipe); memory stays flat."""
    counts = verify_backup(source, key=key)
    source.seek(0)
    tables = {model._meta.label_lower: model for model in backed_up_models()}
    restored = dict.fromkeys(counts, 0)
    connection = connections[using]
    try:
        with transaction.atomic(using=using), reader(source) as text:
            text.readline()  # the header, checked
            if connection.vendor == "postgresql":
                # Checked at the end (below), not row by row: an answer names its approval,
                # which comes after it.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            occupied = [
                label
                for label, model in tables.items()
                if label not in BY_NATURAL_KEY
                and model._base_manager.using(using).order_by().exists()
            ]
            if occupied:
                raise BackupError(
                    "Restore needs an empty database (migrate a new one); this one already "
                    f"has {', '.join(occupied)}."
                )
            names = _Names(using)
            with indexed_in_bulk(using):  # SQLite: answers indexed at the end, together
                for label, rows in _chunks(text):
                    model = tables[label]
                    if plain(model):
                        _insert(model, rows, names, using)
                    else:
                        for row in serializers.deserialize("python", rows, using=using):
                            row.save(using=using)
                    restored[label] += len(rows)
            _reset_sequences(using, list(tables.values()))
            # Every reference checked now, not at commit: a broken one is named, and rolled back.
            connection.check_constraints()
    except DatabaseError as error:
        raise BackupError(
            f"Its rows do not fit together here, so nothing was restored: {_sentence(error)}"
        ) from None
    except (
        DeserializationError,
        ObjectDoesNotExist,
        LookupError,
        FieldDoesNotExist,
        ValidationError,
    ) as error:
        raise BackupError(
            f"A row names something this database does not have, so nothing was restored: "
            f"{_sentence(error)}"
        ) from None
    if restored != counts:
        raise BackupError(f"Restored {restored}, but the backup says {counts}.")
    return restored


class _Names:
    """The ids this database gives the names rows use for users and content types, each
    looked up once (per _KEPT: emptied past that many, to stay flat)."""

    _KEPT = 10_000

    def __init__(self, using: str) -> None:
        self.using = using
        self.known: dict[tuple, object] = {}

    def id(self, related: type[models.Model], name: list) -> object:
        key = (related, *name)
        if key not in self.known:
            if len(self.known) > self._KEPT:
                self.known.clear()
            manager = related._default_manager.db_manager(self.using)
            self.known[key] = manager.get_by_natural_key(*name).pk
        return self.known[key]


def _insert(model: type[models.Model], rows: list[dict], names: _Names, using: str) -> None:
    """One batch of rows as they are in the file, each value as the deserializer reads it."""
    meta = model._meta
    fields = {field.name: field for field in meta.local_fields if field.serialize}
    objs = []
    for row in rows:
        values = {meta.pk.attname: meta.pk.to_python(row["pk"])}
        for name, value in row["fields"].items():
            field = fields.get(name)
            if field is None:
                raise DeserializationError(f"{meta.label_lower} has no field named {name!r}.")
            if field.remote_field is None:
                values[field.attname] = field.to_python(value)
            elif value is None:
                values[field.attname] = None
            elif isinstance(value, list):
                values[field.attname] = names.id(field.remote_field.model, value)
            else:
                values[field.attname] = field.target_field.to_python(value)
        objs.append(model(**values))
    columns = meta.local_concrete_fields
    connection = connections[using]
    size = connection.ops.bulk_batch_size(columns, objs) or len(objs)
    manager = model._base_manager.using(using)
    for start in range(0, len(objs), size):
        manager._insert(objs[start : start + size], fields=columns, using=using, raw=True)


def _chunks(source: IO[str]) -> Iterator[tuple[str, list[dict]]]:
    """(table, a chunk of its rows) in file order, up to the manifest."""
    label, rows = None, []
    for line in source:
        if line.startswith(('{"table": ', '{"manifest": ')):
            if rows:
                yield label, rows
                rows = []
            if line.startswith('{"manifest": '):
                return
            label = json.loads(line)["table"]
            continue
        row = json.loads(line)
        if row.get("model") != label:
            raise BackupError(f"A row among those of {label} is of {row.get('model')}.")
        rows.append(row)
        if len(rows) == CHUNK:
            yield label, rows
            rows = []


def _sentence(error: Exception) -> str:
    """An error's message on one line, ending with a full stop."""
    text = " ".join(part.strip() for part in str(error).splitlines() if part.strip())
    return text if text.endswith(".") else text + "."


def _reset_sequences(using: str, tables: list[type[models.Model]]) -> None:
    """Rows came with their ids: new rows must be numbered after them (PostgreSQL)."""
    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(no_style(), tables)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
