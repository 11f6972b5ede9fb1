"""Restoring a checked backup into an empty, migrated database: all rows or none.

Inserting through Django's deserializer cost two queries a row (an UPDATE that finds
nothing, then the INSERT) and a query per reference by name (a user, a content type);
on 200,000 answers that was nearly all of a restore's time. The tables of plain columns
(writing.plain) are inserted here a chunk at a time instead, without a model instance per
row: on PostgreSQL through COPY, on SQLite one prepared INSERT run for the chunk; the
values as the file has them (as loaddata's "raw" save: no auto_now, no signals), each read
and prepared as Django would, the names resolved once each. Users and groups, with their
many-to-many lists, still go through the deserializer, a row at a time: there are few.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO

from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, ValidationError
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.utils import timezone

from editorial.models import FINISHED_STATES, Job, JobState, WebURLField

from .. import statistics
from ..search import indexed_in_bulk
from .checking import verify_backup
from .format import BY_NATURAL_KEY, CHUNK, LEFT_OUT, BackupError, backed_up_models, reader
from .writing import plain


def read_backup(
    source: IO[bytes], *, using: str = DEFAULT_DB_ALIAS, key: str | None = None
) -> dict[str, int]:
    """Verify the whole file, then insert it into an empty, migrated database, all rows or
    none; return the counts. `source` is a binary file, gzip or plain, read twice (a file,
    not a pipe); memory stays flat."""
    counts = {
        label: rows
        for label, rows in verify_backup(source, key=key).items()
        if label not in LEFT_OUT  # in a backup made before it was left out: passed over
    }
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
            # SQLite: answers indexed at the end, together; PostgreSQL: indexes and foreign
            # keys made again once every row is in.
            with indexed_in_bulk(using), _loaded_bare(list(tables.values()), using):
                for label, chunks in _by_table(_chunks(text)):
                    if label in LEFT_OUT:
                        deque(chunks, maxlen=0)  # read past
                    elif plain(tables[label]):
                        restored[label] += _insert(tables[label], chunks, names, using)
                    else:
                        for rows in chunks:
                            for row in serializers.deserialize("python", rows, using=using):
                                row.save(using=using)
                            restored[label] += len(rows)
                            del rows  # before the next chunk is read: one in memory, not two
            _reset_sequences(using, list(tables.values()))
            _fail_unfinished_jobs(using)
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
    # A restored database is planned from its rows, not from empty tables' statistics.
    written = {tables[label]: rows for label, rows in restored.items()}
    statistics.after_bulk_work(written, using=using)
    return restored


def _fail_unfinished_jobs(using: str) -> None:
    """Jobs that were waiting or running when the backup was made have no task here (the
    queue is not in backups): failed, saying so, rather than shown waiting for ever."""
    Job.objects.using(using).exclude(state__in=FINISHED_STATES).update(
        state=JobState.FAILED,
        finished_at=timezone.now(),
        doing="",
        reason="Unfinished when the backup it was restored from was made; start it again.",
    )


class _Names:
    """The ids this database gives the names rows use (users, content types): each table
    of names read whole once, before a table naming its rows is copied in, since nothing
    can be asked of the database while a COPY is open. They are few (people, not rows)."""

    def __init__(self, using: str) -> None:
        self.using = using
        self.known: dict[type[models.Model], dict[tuple, object]] = {}

    def load(self, related: type[models.Model]) -> None:
        if related not in self.known:
            manager = related._default_manager.db_manager(self.using)
            self.known[related] = {tuple(row.natural_key()): row.pk for row in manager.all()}

    def id(self, related: type[models.Model], name: list) -> object:
        self.load(related)
        try:
            return self.known[related][tuple(name)]
        except KeyError:
            raise related.DoesNotExist(
                f"{related._meta.verbose_name} {name!r} is not in this database."
            ) from None


# Fields whose value, when the file has it as this type, goes to the database as it is
# (the deserializer's to_python and the field's preparation would return it unchanged).
_AS_IT_IS = {
    models.CharField: str,
    models.TextField: str,
    models.EmailField: str,
    models.URLField: str,
    WebURLField: str,  # a source's link, stored normalised: restored exactly as backed up
    models.IntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.AutoField: int,
    models.BigAutoField: int,
    models.BooleanField: bool,
}


def _converter(field, names: _Names, connection):
    """The value the database takes for the field from what the file holds: read as the
    deserializer reads it (to_python; a reference by name looked up), prepared as a save
    prepares it."""
    if field.remote_field is not None:
        target, related = field.target_field, field.remote_field.model

        def reference(value):
            if value is None:
                return None
            if isinstance(value, list):
                return names.id(related, value)
            if type(value) is _AS_IT_IS.get(type(target)):
                return value
            return target.get_db_prep_save(target.to_python(value), connection)

        return reference
    kind = _AS_IT_IS.get(type(field))

    def plain_value(value):
        if kind is not None and (value is None or type(value) is kind):
            return value
        return field.get_db_prep_save(field.to_python(value), connection)

    return plain_value


def _insert(
    model: type[models.Model], chunks: Iterable[list[dict]], names: _Names, using: str
) -> int:
    """A table's rows as they are in the file, chunk by chunk, each value read as the
    deserializer reads it and prepared as a save prepares it; the number inserted.

    PostgreSQL: one COPY for the whole table, so the server goes on storing rows (and
    computing each answer's search vector) while the next chunk is decoded here; with a
    COPY per chunk, each side waited for the other at every chunk's end. SQLite: one
    prepared INSERT run per chunk.
    """
    meta = model._meta
    connection = connections[using]
    columns = meta.local_concrete_fields
    where = {field.name: index for index, field in enumerate(columns)}
    convert = [_converter(field, names, connection) for field in columns]
    pk = where[meta.pk.name]
    missing = object()

    def values(rows: list[dict]) -> Iterator[list]:
        for row in rows:
            line = [missing] * len(columns)
            line[pk] = convert[pk](row["pk"])
            for name, value in row["fields"].items():
                index = where.get(name)
                if index is None or index == pk:
                    raise DeserializationError(f"{meta.label_lower} has no field named {name!r}.")
                line[index] = convert[index](value)
            for index, value in enumerate(line):
                if value is missing:  # not in the file: its default, as a new instance has it
                    field = columns[index]
                    line[index] = field.get_db_prep_save(field.get_default(), connection)
            yield line

    for field in columns:
        if field.remote_field is not None and hasattr(field.remote_field.model, "natural_key"):
            names.load(field.remote_field.model)  # before the COPY opens
    quote = connection.ops.quote_name
    table, names_sql = quote(meta.db_table), ", ".join(quote(f.column) for f in columns)
    inserted = 0
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names_sql}) FROM STDIN") as copy:
                for rows in chunks:
                    for line in values(rows):
                        copy.write_row(line)
                    inserted += len(rows)
                    del rows  # before the next chunk is read: one in memory, not two
        else:
            statement = (
                f"INSERT INTO {table} ({names_sql}) VALUES ({', '.join(['%s'] * len(columns))})"
            )
            for rows in chunks:
                cursor.executemany(statement, list(values(rows)))
                inserted += len(rows)
                del rows
    return inserted


# PostgreSQL's default (64MB) sorts a million answers' index entries in many passes on disk.
RESTORE_MAINTENANCE_MEMORY = "512MB"


@contextmanager
def _loaded_bare(models_: list[type[models.Model]], using: str) -> Iterator[None]:
    """PostgreSQL: the tables' secondary indexes and foreign keys set aside while the rows
    are copied in, then made again, as pg_restore does. Each index then is built once from
    sorted rows instead of updated row by row (the answers' full-text index most of all),
    and each foreign key is checked by one join instead of a trigger per row. All inside
    the restore's transaction: a failure leaves the schema as it was, and a reference that
    does not hold fails re-adding its key, naming the row."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in models_]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
            "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid "
            "WHERE k.contype = 'f' AND (c.relname = ANY(%s) OR r.relname = ANY(%s)) "
            "ORDER BY c.relname, k.conname",
            [tables, tables],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indrelid WHERE c.relname = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
            "ORDER BY 1",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _ in foreign_keys:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        # Each index sorted in memory rather than in runs on disk (the answers' full-text
        # index most of all), as pg_restore is advised to run; for this transaction only.
        cursor.execute("SET LOCAL maintenance_work_mem = %s", [RESTORE_MAINTENANCE_MEMORY])
        # The few rows saved through Django (people, groups) left deferred checks pending,
        # which a table cannot be altered with: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")


def _by_table(chunks: Iterator[tuple[str, list[dict]]]) -> Iterator[tuple[str, Iterator]]:
    """(table, its chunks of rows), each table's chunks read as they are asked for.

    itertools.groupby would keep the chunk in hand while reading the next one; here
    nothing is kept once a chunk is handed out (the reader drops it before asking again),
    so a restore holds one chunk at a time.
    """
    pending = [next(chunks, None)]

    def rows_of(label: str) -> Iterator[list[dict]]:
        while pending[0] is not None and pending[0][0] == label:
            rows = pending[0][1]
            pending[0] = None
            yield rows
            del rows
            pending[0] = next(chunks, None)

    while pending[0] is not None:
        label = pending[0][0]
        group = rows_of(label)
        yield label, group
        deque(group, maxlen=0)  # whatever the reader left of this table


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
