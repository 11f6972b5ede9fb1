"""PostgreSQL stores the long values of answers and versions compressed with LZ4.

Every imported answer (its text and imported text) and every version of it (the same
serialised again) is longer than TOAST's 2 kB threshold, so the server compresses each as
it is written; with its default, pglz, that was the largest part of an import's server
time. LZ4 compresses several times faster and decompresses faster still. The values read
are the same; only how new ones are stored on disk changes (those stored already stay as
they are). A column's setting, not a session's, so no statement is added to any write,
and every writer of these tables gains alike. Only where the server was built with LZ4
(PostgreSQL 14+, `pg_settings` lists it); elsewhere, and on SQLite, nothing changes.
"""

from django.db import migrations

COLUMNS = {
    "editorial_answer": (
        "question", "text", "imported_question", "imported_text",
        "incoming_question", "incoming_text", "search_vector",
    ),
    "reversion_version": ("serialized_data",),
}  # fmt: skip


def _lz4_available(connection) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def _set_compression(method: str):
    def operation(apps, schema_editor) -> None:
        connection = schema_editor.connection
        if not _lz4_available(connection):
            return
        quote = connection.ops.quote_name
        for table, columns in COLUMNS.items():
            alterations = ", ".join(
                f"ALTER COLUMN {quote(column)} SET COMPRESSION {method}" for column in columns
            )
            schema_editor.execute(f"ALTER TABLE {quote(table)} {alterations}")

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0025_webhook_attempt_number_help"),
        ("reversion", "0002_add_index_on_version_for_content_type_and_db"),
    ]

    operations = [
        migrations.RunPython(_set_compression("lz4"), _set_compression("DEFAULT")),
    ]
