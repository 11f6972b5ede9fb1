"""History that cannot be erased: database triggers refuse UPDATE and DELETE (and, on
PostgreSQL, TRUNCATE) of the event log and of reversion's revisions and versions.

The ORM's bulk paths (QuerySet.update/delete), raw SQL and reversion's
`deleterevisions` all end in these statements, so the database itself refuses them.
Only inserts are allowed: the app only ever appends to these tables.

The one deliberate way round is `editorial.history.unlocked()` (used by `flush`, which
the test suite runs between transactional tests): on PostgreSQL it sets the
transaction-local setting `editorial.history_unlocked`; on SQLite it makes the
connection's `editorial_history_unlocked()` function answer 1. The function exists only
on connections Django opens, so any other SQLite client is refused too.

Self-contained on purpose (the SQL is frozen here). On SQLite a later migration that
rebuilds one of these tables (an AlterField there) drops its triggers: recreate them in
that migration; tests/storage/test_history.py checks they exist after all migrations.
"""

from django.db import migrations

# (table, what the message calls its rows)
GUARDED = [
    ("editorial_workflowevent", "workflow events"),
    ("reversion_revision", "revisions"),
    ("reversion_version", "versions"),
]

MESSAGE = "Editorial history is permanent: {rows} cannot be {done} ({table})."

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION editorial_history_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('editorial.history_unlocked', true), '') = 'on' THEN
        IF TG_LEVEL = 'STATEMENT' THEN
            RETURN NULL;
        ELSIF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'Editorial history is permanent: % cannot be %d (%).',
        TG_ARGV[0], lower(TG_OP), TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;
"""


def _pg_statements():
    yield PG_FUNCTION
    for table, rows in GUARDED:
        yield (
            f"CREATE TRIGGER {table}_permanent BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION editorial_history_guard('{rows}')"
        )
        yield (
            f"CREATE TRIGGER {table}_permanent_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION editorial_history_guard('{rows}')"
        )


def _sqlite_statements():
    for table, rows in GUARDED:
        for operation, done in (("UPDATE", "changed"), ("DELETE", "deleted")):
            message = MESSAGE.format(rows=rows, done=done, table=table)
            yield (
                f"CREATE TRIGGER {table}_permanent_{operation.lower()} "
                f"BEFORE {operation} ON {table} "
                "WHEN coalesce(editorial_history_unlocked(), 0) = 0 "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": _pg_statements, "sqlite": _sqlite_statements}.get(vendor)
    if statements is None:
        raise RuntimeError(f"No history guard for the {vendor} database.")
    for statement in statements():
        # params=None: the SQL is run as written (no %-placeholders to fill).
        schema_editor.execute(statement, params=None)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, _ in GUARDED:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_permanent ON {table}", None)
            schema_editor.execute(
                f"DROP TRIGGER IF EXISTS {table}_permanent_truncate ON {table}", None
            )
        else:
            for operation in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_permanent_{operation}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS editorial_history_guard()", None)


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0006_fingerprint_covering_index"),
        ("reversion", "0002_add_index_on_version_for_content_type_and_db"),
    ]

    operations = [migrations.RunPython(install, remove)]
