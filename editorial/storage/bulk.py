"""Rows written in bulk without a model instance each: the import's hot path.

bulk_create builds a model instance per row and prepares every field of each in Python,
which was most of an import's time. The answers, versions and events of new documents
are written here instead, a template's values prepared for the database once.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from django.db import connections, models, router

# PostgreSQL takes the rows through COPY (psycopg 3's cursor.copy): the INSERTs an import
# sent one row at a time, pipelined, took a third of its client's CPU time and more of the
# server's. False sends INSERTs there too, which the tests compare COPY against.
COPY_ON_POSTGRESQL = True


def insert_copies(template: models.Model, varying: Sequence[str], rows: Iterable[tuple]) -> None:
    """INSERT one row per tuple: the template's field values with `varying` ones replaced.

    bulk_create builds a model instance per row and prepares every field of each in
    Python, which was most of an import's time. Here the template's values are prepared
    for the database once; the varying values must be ready as they are (text, integers,
    ids). Nothing is returned and no signal is sent.
    """
    meta = template._meta
    database = router.db_for_write(type(template))
    connection = connections[database]
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    where = {name: index for index, name in enumerate(meta.get_field(n).name for n in varying)}
    constant = [
        field.get_db_prep_save(getattr(template, field.attname), connection) for field in fields
    ]
    slots = list(zip(constant, [where.get(field.name) for field in fields], strict=True))
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    values = ([value if slot is None else row[slot] for value, slot in slots] for row in rows)
    if connection.vendor == "postgresql" and COPY_ON_POSTGRESQL:
        _copy(connection, f"COPY {table} ({columns}) FROM STDIN", values)
        return
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(values))


def _copy(connection, sql: str, rows: Iterable[list]) -> None:
    """Rows sent through COPY, its errors Django's, logged as a query where queries are
    (CaptureQueriesContext, DEBUG) so counts of an import's statements still see it."""
    started = time.monotonic()
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        for row in rows:
            copy.write_row(row)
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": sql, "time": f"{time.monotonic() - started:.3f}", "many": False}
        )
