"""Django's postgresql backend, sealing the history chain before each commit (storage.backends)."""

from django.db.backends.postgresql import base

from editorial.storage.backends import SealsHistory


class DatabaseWrapper(SealsHistory, base.DatabaseWrapper):
    pass
