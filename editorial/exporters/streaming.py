"""An export run: the query read a chunk ahead, the text encoded in chunks, hashed, recorded.

Memory stays flat in the number of answers: rows, records and bytes pass through a chunk
at a time, and every finished export is recorded with the hash of exactly its bytes.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from itertools import islice
from typing import Any, BinaryIO

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connections, transaction
from django.db.models import QuerySet

from editorial.exporters.formats import FORMATS
from editorial.exporters.query import Record, approved_versions, readable_names, records
from editorial.models import Answer, Document, ExportRecord
from editorial.storage import chain

CHUNK_SIZE = 2000  # rows per database fetch: a few MB of text at most
BUFFER_CHARS = 64 * 1024  # text gathered before a chunk of bytes is handed on


class ExportError(Exception):
    """An export cannot run as asked; the message says why."""


def _encoded(pieces: Iterable[str]) -> Iterator[bytes]:
    """UTF-8 chunks of about BUFFER_CHARS, each ending on a whole piece of text: a chunk
    then decodes on its own, as the command's write to a text stdout needs."""
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= BUFFER_CHARS:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


_END = object()


@contextmanager
def read_ahead(rows: Iterator[tuple], *, chunk: int = CHUNK_SIZE) -> Iterator[Iterator[tuple]]:
    """The rows, read a chunk ahead on a thread while this thread writes the chunk before.

    An export's time was the database's time to produce its rows plus Python's to write
    them, one after the other (PostgreSQL: a fifth of it the server's). Read ahead, the
    two overlap: the database driver waits for the next rows without holding the GIL.
    The first row is read here, so the query runs on this thread's connection; the
    thread only goes on fetching from its cursor. Leaving the block early (a download
    cut short) stops the thread and closes the cursor before the connection is used again.
    """
    first = next(rows, _END)
    chunks: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def hand_over(item) -> bool:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def fetch() -> None:
        try:
            while not stop.is_set():
                batch = list(islice(rows, chunk))
                if not batch or not hand_over(batch):
                    break
            hand_over(_END)
        except BaseException as error:  # handed to the reading thread, raised there
            hand_over(error)
        finally:
            rows.close()

    def read() -> Iterator[tuple]:
        if first is _END:
            return
        yield first
        while (batch := chunks.get()) is not _END:
            if isinstance(batch, BaseException):
                raise batch
            yield from batch

    worker = threading.Thread(target=fetch, name="export-read-ahead", daemon=True)
    if first is not _END:
        worker.start()
    try:
        yield read()
    finally:
        stop.set()
        if worker.is_alive():
            worker.join()
        rows.close()


@contextmanager
def _small_sqlite_cache(using: str) -> Iterator[None]:
    """A 16 MiB page cache on this connection while an export reads.

    The export's sort of every approved answer holds up to the page cache in memory
    before spilling to temporary files. With the 64 MiB the settings give imports, an
    export's heap grew with the answers (86 → 195 MB from 10,000 to 200,000); with
    SQLite's default 2 MiB it stayed flat but spilled so often that 200,000 answers went
    out at 28,000/s; 16 MiB: 86 → 96 MB and 35,800/s.
    """
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute("PRAGMA cache_size = -16384")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


class Export:
    """One export: streams the bytes, then records who took what and the hash of exactly that."""

    def __init__(
        self,
        format_name: str,
        *,
        user: AbstractBaseUser | None = None,
        channel: str,
        answers: QuerySet[Answer] | None = None,
        documents: Iterable[str] | None = None,
        filters: dict[str, Any] | None = None,
    ) -> None:
        if format_name not in FORMATS:
            raise ExportError(
                f"Unknown format {format_name!r}; choose one of {', '.join(FORMATS)}."
            )
        self.format = FORMATS[format_name]
        self.user = user
        self.channel = channel
        self.answers = answers
        self.documents = None if documents is None else sorted(set(documents))
        if self.documents is not None:
            known = set(
                Document.objects.filter(name__in=self.documents).values_list("name", flat=True)
            )
            if unknown := [name for name in self.documents if name not in known]:
                raise ExportError(f"No document named {', '.join(map(repr, unknown))}.")
        if filters is None:
            filters = {"documents": self.documents} if self.documents is not None else {}
        self.filters = filters
        self.count = 0
        self.sha256 = ""
        self.head = chain.Head()
        self.record: ExportRecord | None = None

    def _records(self) -> Iterator[Record]:
        query = approved_versions(
            answers=self.answers,
            documents=self.documents,
            with_import=self.format.with_import,
            with_provenance=self.format.with_provenance,
        )
        # PostgreSQL: a server-side cursor opened outside a transaction is declared WITH
        # HOLD, and the server then writes out the whole result before the first row
        # leaves. Inside one, rows stream as they are read. (SQLite's transactions here
        # take the write lock, and a single SELECT already reads one snapshot.)
        vendor = connections[query.db].vendor
        streaming = (
            transaction.atomic(using=query.db, savepoint=False)
            if vendor == "postgresql"
            else _small_sqlite_cache(query.db)
            if vendor == "sqlite"
            else nullcontext()
        )
        with streaming:
            # The history as the export found it: its record pins the chain's head.
            self.head = chain.head(query.db)
            yield from self._read(query)

    def _read(self, query) -> Iterator[Record]:
        names = readable_names(self.documents) if self.format.with_names else None
        with read_ahead(query.iterator(chunk_size=CHUNK_SIZE)) as rows:
            for record in records(
                rows,
                with_import=self.format.with_import,
                with_provenance=self.format.with_provenance,
                names=names,
            ):
                self.count += 1
                yield record

    def stream(self) -> Iterator[bytes]:
        """The export's bytes; the ExportRecord is written once the last chunk is out."""
        digest = hashlib.sha256()
        for chunk in _encoded(self.format.write(self._records())):
            digest.update(chunk)
            yield chunk
        # Only a complete export is recorded: its hash then proves what was handed out.
        self.sha256 = digest.hexdigest()
        self.record = ExportRecord.objects.create(
            created_by=self.user,
            format=self.format.name,
            filters=self.filters,
            answer_count=self.count,
            sha256=self.sha256,
            channel=self.channel,
            chain_position=self.head.position,
            chain_digest=self.head.digest,
        )

    def write_to(self, out: BinaryIO) -> None:
        """Write the whole export to a binary file; count, hash and record are set after."""
        for chunk in self.stream():
            out.write(chunk)
