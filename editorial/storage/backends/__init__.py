"""Django's own database backends, with one step added: the history chain is sealed just
before each commit (editorial.storage.chain).

The settings name these (`editorial.storage.backends.postgresql`, `….sqlite3`) wherever
DATABASE_URL names Django's; a system check (editorial.E010) says so if another is used.
Django has no hook before a commit; sealing there, and nowhere else, is what makes every
path that writes history sealed by construction, in commit order, with the chain's lock
held only for the commit.
"""

from __future__ import annotations

from django.db import DatabaseError

# storage.chain's attributes of a connection: the revisions its open transaction wrote,
# and the hashes of the rows it wrote in bulk.
PENDING = "editorial_chain_pending"
WRITTEN = "editorial_chain_written"


class SealsHistory:
    """A DatabaseWrapper mixin: seal the history written in a transaction as it commits."""

    def _commit(self):
        if self.connection is not None and getattr(self, PENDING, None):
            from editorial.storage import chain

            try:
                chain.seal_on(self)
            except DatabaseError:
                raise
            except Exception as error:
                # A DatabaseError, so Django's atomic rolls the transaction back.
                raise DatabaseError(f"The history could not be sealed: {error}") from error
        return super()._commit()

    def _rollback(self):
        setattr(self, PENDING, set())
        setattr(self, WRITTEN, {})
        return super()._rollback()

    def _savepoint_rollback(self, sid):
        # Rows hashed as they were written may be gone, and SQLite gives their ids again:
        # what the transaction keeps is read back whole when it is sealed.
        setattr(self, WRITTEN, {})
        return super()._savepoint_rollback(sid)
