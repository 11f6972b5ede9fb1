"""Rows written in bulk without a model instance each: the import's hot path.

bulk_create builds a model instance per row and prepares every field of each in Python,
which was most of an import's time. The answers, versions and events of new documents
are written here instead, a template's values prepared for the database once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connections, models, router


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
    sql = (
        f"INSERT INTO {quote(meta.db_table)} "
        f"({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [[value if slot is None else row[slot] for value, slot in slots] for row in rows],
        )
