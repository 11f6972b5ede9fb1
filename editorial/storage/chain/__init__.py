"""The history's hash chain: every revision, with the rows written with it, sealed in order.

The idea of Certificate Transparency's append-only logs: each link carries a digest over the
previous link's digest and its own content, so history cannot be changed, removed, slipped
in or rebuilt without the chain showing where. `verify` (``manage.py verify_history``)
walks it and names the first row that does not fit; every export record carries the head
it was made at.

What a link seals. One link per reversion revision: the revision row, its versions (the
content of every object saved with it), the workflow events and the approvals written
with it. Every path writes them together in one transaction (reversion's create_revision,
the bulk import, approve_many), so the revision is the unit; a link per row would more
than double the rows an import writes. `rows` lists each row sealed as "kind id sha256",
the SHA-256 of its content (`content`), so a check can name the row that changed.

One chain, not one per table: an event, the version it describes and the revision that
carries them are sealed together, their order across tables is part of what is proven,
and an export record pins one head.

Keyed. The digest is an HMAC-SHA256 with a key derived from SECRET_KEY, not a plain hash:
whoever can write to the database (its owner, a superuser, a copy of a backup) could
otherwise truncate the history and rebuild a chain that fits whatever they wrote. Without
the key they cannot. A key rotated out stays usable for verifying from
SECRET_KEY_FALLBACKS; a database restored elsewhere verifies with the key it was sealed with.

When. A transaction's revisions are noted as they are written (`note`: reversion's
post_revision_commit signal for single saves, storage.versioning.create_revisions for the
bulk paths) and sealed just before it commits (storage.backends: Django's own database
backends with that one step), under a lock: on PostgreSQL an advisory transaction lock
held from the seal to the commit, milliseconds; SQLite has one writer already. Taking the
lock last, a transaction never waits for it while holding row locks that the lock's
holder could be waiting for (no deadlock), and links come in commit order.

What counts as a row's content (`content`): every column, by name, leaving out empty values
(None, "", [], {}) so that a column added later as nullable or empty leaves older rows
fitting (a history table's new column must be so, or a migration re-seals); times in UTC
ISO 8601, JSON with sorted keys; a version's content type by name, as a restore into
another database renumbers them.
"""

from editorial.storage.chain.links import (
    CHAIN_LOCK,
    GENESIS,
    Head,
    Tables,
    content,
    digest,
    keys,
    rows_text,
)
from editorial.storage.chain.sealing import (
    head,
    head_position,
    note,
    note_copies,
    noted,
    seal,
    seal_existing,
    seal_on,
)
from editorial.storage.chain.verifying import Verification, verify

__all__ = [
    "CHAIN_LOCK",
    "GENESIS",
    "Head",
    "Tables",
    "Verification",
    "content",
    "digest",
    "head",
    "head_position",
    "keys",
    "note",
    "note_copies",
    "noted",
    "rows_text",
    "seal",
    "seal_existing",
    "seal_on",
    "verify",
]
