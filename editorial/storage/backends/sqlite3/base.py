"""Django's sqlite3 backend, sealing the history chain before each commit (storage.backends),
and closing its connections when the process ends.

SQLite deletes the write-ahead log when the last connection to a database closes, its pages
copied in. Management commands close their own thread's connections; nothing else did: a
script (the benchmarks' processes are scripts) or another thread of a command (runserver
answers each request in one) ended with its connection open and left the log behind. The
next process to open the database, finding no one else there, rebuilt the log's index as if
nothing in it had been copied yet: it copied the whole log again at its first checkpoint,
and added to the log instead of starting it over. Twenty imports of 100 files in a row into
200,000 answers, each a process of its own (bench/import_bench.py's): the log grew by 26 MB
each time and each import copied all of it again, 0.61 s for the first and 1.0 s for the
twentieth; with the connections closed at exit, 0.46-0.58 s throughout.
"""

from __future__ import annotations

import atexit
import weakref

from django.db.backends.sqlite3 import base

from editorial.storage.backends import SealsHistory

# Every wrapper of this process (its threads' too), for closing their connections at exit.
_WRAPPERS: weakref.WeakSet[DatabaseWrapper] = weakref.WeakSet()


class DatabaseWrapper(SealsHistory, base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        _WRAPPERS.add(self)
        return connection


@atexit.register
def _close_connections() -> None:
    """Close each open connection as the process ends, the last one taking its log with it.

    Closed directly (Django's close() refuses a connection of another thread). A transaction
    still open is rolled back, as it would be if the process had died."""
    for wrapper in list(_WRAPPERS):
        connection, wrapper.connection = wrapper.connection, None
        if connection is not None:
            connection.close()
