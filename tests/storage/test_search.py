"""storage.search: an import indexes its answers in one statement, and nothing else changes.

The trigger that indexes each inserted answer stands aside only inside the import's own
transaction: afterwards it is back exactly as it was, a failure inside leaves it there and
indexes nothing, and the index holds every answer once (FTS5's own integrity check). The
larger buffer the bulk insert gives FTS5 is set back (to its value, or FTS5's default).
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from editorial.importers import import_contents
from editorial.models import Answer, Document
from editorial.storage.search import TRIGGER, indexed_in_bulk

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="PostgreSQL computes its search column itself"
    ),
]


def trigger_sql() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [TRIGGER]
        )
        row = cursor.fetchone()
    return row and row[0]


def matching(word: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM editorial_answer_search WHERE editorial_answer_search MATCH %s",
            [f'"{word}"'],
        )
        return {rowid for (rowid,) in cursor.fetchall()}


def check_index() -> None:
    """FTS5's integrity check: raises if the index and the answers disagree."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO editorial_answer_search (editorial_answer_search) "
            "VALUES ('integrity-check')"
        )


def test_imported_answers_are_indexed_and_the_trigger_is_back_as_it_was():
    before = trigger_sql()
    assert before and "AFTER INSERT ON editorial_answer" in before
    summary = import_contents(
        [
            ("a.txt", b"1. What is zanzibarite?\nA mineral called zanzibarite.\n"),
            ("b.txt", b"1. Is it rare?\nZanzibarite is rare.\n2. Where?\nNowhere.\n"),
        ]
    )
    assert summary.total("created") == 3 and not summary.failed
    assert trigger_sql() == before
    assert matching("zanzibarite") == set(
        Answer.objects.filter(document__name__in=["a.txt", "b.txt"])
        .exclude(position=2)
        .values_list("pk", flat=True)
    )
    # An answer inserted any other way is indexed by the trigger, as before.
    later = Answer.objects.create(
        document=Document.objects.get(name="a.txt"),
        position=9,
        question="Later?",
        text="Quokkalite arrives later.",
        imported_question="Later?",
        imported_text="Quokkalite arrives later.",
    )
    assert matching("quokkalite") == {later.pk}
    check_index()


def test_a_failure_inside_indexes_nothing_and_keeps_the_trigger():
    before = trigger_sql()
    document = Document.objects.create(
        name="c.txt", content_hash="x", imported_at="2026-11-24T00:00Z"
    )
    with pytest.raises(RuntimeError), transaction.atomic(), indexed_in_bulk():
        Answer.objects.bulk_create(
            [Answer(document=document, position=1, question="Q?", text="Wombatite.")]
        )
        assert trigger_sql() is None  # inside, in this transaction only
        raise RuntimeError("the import failed")
    assert trigger_sql() == before
    assert not Answer.objects.filter(document=document).exists()
    assert matching("wombatite") == set()
    check_index()


def fts5_option(name: str) -> str | None:
    """One of the FTS5 table's stored options, or None where it was never set."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT v FROM editorial_answer_search_config WHERE k = %s", [name])
        row = cursor.fetchone()
    return row and str(row[0])


@pytest.mark.parametrize("set_before", [None, 2 * 1024 * 1024])
def test_the_bulk_insert_leaves_fts5s_hashsize_as_it_was(set_before):
    """indexed_in_bulk raises FTS5's in-memory buffer for its one insert and sets it back:
    to the value it had, or to FTS5's default where none was set."""
    if set_before:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO editorial_answer_search (editorial_answer_search, rank) "
                "VALUES ('hashsize', %s)",
                [set_before],
            )
    import_contents([("a.txt", b"1. What is zanzibarite?\nA mineral called zanzibarite.\n")])
    assert fts5_option("hashsize") == str(set_before or 1024 * 1024)
    assert len(matching("zanzibarite")) == 1
    check_index()


def test_the_index_merges_eight_segments_at_a_time_whatever_an_import_changes():
    """Migration 0029: fewer levels, so each word is written again fewer times as the index
    grows; an import's own changes to FTS5's options leave this one alone."""
    assert fts5_option("automerge") == "8"
    import_contents([("a.txt", b"1. What is zanzibarite?\nA mineral called zanzibarite.\n")])
    assert fts5_option("automerge") == "8"
    check_index()


def test_the_service_never_writes_a_freed_page_only_to_zero_it():
    """secure_delete=FAST on every connection (config.settings), whatever SQLite was built
    with: 2 is FAST (1, on, is what Debian builds it with; 0 is off)."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        assert cursor.fetchone()[0] == 2
