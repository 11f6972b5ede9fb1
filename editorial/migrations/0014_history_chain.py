"""Tamper-evident history (editorial.storage.chain) and approvals kept, not overwritten.

- HistoryLink: the hash chain's links, one per revision (0015 links the existing history).
- ApprovedVersion becomes one row per approval (it was one per answer, overwritten on
  re-approval): `answer` is no longer unique, and Answer.approved names the latest, which
  exports read. A nullable column, so SQLite adds it without rebuilding the answer table
  (whose search triggers, migration 0008, would go with a rebuild).
- ExportRecord carries the chain's head when the export was made.
- Approvals and links join the permanent history: the triggers of 0007 refuse their UPDATE
  and DELETE (PostgreSQL: TRUNCATE too), through the same switch (`unlocked()`). The SQL is
  frozen here, as in 0007. On SQLite a later migration that rebuilds one of these tables
  drops its triggers and must recreate them (tests/storage/test_history.py checks).
"""

import django.db.models.deletion
from django.db import migrations, models

# (table, what the message calls its rows); 0007's PostgreSQL function serves them too.
GUARDED = [
    ("editorial_approvedversion", "approvals"),
    ("editorial_historylink", "history links"),
]
MESSAGE = "Editorial history is permanent: {rows} cannot be {done} ({table})."


def _pg_statements():
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
        schema_editor.execute(statement, params=None)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, _ in GUARDED:
        if vendor == "postgresql":
            for suffix in ("", "_truncate"):
                schema_editor.execute(
                    f"DROP TRIGGER IF EXISTS {table}_permanent{suffix} ON {table}", None
                )
        else:
            for operation in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_permanent_{operation}")


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0013_fingerprint_one_index"),
        ("reversion", "0002_add_index_on_version_for_content_type_and_db"),
    ]

    operations = [
        migrations.AlterField(
            model_name="approvedversion",
            name="answer",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="approvals",
                to="editorial.answer",
            ),
        ),
        migrations.AlterModelOptions(
            name="approvedversion",
            options={"ordering": ["answer", "id"]},
        ),
        migrations.AddField(
            model_name="answer",
            name="approved",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                help_text="The answer's latest approval: what exports use until the next one.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="editorial.approvedversion",
            ),
        ),
        migrations.AddField(
            model_name="exportrecord",
            name="chain_digest",
            field=models.CharField(
                blank=True, help_text="That link's digest: verify_history checks it.", max_length=64
            ),
        ),
        migrations.AddField(
            model_name="exportrecord",
            name="chain_position",
            field=models.BigIntegerField(
                blank=True,
                help_text="The history chain's last link when the export was made (none: empty).",
                null=True,
            ),
        ),
        migrations.CreateModel(
            name="HistoryLink",
            fields=[
                (
                    "position",
                    models.BigIntegerField(
                        help_text="1 for the first link, one more for each next.",
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "rows",
                    models.TextField(
                        help_text="One line per row sealed: kind, id, SHA-256 of its content."
                    ),
                ),
                ("sealed_at", models.DateTimeField()),
                (
                    "digest",
                    models.CharField(
                        help_text="HMAC-SHA256 of the previous link's digest and this link.",
                        max_length=64,
                    ),
                ),
                (
                    "revision",
                    models.OneToOneField(
                        blank=True,
                        help_text="The revision sealed (none: rows older than the chain that had none).",
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="reversion.revision",
                    ),
                ),
            ],
            options={"ordering": ["position"]},
        ),
        migrations.RunPython(install, remove),
    ]
