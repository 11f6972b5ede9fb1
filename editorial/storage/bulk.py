"""Rows written in bulk without a model instance each: the import's hot path.

bulk_create builds a model instance per row and prepares every field of each in Python,
which was most of an import's time. The answers, versions and events of new documents
are written here instead, a template's values prepared for the database once.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Iterable, Sequence

from django.db import DEFAULT_DB_ALIAS, connections, models, router

# PostgreSQL takes the rows through COPY (psycopg 3's cursor.copy): the INSERTs an import
# sent one row at a time, pipelined, took a third of its client's CPU time and more of the
# server's. False sends INSERTs there too, which the tests compare COPY against.
COPY_ON_POSTGRESQL = True


def insert_copies(template: models.Model, varying: Sequence[str], rows: Iterable[tuple]) -> None:
    """INSERT one row per tuple: the template's field values with `varying` ones replaced.

    bulk_create builds a model instance per row and prepares every field of each in
    Python, which was most of an import's time. Here the template's values are prepared
    for the database once; the varying values must be ready as they are (text, integers,
    ids), the primary key among them if its ids were reserved. Nothing is returned and no
    signal is sent. `rows` is read as it is written: on PostgreSQL what a generator does
    for each row is done while the server takes in the rows before it.
    """
    meta = template._meta
    database = router.db_for_write(type(template))
    connection = connections[database]
    # The primary key only where the rows bring it (ids reserved by reserve_ids).
    fields = [
        field for field in meta.concrete_fields if not field.primary_key or field.name in varying
    ]
    where = {name: index for index, name in enumerate(meta.get_field(n).name for n in varying)}
    constant = [
        field.get_db_prep_save(getattr(template, field.attname), connection) for field in fields
    ]
    # Each row's values picked in C from the row followed by the constants: a list built in
    # Python per row took twice as long (the 120,000 rows of 2,000 files: 0.13 against 0.07 s).
    after = len(varying)
    pick = operator.itemgetter(
        *[
            where[field.name] if field.name in where else after + index
            for index, field in enumerate(fields)
        ]
    )
    constants = tuple(constant)
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    values = (pick(row + constants) for row in rows)
    if connection.vendor == "postgresql" and COPY_ON_POSTGRESQL:
        _copy(connection, f"COPY {table} ({columns}) FROM STDIN", values, _binary_types(fields))
        return
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(values))


def reserve_ids(model: type[models.Model], count: int) -> Sequence[int]:
    """Ids for `count` rows of `model` about to be written in this transaction, so that what
    refers to them (their versions, events) is made as they are written, not after reading
    the ids back.

    PostgreSQL takes them from the table's sequence, as an insert would. SQLite gives the
    next ids after the largest ever given (AUTOINCREMENT): its write lock is held from the
    start of the transaction (transaction_mode IMMEDIATE), so no other writer can take them.
    """
    if count == 0:
        return []
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
    if not connection.in_atomic_block:
        raise RuntimeError("Ids are reserved inside the transaction that writes them.")
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
            f"coalesce((SELECT max({connection.ops.quote_name(meta.pk.column)}) FROM {table}), 0))",
            [meta.db_table],
        )
        last = cursor.fetchone()[0]
    return range(last + 1, last + 1 + count)


def numbered(
    model: type[models.Model], varying: Sequence[str], rows: Sequence[tuple]
) -> tuple[tuple[str, ...], Sequence[tuple]]:
    """The rows for insert_copies with ids reserved for them put first, and their varying
    names with "id" first: what is noted of rows as they are written (storage.chain's
    note_copies) then holds their ids, and sealing them reads none back. Outside a
    transaction SQLite cannot reserve ids: the rows are left for the database to number."""
    connection = connections[router.db_for_write(model)]
    if not rows or (connection.vendor != "postgresql" and not connection.in_atomic_block):
        return tuple(varying), rows
    ids = reserve_ids(model, len(rows))
    return ("id", *varying), [(pk, *row) for pk, row in zip(ids, rows, strict=True)]


def checked_as_written(using: str = DEFAULT_DB_ALIAS) -> None:
    """PostgreSQL checks the rest of this transaction's foreign keys as each statement
    ends, not all at its commit (Django declares them DEFERRABLE INITIALLY DEFERRED): the
    same checks, but a 119,000-answer file's half a million of them no longer made its
    COMMIT a silent 5 s at the end of an import job (the job page could say nothing)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


# The binary COPY type of each kind of field it can send so; a table with any other is sent
# as text. Binary needs no escaping of each text's line breaks and backslashes, nor its
# numbers and dates written out and read back: a third of the client's CPU time for the
# same rows, and less of the server's.
_BINARY_TYPES = {
    "AutoField": "int4", "IntegerField": "int4", "PositiveIntegerField": "int4",
    "BigAutoField": "int8", "BigIntegerField": "int8", "PositiveBigIntegerField": "int8",
    "SmallAutoField": "int2", "SmallIntegerField": "int2", "PositiveSmallIntegerField": "int2",
    "CharField": "text", "TextField": "text", "DateTimeField": "timestamptz", "DateField": "date",
    "BooleanField": "bool",
}  # fmt: skip


def _binary_types(fields: Sequence[models.Field]) -> list[str] | None:
    """The fields' binary COPY types, or None if one has no type listed."""
    types = []
    for field in fields:
        target = field.target_field if field.is_relation else field
        binary = _BINARY_TYPES.get(target.get_internal_type())
        if binary is None:
            return None
        types.append(binary)
    return types


def _copy(connection, sql: str, rows: Iterable[list], types: list[str] | None = None) -> None:
    """Rows sent through COPY, in binary where the types are given; its errors Django's,
    logged as a query where queries are (CaptureQueriesContext, DEBUG) so counts of an
    import's statements still see it."""
    started = time.monotonic()
    if types is not None:
        sql = f"{sql} (FORMAT BINARY)"
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        if types is not None:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": sql, "time": f"{time.monotonic() - started:.3f}", "many": False}
        )
