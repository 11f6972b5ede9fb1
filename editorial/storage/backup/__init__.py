"""Backup and restore of the whole editorial record, into a fresh database, verified first.

What a backup holds: every model's table, by construction (`backed_up_models`: the app
registry, less the few tables `LEFT_OUT` says why), each from one consistent snapshot.

The file is JSON Lines, zstd-compressed (plain text on request, and gzip or plain files of
before still restore: a file is told by its first bytes, not its name), written in one
pass and read in two, memory flat in the database's size: a header line (format, when,
the key's id, the tables in order), then per table a line naming it and one line per row
as Django's serializer writes it, then the manifest: each table's row count and the
SHA-256 of its row lines (uncompressed, so the compression level changes nothing),
authenticated with an HMAC-SHA256 over the header and the manifest. The key is derived
from SECRET_KEY (or from a key file given to both commands, to restore into a deployment
with another SECRET_KEY); the header names it by an id, so a file made elsewhere is told
from one changed since.

Restore reads the whole file and checks all of it before writing anything: a file changed
(in its rows or in its compressed bytes), cut short or made with another key is refused
with a sentence, and nothing is written. Then it inserts every row into an empty, migrated
database in one transaction, in batches, and checks every reference before committing: a
broken one is a sentence too, and nothing stays.

Rows keep their ids, because versions refer to answers, sources, documents and users by
id inside their serialised data; what differs between databases (content types,
permissions, groups) is written by natural key, so a freshly migrated database takes the
file whatever ids it gave those. Restoring only inserts, so the history guard (migration
0007) stays on throughout, and the history chain (storage.chain) comes back as it was:
`verify_history` checks it afterwards, with the SECRET_KEY it was sealed with.

format: the tables, keys, signature and compression; writing: the backup; checking: the
first pass of a restore; restoring: the second.
"""

from .checking import verify_backup
from .format import (
    FORMAT,
    FORMAT_VERSION,
    LEFT_OUT,
    BackupError,
    backed_up_models,
    key_id,
    keys,
    signature,
)
from .restoring import read_backup
from .writing import write_backup

# The names the tests and the commands have always used.
_signature = signature
_key_id = key_id

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "LEFT_OUT",
    "BackupError",
    "backed_up_models",
    "keys",
    "read_backup",
    "verify_backup",
    "write_backup",
]
