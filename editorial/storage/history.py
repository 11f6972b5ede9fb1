"""History that cannot be erased: the event log, reversion's revisions and versions, the
approvals and the hash chain's links.

Two layers. The database refuses every UPDATE and DELETE of those rows (triggers, see
migrations 0007 and 0014), whatever the path: the ORM's bulk writes, raw SQL, reversion's
`deleterevisions`. In front of it, the ORM paths that can name the mistake refuse first
with a readable `HistoryIsPermanent`: `update()/delete()` of events, approvals and links
(models.records.AppendOnly) and any collector delete of a revision or version
(`Revision.objects.filter(...).delete()`, which is what `deleterevisions` runs).

Both stop mistakes, not the database's owner or a superuser: on PostgreSQL the service runs
as a role that may not change these tables at all (storage.roles), and on both databases
the hash chain shows any change (storage.chain).

`unlocked()` lifts both layers for one connection inside one transaction. Only `flush`
uses it (an empty database, history included, where the settings allow it: the test
suite's transactional tests); the app itself only ever appends to these tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction

# The guard's first layer lives beside the event log's queryset, which it protects.
from editorial.querysets import UNLOCKED_ATTRIBUTE, HistoryIsPermanent, is_unlocked

__all__ = [
    "HistoryIsPermanent",
    "install_sqlite_function",
    "is_unlocked",
    "refuse_delete",
    "unlocked",
]


@contextmanager
def unlocked(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Let this connection change and delete history rows, inside one transaction.

    PostgreSQL: a transaction-local setting the triggers read, so it ends with the
    transaction (or the savepoint) whatever happens. SQLite: the connection's
    `editorial_history_unlocked()` function, which the triggers call.
    """
    connection = connections[using]
    previous = getattr(connection, UNLOCKED_ATTRIBUTE, False)
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('editorial.history_unlocked', 'on', true)")
        setattr(connection, UNLOCKED_ATTRIBUTE, True)
        try:
            yield
        finally:
            setattr(connection, UNLOCKED_ATTRIBUTE, previous)
        if connection.vendor == "postgresql" and not previous:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('editorial.history_unlocked', 'off', true)")


def install_sqlite_function(sender, connection, **kwargs) -> None:
    """connection_created: give each SQLite connection the function its triggers ask."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "editorial_history_unlocked",
            0,
            lambda: int(getattr(connection, UNLOCKED_ATTRIBUTE, False)),
        )


def refuse_delete(sender, instance, using, **kwargs) -> None:
    """pre_delete of a revision or version: name the mistake before the database does."""
    if not is_unlocked(using):
        raise HistoryIsPermanent(
            f"Editorial history is permanent: {sender._meta.verbose_name_plural} cannot be "
            "deleted (reversion's deleterevisions and QuerySet.delete() are refused)."
        )
