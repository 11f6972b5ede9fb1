"""storage.statistics: bulk work leaves the planner statistics of what it wrote, at once.

On PostgreSQL an import that changes more of a table than autovacuum's threshold analyses
it once committed (pg_class.reltuples, which only ANALYZE and VACUUM set, then counts the
imported rows); a small change does not; a role that does not own the tables skips it
without a warning. On SQLite nothing is asked of the database.
"""

from __future__ import annotations

import pytest
from django.db import connection

from editorial.importers import import_contents, import_paths
from editorial.models import Answer
from editorial.storage import statistics
from tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="PostgreSQL's planner statistics"
)
TABLE = Answer._meta.db_table


def three_copies() -> list[tuple[str, bytes]]:
    """The seed files three times over under other names: more answers than autovacuum's
    fixed threshold of 50."""
    return [
        (f"{copy}-{path.name}", path.read_bytes())
        for copy in range(3)
        for path in sorted(FIXTURES.glob("*.txt"))
    ]


def reltuples(table: str = TABLE) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def analyze_now(table: str = TABLE) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


@on_postgresql
def test_an_import_analyses_the_tables_it_filled(django_capture_on_commit_callbacks):
    analyze_now()  # the planner believes the table empty, as after migrate
    assert reltuples() == 0

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        summary = import_contents(three_copies())

    assert summary.total("created") == Answer.objects.count() > 0
    assert len(callbacks) == 1
    assert reltuples() == Answer.objects.count()


@on_postgresql
def test_statistics_wait_for_the_commit(django_capture_on_commit_callbacks):
    analyze_now()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        import_contents(three_copies())
    # Nothing analysed inside the transaction: a rolled-back import teaches the planner nothing.
    assert reltuples() == 0
    assert len(callbacks) == 1


@on_postgresql
def test_a_change_under_autovacuums_threshold_is_left_to_it():
    import_paths([FIXTURES])
    analyze_now()
    rows = Answer.objects.count()
    below = statistics.ANALYZE_THRESHOLD + int(statistics.ANALYZE_SCALE_FACTOR * rows) - 1

    assert statistics.analyze_if_stale({TABLE: below}) == []
    assert statistics.analyze_if_stale({TABLE: below + 2}) == [TABLE]


@on_postgresql
def test_a_role_that_owns_nothing_skips_it_without_a_warning():
    notices = []

    def heard(notice) -> None:  # the notice is freed once the handler returns
        notices.append((notice.severity, notice.message_primary))

    connection.ensure_connection()
    connection.connection.add_notice_handler(heard)
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE editorial_statistics_probe")
        cursor.execute(f"GRANT SELECT ON {TABLE} TO editorial_statistics_probe")
        cursor.execute("SET LOCAL ROLE editorial_statistics_probe")
        try:
            assert statistics.analyze_if_stale({TABLE: 10**9}) == []
            # What skipping spares it: PostgreSQL's own refusal, as a warning.
            cursor.execute(f"ANALYZE {TABLE}")
        finally:
            cursor.execute("RESET ROLE")
            connection.connection.remove_notice_handler(heard)
    assert len(notices) == 1
    assert notices[0][0] == "WARNING" and "skipping" in notices[0][1]


def test_sqlite_is_asked_nothing(django_capture_on_commit_callbacks):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's path")
    with django_capture_on_commit_callbacks() as callbacks:
        statistics.after_bulk_work({Answer: 10**6})
    assert callbacks == []
