"""The answer's fingerprint keeps one index: (text_fingerprint, status, flags) serves every
lookup by fingerprint, and the field's own index (and PostgreSQL's _like copy of it) were
one more random insert per imported answer, the most costly kind in a large table.

The indexes are dropped by name rather than by altering the field: on SQLite altering it
rebuilds the answers table, and the search triggers of 0008 would go with the old one.
"""

from django.db import migrations, models

NAME = "editorial_answer_text_fingerprint_a151402d"


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}", params=None)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}_like", params=None)


def create(apps, schema_editor):
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {NAME} ON editorial_answer (text_fingerprint)", params=None
    )


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0012_pin_existing_approvals"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="answer",
                    name="text_fingerprint",
                    field=models.CharField(
                        blank=True,
                        editable=False,
                        help_text="Normalised hash of the answer text, to find copies.",
                        max_length=40,
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop, create)],
        ),
    ]
