"""What a backup file is: its tables, its keys and signature, its compression."""

from __future__ import annotations

import datetime
import gzip
import hashlib
import hmac
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model
from zstandard import ZstdCompressor, ZstdDecompressor, ZstdError

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
    # The task queue's working rows (django-tasks-db): restored, yesterday's queued work
    # would run again against files the backup does not hold. Each job's record
    # (editorial.job) is kept; a restore fails the jobs it finds unfinished, saying why.
    "django_tasks_database.dbtaskresult": "the task queue's working rows: not the record",
}
# Made by migrations too, but people change them (a group's permissions): kept, and restored
# by name onto the new database's own rows.
BY_NATURAL_KEY = {"auth.group"}
CHUNK = 2000

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# Backups are written with zstd (the `zstandard` library; Python 3.14's compression.zstd
# reads them too). gzip was most of a backup's time and still too large: at 1,000,000
# answers level 3 wrote 1.09 GB in 199 s; on 100 MB of a benchmark backup's rows (one core)
# gzip gave 7.2x at 77 MB/s, zstd level 3 over 100x at 1,350 MB/s (real texts repeat less).
# Its checksum catches a changed byte; it compresses on a thread of its own beside the
# rows' encoding. gzip files, as backups were written before, still restore.
ZSTD_LEVEL = 3


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


def labels() -> list[str]:
    return [model._meta.label_lower for model in backed_up_models()]


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"editorial.storage.backup", hashlib.sha256).digest()


def key_id(key: bytes) -> str:
    """A name for a key that gives nothing of it away: which key made a file."""
    return hmac.new(key, b"key id", hashlib.sha256).hexdigest()[:16]


def keys(given: str | None = None) -> list[bytes]:
    """The keys a backup may be signed with: the one given, or SECRET_KEY's then its
    fallbacks' (a key rotated since the backup still restores it)."""
    if given is not None:
        return [_key(given)]
    return [_key(settings.SECRET_KEY)] + [_key(old) for old in settings.SECRET_KEY_FALLBACKS]


def signature(key: bytes, header: str, manifest: dict) -> str:
    message = header + "\n" + json.dumps(manifest, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


class _Encoder(DjangoJSONEncoder):
    """Times to the microsecond: Django's JSON serializer keeps only milliseconds."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


# One encoder for every row: json.dumps(row, cls=_Encoder) made one per row, same output.
encode = _Encoder().encode


def writer(out: IO[bytes], *, compress: bool) -> IO[bytes]:
    """Where the lines go: through zstd unless told not to; closing it ends the frame and
    leaves `out` open. The frame carries no name or time, so two backups of the same rows
    differ only in their header line."""
    if not compress:
        return out
    compressor = ZstdCompressor(level=ZSTD_LEVEL, write_checksum=True, threads=1)
    return compressor.stream_writer(out, closefd=False)


class _ZstdLines(io.RawIOBase):
    """A zstd stream's bytes, that knows a stream cut short (EOFError, as gzip says it)
    from one that ended, and refuses bytes after its end (ZstdError), as gzip does."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source, self.pending, self.offset = source, b"", 0
        self.stream = ZstdDecompressor().decompressobj()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self.offset == len(self.pending):
            if self.stream.eof:
                if self.stream.unused_data or self.source.read(1):
                    raise ZstdError("data after the end of the compressed stream")
                return 0
            compressed = self.source.read(1 << 13)  # at most a few MB out, however well packed
            if not compressed:
                raise EOFError("the compressed stream ends before its end")
            self.pending, self.offset = self.stream.decompress(compressed), 0
        size = min(len(buffer), len(self.pending) - self.offset)
        buffer[:size] = self.pending[self.offset : self.offset + size]
        self.offset += size
        return size


@contextmanager
def reader(source: IO[bytes]) -> Iterator[IO[str]]:
    """The lines of a backup, compressed or not: told by its first bytes, not its name (a
    file renamed, or read from a copy with another name, still reads)."""
    start = source.read(4)
    source.seek(0)
    if start.startswith(ZSTD_MAGIC):
        source = io.BufferedReader(_ZstdLines(source), buffer_size=1 << 16)
    elif start.startswith(GZIP_MAGIC):
        source = gzip.GzipFile(fileobj=source, mode="rb")
    text = io.TextIOWrapper(source, encoding="utf-8")
    try:
        yield text
    finally:
        text.detach()  # the file is the caller's, to read again or close
