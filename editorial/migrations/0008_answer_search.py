"""Full-text search of answers (question and text) for the answer list, per database.

SQLite: an external-content FTS5 table over editorial_answer, kept in step by triggers
(so imports, admin saves, reverts and QuerySet.update() all reach it) and built here from
the existing rows. PostgreSQL: a generated tsvector column with a GIN index (the database
keeps it in step the same way), and covering indexes for deep pages of the list. Other
databases search without an index. And an index of documents by subject, for the list's
subject filter.

Beware on SQLite: a later migration that alters editorial_answer makes Django rebuild the
table, and the triggers go with the old one. Such a migration must run SQLITE_TRIGGERS
again (the search tests then pass only if it did).
"""

from django.db import migrations, models

SQLITE_TABLE = """
CREATE VIRTUAL TABLE editorial_answer_search USING fts5(
    question, text,
    content='editorial_answer', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
)
"""
SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER editorial_answer_search_insert AFTER INSERT ON editorial_answer BEGIN
        INSERT INTO editorial_answer_search (rowid, question, text)
        VALUES (new.id, new.question, new.text);
    END
    """,
    """
    CREATE TRIGGER editorial_answer_search_delete AFTER DELETE ON editorial_answer BEGIN
        INSERT INTO editorial_answer_search (editorial_answer_search, rowid, question, text)
        VALUES ('delete', old.id, old.question, old.text);
    END
    """,
    # Only a content change re-indexes; workflow steps update other columns.
    """
    CREATE TRIGGER editorial_answer_search_update
    AFTER UPDATE OF question, text ON editorial_answer BEGIN
        INSERT INTO editorial_answer_search (editorial_answer_search, rowid, question, text)
        VALUES ('delete', old.id, old.question, old.text);
        INSERT INTO editorial_answer_search (rowid, question, text)
        VALUES (new.id, new.question, new.text);
    END
    """,
]
SQLITE_REBUILD = "INSERT INTO editorial_answer_search (editorial_answer_search) VALUES ('rebuild')"
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS editorial_answer_search_insert",
    "DROP TRIGGER IF EXISTS editorial_answer_search_delete",
    "DROP TRIGGER IF EXISTS editorial_answer_search_update",
    "DROP TABLE IF EXISTS editorial_answer_search",
]

POSTGRESQL_CREATE = [
    # A stored column, not only an expression index: the planner often finds a page of
    # the list by walking the (document, position) order and testing each row, and
    # to_tsvector recomputed per row made a search page cost 600 ms at 200,000 answers.
    # Django does not know the column; its inserts and updates fill it all the same.
    # Words are runs of letters and digits, as SQLite's tokenizer and the search box read
    # them: PostgreSQL's parser alone drops <tags> and keeps www.mass.gov as one word.
    """
    ALTER TABLE editorial_answer ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        to_tsvector(
            'simple'::regconfig,
            regexp_replace(question || ' ' || text, '[^[:alnum:]]+', ' ', 'g')
        )
    ) STORED
    """,
    "CREATE INDEX editorial_answer_search ON editorial_answer USING gin (search_vector)",
    # A page of the list is found by the ids of an ordered index range (a deferred join);
    # with the id in the index, skipping 150,000 rows reads no table rows.
    """
    CREATE INDEX editorial_answer_list_order ON editorial_answer (document_id, position)
    INCLUDE (id)
    """,
    """
    CREATE INDEX editorial_answer_list_status ON editorial_answer
    (status, document_id, position) INCLUDE (id)
    """,
]
POSTGRESQL_DROP = [
    "DROP INDEX IF EXISTS editorial_answer_list_status",
    "DROP INDEX IF EXISTS editorial_answer_list_order",
    "DROP INDEX IF EXISTS editorial_answer_search",
    "ALTER TABLE editorial_answer DROP COLUMN IF EXISTS search_vector",
]


def _run(schema_editor, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, [SQLITE_TABLE, *SQLITE_TRIGGERS, SQLITE_REBUILD])
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRESQL_CREATE)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_DROP)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRESQL_DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0007_history_guard"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
        # The subject filter's choices and its filter, from the index.
        migrations.AddIndex(
            model_name="document",
            index=models.Index(fields=["subject"], name="editorial_d_subject_2f3e2b_idx"),
        ),
    ]
