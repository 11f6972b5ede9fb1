"""Keeping the answers' full-text index (migration 0008) in step with bulk inserts.

SQLite's FTS5 index is fed by a trigger on each inserted answer. Measured on an import
of 10,000 answers: the answers' inserts took 1.5 s with the trigger, 0.7 s with the
trigger present but doing nothing (WHEN 0; a statement that may fire a trigger keeps a
statement journal of the pages it changes, eight indexes' worth per answer here), and
0.25 s without it, plus 0.3 s to index the same rows in one INSERT … SELECT. So an
import inserts its answers inside `indexed_in_bulk()`: within its own write transaction
the trigger is dropped, the rows go in, the trigger is put back exactly as it was, and
the new rows are indexed in one statement. SQLite's schema changes are transactional: no
other connection ever sees the table without its trigger, and a failure puts it all
back. PostgreSQL computes its search column itself: nothing to do there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction

TRIGGER = "editorial_answer_search_insert"
SEARCH_TABLE = "editorial_answer_search"
BULK_HASHSIZE = 16 * 1024 * 1024
FTS5_HASHSIZE = 1024 * 1024  # FTS5's own default


@contextmanager
def indexed_in_bulk(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Answers inserted inside are indexed together when the block ends without error.

    Runs in the caller's transaction (one is opened if there is none). SQLite lets one
    writer in at a time, so the answers above the largest id seen on entry are exactly
    the ones inserted inside. If the block fails, it is all rolled back, trigger included.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield
        return
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s), "
            "(SELECT coalesce(max(id), 0) FROM editorial_answer)",
            [TRIGGER],
        )
        trigger, last_id = cursor.fetchone()
        if trigger:
            cursor.execute(f"DROP TRIGGER {TRIGGER}")
        yield
        if trigger:
            cursor.execute(trigger)
        # FTS5 keeps new terms in memory up to its 'hashsize' (1 MiB unless set) before
        # writing them out as a segment to be merged later: 16 MiB for the bulk insert, then
        # set back (to its value, or FTS5's default), took 40,000 answers 0.75-0.77 s to
        # index instead of 0.86-0.88 s (2,000 files imported, three A/B pairs: 0.0-0.19 s
        # less CPU time).
        cursor.execute(f"SELECT v FROM {SEARCH_TABLE}_config WHERE k = 'hashsize'")
        kept = cursor.fetchone()
        _configure(cursor, "hashsize", BULK_HASHSIZE)
        cursor.execute(
            f"INSERT INTO {SEARCH_TABLE} (rowid, question, text) "
            "SELECT id, question, text FROM editorial_answer WHERE id > %s",
            [last_id],
        )
        _configure(cursor, "hashsize", FTS5_HASHSIZE if kept is None else kept[0])


def _configure(cursor, option: str, value) -> None:
    """Set one of the FTS5 table's configuration options (stored with the table)."""
    cursor.execute(
        f"INSERT INTO {SEARCH_TABLE} ({SEARCH_TABLE}, rank) VALUES (%s, %s)", [option, value]
    )
