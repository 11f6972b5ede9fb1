"""Fresh planner statistics after bulk work, at once rather than at autovacuum's next pass.

PostgreSQL plans from statistics that ANALYZE gathers; autovacuum gathers them once a
table has changed by 50 rows plus a tenth of its size, but only at its next pass (a minute
apart by default, longer when it is busy with a big table). Straight after a large import
the planner still believes the answers table is empty or a tenth of its size, and picks
scans that read everything: the first `submit` after a 500,000-answer import took 390 ms
instead of a few. So the bulk paths (imports, bulk steps) say how many rows they changed
per table, and once their work is committed, each table that crossed autovacuum's own
threshold is analysed there and then.

ANALYZE needs the table's owner (or, from PostgreSQL 17, the MAINTAIN privilege): a service
role that owns nothing (storage.roles) skips it, and autovacuum does it at its next pass.
SQLite plans without gathered statistics unless asked, so there is nothing to do there.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Model

# autovacuum_analyze_threshold and autovacuum_analyze_scale_factor, as PostgreSQL ships them.
ANALYZE_THRESHOLD = 50
ANALYZE_SCALE_FACTOR = 0.1


def after_bulk_work(changed: Mapping[type[Model], int], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Once the current transaction commits (at once outside one), analyse each table whose
    changes cross autovacuum's threshold. `changed`: rows written per model."""
    if connections[using].vendor != "postgresql":
        return
    counts = {model._meta.db_table: rows for model, rows in changed.items() if rows}
    if counts:
        transaction.on_commit(lambda: analyze_if_stale(counts, using=using), using=using)


def analyze_if_stale(changed: Mapping[str, int], *, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """ANALYZE each named table whose rows changed since its last analysis (those counted by
    the caller, plus those PostgreSQL has counted) pass autovacuum's threshold; returns the
    tables analysed. One query to decide, whatever the number of tables."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reltuples, COALESCE(s.n_mod_since_analyze, 0) "
            "FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
            "WHERE c.relname = ANY(%s) AND c.relkind = 'r' "
            "AND c.relnamespace = to_regnamespace(current_schema()) "
            "AND (pg_has_role(current_user, c.relowner, 'USAGE') "
            "     OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user))",
            [list(changed)],
        )
        stale = [
            name
            for name, tuples, counted in cursor.fetchall()
            if changed[name] + counted > ANALYZE_THRESHOLD + ANALYZE_SCALE_FACTOR * max(tuples, 0)
        ]
        for name in stale:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(name)}")
    return stale
