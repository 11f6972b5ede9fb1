"""A hash index on the answer's question (PostgreSQL), for related answers (issue 21).

The same question asked of many documents (a questionnaire sent to every state) is found
by equality through this index, stopping at the few the answer page shows. Through the
full-text index alone, PostgreSQL built a bitmap of every copy first: 25,000 copies at
1,000,000 answers, 50-85 ms of each answer's page. A hash index, not a B-tree: a question
may be longer than a B-tree entry may be. SQLite keeps its full-text lookup (no such index).
"""

from django.db import migrations

INDEX = "answer_question_hash"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON editorial_answer USING hash (question)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("editorial", "0019_reviewer_totals")]

    operations = [migrations.RunPython(create, drop)]
