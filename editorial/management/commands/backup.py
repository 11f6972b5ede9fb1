"""Write the whole editorial record to one zstd-compressed file with a signed manifest, for
`restore`."""

import io

from django.core.management.base import BaseCommand, CommandError

from editorial.management.keys import read_key
from editorial.storage.backup import BackupError, write_backup


class Command(BaseCommand):
    help = (
        "Back up every table of the editorial record (users and groups, documents, answers, "
        "sources, claims, revisions, versions, events, approvals, the history chain, notices, "
        "exports, review timings, the admin's log) to PATH (or - for stdout), from one "
        "snapshot, with a manifest of each table's rows and SHA-256, signed with a key from "
        "SECRET_KEY (or --key-file). Compressed with zstd unless --uncompressed."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="file to write, or - for stdout")
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--key-file",
            help="sign with the key in this file instead of SECRET_KEY's (give it to restore "
            "too): for a backup to restore where SECRET_KEY differs",
        )
        parser.add_argument(
            "--uncompressed",
            action="store_true",
            help="write plain JSON Lines (several times larger) instead of zstd",
        )

    def handle(self, *args, **options):
        path = options["path"]
        key = read_key(options["key_file"])
        compress = not options["uncompressed"]
        write = {"using": options["database"], "key": key, "compress": compress}
        try:
            if path == "-":
                out = self.stdout._out
                out = getattr(out, "buffer", out)  # bytes: the terminal's, or a pipe's
                if isinstance(out, io.TextIOBase):
                    raise CommandError("Standard output takes only text here; give a file.")
                if compress and out.isatty():
                    raise CommandError(
                        "Standard output is a terminal: redirect it to a file or a pipe, or "
                        "give --uncompressed to read the backup there."
                    )
                counts = write_backup(out, **write)
                out.flush()
            else:
                with open(path, "wb") as out:
                    counts = write_backup(out, **write)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}.") from None
        except BackupError as error:
            raise CommandError(str(error)) from None
        summary = ", ".join(f"{label} {count}" for label, count in counts.items())
        self.stderr.write(f"Backed up {sum(counts.values())} rows ({summary}).")
