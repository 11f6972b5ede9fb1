"""Backup and restore of the whole editorial record, into a fresh database, verified first.

What a backup holds: every model's table, by construction (`backed_up_models`: the app
registry, less the few tables `LEFT_OUT` says why), each from one consistent snapshot.

The file is JSON Lines, written in one pass and read in two, memory flat in its size (so
compression and scale can wrap the stream later): a header line (format, when, the key's
id, the tables in order), then per table a line naming it and one line per row as Django's
serializer writes it, then the manifest: each table's row count and the SHA-256 of its row
lines, authenticated with an HMAC-SHA256 over the header and the manifest. The key is
derived from SECRET_KEY (or from a key file given to both commands, to restore into a
deployment with another SECRET_KEY); the header names it by an id, so a file made
elsewhere is told from one changed since.

Restore reads the whole file and checks all of it before writing anything: a file changed,
cut short or made with another key is refused with a sentence, and nothing is written.
Then it inserts every row into an empty, migrated database in one transaction, and checks
every reference before committing: a broken one is a sentence too, and nothing stays.

Rows keep their ids, because versions refer to answers, sources, documents and users by
id inside their serialised data; what differs between databases (content types,
permissions, groups) is written by natural key, so a freshly migrated database takes the
file whatever ids it gave those. Restoring only inserts, so the history guard (migration
0007) stays on throughout, and the history chain (storage.chain) comes back as it was:
`verify_history` checks it afterwards, with the SECRET_KEY it was sealed with.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from collections.abc import Iterator
from itertools import islice
from typing import IO

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.exceptions import ObjectDoesNotExist
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models import Model
from django.utils import timezone

FORMAT = "editorial-backup"
FORMAT_VERSION = 2

# Tables a backup leaves out, and why. Everything else the app registry knows is in it.
LEFT_OUT = {
    "contenttypes.contenttype": "made by migrate in every database; rows name them by name",
    "auth.permission": "made by migrate in every database; rows name them by name",
    "sessions.session": "sign-ins, not the record: people sign in again after a restore",
    # django-axes: who tried to sign in from where (addresses, browsers), kept for a lockout's
    # minutes and an administrator's look; not the record, and personal data a copy should
    # not carry. A restored deployment starts with nobody locked out.
    "axes.accessattempt": "failed sign-ins (lockouts): not the record",
    "axes.accessattemptexpiration": "a lockout's end: not the record",
    "axes.accesslog": "sign-ins and sign-outs by address: not the record",
    "axes.accessfailurelog": "failed sign-ins by address: not the record",
}
# Made by migrations too, but people change them (a group's permissions): kept, and restored
# by name onto the new database's own rows.
_BY_NATURAL_KEY = {"auth.group"}
_CHUNK = 2000


class BackupError(Exception):
    """A backup cannot be made or restored here; the message says why, in a sentence."""


def backed_up_models() -> list[type[Model]]:
    """Every model of every installed app but LEFT_OUT, in the order a restore inserts them:
    each after those it names by natural key (Django's sort for dumpdata)."""
    app_list = [
        (config, [m for m in config.get_models() if m._meta.label_lower not in LEFT_OUT])
        for config in apps.get_app_configs()
    ]
    return serializers.sort_dependencies(app_list, allow_cycles=True)


def _labels() -> list[str]:
    return [model._meta.label_lower for model in backed_up_models()]


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"editorial.storage.backup", hashlib.sha256).digest()


def _key_id(key: bytes) -> str:
    """A name for a key that gives nothing of it away: which key made a file."""
    return hmac.new(key, b"key id", hashlib.sha256).hexdigest()[:16]


def keys(given: str | None = None) -> list[bytes]:
    """The keys a backup may be signed with: the one given, or SECRET_KEY's then its
    fallbacks' (a key rotated since the backup still restores it)."""
    if given is not None:
        return [_key(given)]
    return [_key(settings.SECRET_KEY)] + [_key(old) for old in settings.SECRET_KEY_FALLBACKS]


