"""A key given in a file, for backup and restore (storage.backup): the commands read it.

In a file, not on the command line: a command line shows in `ps` and the shell's history.
"""

from __future__ import annotations

from django.core.management.base import CommandError


def read_key(path: str | None) -> str | None:
    """The key in the file at `path` (its text, surrounding blanks left out), or None."""
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as source:
            key = source.read().strip()
    except OSError as error:
        raise CommandError(f"Cannot read the key file {path}: {error.strerror}.") from None
    except UnicodeDecodeError:
        raise CommandError(f"The key file {path} is not text.") from None
    if len(key) < 32:
        raise CommandError(
            f"The key in {path} is {len(key)} characters long; a backup key has at least 32."
        )
    return key
