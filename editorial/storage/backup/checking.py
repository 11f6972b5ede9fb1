"""Checking a whole backup before anything is written: its format, every table's rows against
the signed manifest, the key that signed it, the tables this version backs up."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import zlib
from typing import IO

from zstandard import ZstdError

from .format import (
    FORMAT,
    FORMAT_VERSION,
    GZIP_MAGIC,
    LEFT_OUT,
    ZSTD_MAGIC,
    BackupError,
    key_id,
    keys,
    labels,
    reader,
    signature,
)


def verify_backup(source: IO[bytes], *, key: str | None = None) -> dict[str, int]:
    """Read the whole file (gzip or plain, told by its first bytes) and check it: format,
    every table's count and SHA-256 against the manifest, the manifest's signature, the
    tables this version backs up. Raise BackupError with a sentence if anything is off;
    return the counts. Memory stays flat: one line at a time."""
    compressed = source.read(4)[:2] in (GZIP_MAGIC, ZSTD_MAGIC[:2])
    source.seek(0)
    try:
        with reader(source) as text:
            return _verify_lines(text, key)
    except EOFError:
        raise BackupError(
            "It ends before its manifest: its compressed stream is incomplete, cut short "
            "while it was written or copied."
        ) from None
    except (gzip.BadGzipFile, zlib.error, ZstdError) as error:
        raise BackupError(
            f"Its compressed stream is damaged ({_plain(error)}): it was changed or corrupted "
            "after it was written."
        ) from None
    except UnicodeDecodeError:
        if compressed:
            raise BackupError(
                "What its compressed stream holds is not text: it was changed or corrupted "
                "after it was written."
            ) from None
        raise BackupError("It is not an Editorial backup (it is not text).") from None


def _plain(error: Exception) -> str:
    return str(error).rstrip(".") or type(error).__name__


def _verify_lines(source: IO[str], key: str | None) -> dict[str, int]:
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
    ours = labels()
    # A backup made before a table was left out still restores: its rows are checked above
    # and then passed over.
    kept = [label for label in tables if label not in LEFT_OUT]
    if [label for label in header["tables"] if label not in LEFT_OUT] != kept or sorted(
        kept
    ) != sorted(ours):
        extra = sorted(set(kept) - set(ours))
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
    named = [k for k in candidates if hmac.compare_digest(key_id(k), str(header.get("key_id")))]
    if not named:
        whose = "the key file given" if key is not None else "this deployment's SECRET_KEY"
        raise BackupError(
            f"It was made with another key (id {header.get('key_id')}) than {whose} (id "
            f"{key_id(candidates[0])}): it comes from another deployment. Give the key it "
            "was made with (--key-file) to restore it."
        )
    listed = manifest.get("manifest")
    if not isinstance(listed, dict) or not hmac.compare_digest(
        str(manifest.get("hmac")), signature(named[0], header_line, listed)
    ):
        raise BackupError(
            "Its manifest is not signed by the key it names: the file was changed after it "
            "was written."
        )
