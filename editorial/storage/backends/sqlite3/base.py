"""Django's sqlite3 backend, sealing the history chain before each commit (storage.backends)."""

from django.db.backends.sqlite3 import base

from editorial.storage.backends import SealsHistory


class DatabaseWrapper(SealsHistory, base.DatabaseWrapper):
    pass
