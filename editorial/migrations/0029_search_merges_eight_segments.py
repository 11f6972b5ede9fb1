"""SQLite: the search index merges its segments eight at a time, not four.

FTS5 writes each import's new words as a segment and merges segments of one level into one
of the next once there are 'automerge' of them (4 unless set), a little after each write,
in proportion to the number of levels. Every word is thus written again once per level: at
200,000 answers the index had three levels with 4, two with 8. Sixteen imports of 100
files in a row into 200,000 answers wrote 63.9 MB each on average with 4, 57.4 MB with 8
(a 100-file import into an empty database writes 36 MB either way). A search reads every
segment, and took about as long (MATCH alone, 200,000 answers: 0.1-6 ms for a word; 68 ms
with 11 segments against 103 ms with 13 for a prefix of the commonest, and 92 ms with all
merged into one). 8 stays below FTS5's 'crisismerge' (16), where merging would stop being
gradual. The setting is stored with the index; PostgreSQL has no such index.
"""

from django.db import migrations

SET = "INSERT INTO editorial_answer_search (editorial_answer_search, rank) VALUES ('automerge', %s)"


def merge_eight(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SET, [8])


def merge_four(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SET, [4])


class Migration(migrations.Migration):
    dependencies = [("editorial", "0028_fingerprint_index_active_only")]

    operations = [migrations.RunPython(merge_eight, merge_four, elidable=False)]