def _signature(key: bytes, header: str, manifest: dict) -> str:
    message = header + "\n" + json.dumps(manifest, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


class _Encoder(DjangoJSONEncoder):
    """Times to the microsecond: Django's JSON serializer keeps only milliseconds."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _queryset(model: type[Model], using: str):
    return model._base_manager.using(using).order_by("pk")


# --- writing ------------------------------------------------------------------------------


def write_backup(
    out: IO[str], *, using: str = DEFAULT_DB_ALIAS, key: str | None = None
) -> dict[str, int]:
    """Write every backed-up table to `out` from one consistent snapshot, then the signed
    manifest; return the row count of each table."""
    signing = keys(key)[0]
    models = backed_up_models()
    connection = connections[using]
    outermost = not connection.in_atomic_block
    manifest: dict[str, dict] = {}
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql" and outermost:
            # One snapshot for every table: rows written meanwhile are in none or all.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # (SQLite: the transaction itself is the snapshot; it holds the write lock.)
        header = json.dumps(
            {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "created_at": timezone.now().isoformat(),
                "key_id": _key_id(signing),
                "tables": [model._meta.label_lower for model in models],
            }
        )
        out.write(header + "\n")
        for model in models:
            label = model._meta.label_lower
            out.write(json.dumps({"table": label}) + "\n")
            digest, count = hashlib.sha256(), 0
            for line in _lines(model, using):
                digest.update(line.encode())
                out.write(line)
                count += 1
            manifest[label] = {"rows": count, "sha256": digest.hexdigest()}
        out.write(
            json.dumps({"manifest": manifest, "hmac": _signature(signing, header, manifest)}) + "\n"
        )
    return {label: entry["rows"] for label, entry in manifest.items()}


def _lines(model: type[Model], using: str) -> Iterator[str]:
    label = model._meta.label_lower
    rows = _queryset(model, using).iterator(chunk_size=_CHUNK)
    while chunk := list(islice(rows, _CHUNK)):
        for row in serializers.serialize(
            "python",
            chunk,
            use_natural_foreign_keys=True,
            use_natural_primary_keys=label in _BY_NATURAL_KEY,
        ):
            yield json.dumps(row, cls=_Encoder) + "\n"


# --- reading ------------------------------------------------------------------------------


def verify_backup(source: IO[str], *, key: str | None = None) -> dict[str, int]:
    """Read the whole file and check it: format, every table's count and SHA-256 against
    the manifest, the manifest's signature, the tables this version backs up. Raise
    BackupError with a sentence if anything is off; return the counts."""
    header_line = source.readline()
    header = _json_line(header_line)
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError("It is not an Editorial backup (its first line is no backup header).")
    if header.get("version") != FORMAT_VERSION:
        raise BackupError(
            f"It is a backup of format version {header.get('version')!r}; this version of "
            f"Editorial restores version {FORMAT_VERSION} (earlier backups carry no manifest "
            "to verify them by)."
        )
    tables, current, digest, count = {}, None, None, 0
    manifest = None
    for number, line in enumerate(source, start=2):
        if manifest is not None:
            raise BackupError(f"It goes on after its manifest (line {number}): it was changed.")
        if not line.endswith("\n"):
            raise BackupError(_cut_short(number))
        if line.startswith('{"table": '):
            if current is not None:
                tables[current] = (count, digest.hexdigest())
            current, digest, count = _json_line(line, number)["table"], hashlib.sha256(), 0
            if current in tables:
                raise BackupError(f"It holds the table {current} twice: it was changed.")
        elif line.startswith('{"manifest": '):
            if current is not None:
                tables[current] = (count, digest.hexdigest())
            manifest = _json_line(line, number)
        elif current is None:
            raise BackupError(f"Line {number} holds a row before any table: it was changed.")
        else:
            digest.update(line.encode())
            count += 1
    if manifest is None:
        raise BackupError(_cut_short(None))
    _check_signature(header_line.rstrip("\n"), header, manifest, key)
    listed = manifest["manifest"]
    for label in sorted(set(listed) | set(tables)):
        if label not in tables or label not in listed:
            where = (
                "in its manifest but not among its rows"
                if label in listed
                else "among its rows but not in its manifest"
            )
            raise BackupError(
                f"The table {label} is {where}: the file was changed after it was written."
            )
        rows, sha256 = tables[label]
        if rows != listed[label]["rows"] or sha256 != listed[label]["sha256"]:
            raise BackupError(
                f"The rows of {label} are not those its manifest lists ({rows} rows, sha256 "
                f"{sha256[:16]}…; the manifest says {listed[label]['rows']} rows, "
                f"{listed[label]['sha256'][:16]}…): the file was changed after it was written."
            )
    ours = _labels()
    if header["tables"] != list(tables) or sorted(tables) != sorted(ours):
        extra = sorted(set(tables) - set(ours))
        missing = sorted(set(ours) - set(tables))
        raise BackupError(
            "It was made by another version of Editorial: "
            + "; ".join(
                part
                for part in (
                    f"it holds {', '.join(extra)}, which this version does not" if extra else "",
                    f"it lacks {', '.join(missing)}" if missing else "",
                    "its tables come in another order" if not (extra or missing) else "",
                )
                if part
            )
            + "."
        )
    return {label: rows for label, (rows, _) in tables.items()}


def _json_line(line: str, number: int = 1):
    try:
        return json.loads(line)
    except ValueError:
        if number == 1:
            raise BackupError(
                "It is not an Editorial backup (its first line is no backup header)."
            ) from None
        raise BackupError(f"Line {number} is not JSON: the file was changed.") from None


def _cut_short(number: int | None) -> str:
    where = f" (line {number} is incomplete)" if number else ""
    return (
        f"It ends before its manifest{where}: it is incomplete, cut short while it was "
        "written or copied."
    )


def _check_signature(header_line: str, header: dict, manifest: dict, key: str | None) -> None:
    candidates = keys(key)
    named = [k for k in candidates if hmac.compare_digest(_key_id(k), str(header.get("key_id")))]
    if not named:
        whose = "the key file given" if key is not None else "this deployment's SECRET_KEY"
        raise BackupError(
            f"It was made with another key (id {header.get('key_id')}) than {whose} (id "
            f"{_key_id(candidates[0])}): it comes from another deployment. Give the key it "
            "was made with (--key-file) to restore it."
        )
    listed = manifest.get("manifest")
    if not isinstance(listed, dict) or not hmac.compare_digest(
        str(manifest.get("hmac")), _signature(named[0], header_line, listed)
    ):
        raise BackupError(
            "Its manifest is not signed by the key it names: the file was changed after it "
            "was written."
        )


def read_backup(
    source: IO[str], *, using: str = DEFAULT_DB_ALIAS, key: str | None = None
) -> dict[str, int]:
    """Verify the whole file, then insert it into an empty, migrated database, all rows or
    none; return the counts. `source` is read twice (a file, not a pipe)."""
    counts = verify_backup(source, key=key)
    source.seek(0)
    source.readline()  # the header, checked
    models = {model._meta.label_lower: model for model in backed_up_models()}
    restored = dict.fromkeys(counts, 0)
    try:
        with transaction.atomic(using=using):
            if connections[using].vendor == "postgresql":
                # Checked at the end (below), not row by row: an answer names its approval,
                # which comes after it.
                with connections[using].cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            occupied = [
                label
                for label, model in models.items()
                if label not in _BY_NATURAL_KEY and _queryset(model, using).exists()
            ]
            if occupied:
                raise BackupError(
                    "Restore needs an empty database (migrate a new one); this one already "
                    f"has {', '.join(occupied)}."
                )
            for label, rows in _chunks(source):
                for deserialized in serializers.deserialize("python", rows, using=using):
                    deserialized.save(using=using)
                    restored[label] += 1
            _reset_sequences(using, list(models.values()))
            # Every reference checked now, not at commit: a broken one is named, and rolled back.
            connections[using].check_constraints()
    except DatabaseError as error:
        raise BackupError(
            f"Its rows do not fit together here, so nothing was restored: {_sentence(error)}"
        ) from None
    except (DeserializationError, ObjectDoesNotExist, LookupError) as error:
        raise BackupError(
            f"A row names something this database does not have, so nothing was restored: "
            f"{_sentence(error)}"
        ) from None
    if restored != counts:
        raise BackupError(f"Restored {restored}, but the backup says {counts}.")
    return restored


def _chunks(source: IO[str]) -> Iterator[tuple[str, list[dict]]]:
    """(table, a chunk of its rows) in file order, up to the manifest."""
    label, rows = None, []
    for line in source:
        if line.startswith(('{"table": ', '{"manifest": ')):
            if rows:
                yield label, rows
                rows = []
            if line.startswith('{"manifest": '):
                return
            label = json.loads(line)["table"]
            continue
        row = json.loads(line)
        if row.get("model") != label:
            raise BackupError(f"A row among those of {label} is of {row.get('model')}.")
        rows.append(row)
        if len(rows) == _CHUNK:
            yield label, rows
            rows = []


def _sentence(error: Exception) -> str:
    """An error's message on one line, ending with a full stop."""
    text = " ".join(part.strip() for part in str(error).splitlines() if part.strip())
    return text if text.endswith(".") else text + "."


def _reset_sequences(using: str, models: list[type[Model]]) -> None:
    """Rows came with their ids: new rows must be numbered after them (PostgreSQL)."""
    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
