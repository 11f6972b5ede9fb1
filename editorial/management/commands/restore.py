"""Load a `backup` file into a new, migrated, empty database: verified whole first, then all
of it or nothing."""

from django.core.management.base import BaseCommand, CommandError

from editorial.management.keys import read_key
from editorial.storage.backup import BackupError, read_backup


class Command(BaseCommand):
    help = (
        "Restore a file written by `backup` into this database, which must be migrated and "
        "empty (no users, documents or history). The whole file is checked against its "
        "signed manifest before anything is written; then all rows or none."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            help="a file written by `manage.py backup` (zstd, gzip or plain JSON Lines)",
        )
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--key-file",
            help="the key file the backup was made with, if not this deployment's SECRET_KEY",
        )

    def handle(self, *args, **options):
        path = options["path"]
        key = read_key(options["key_file"])
        try:
            with open(path, "rb") as source:  # zstd, gzip or plain: read_backup tells
                counts = read_backup(source, using=options["database"], key=key)
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        except UnicodeDecodeError:
            raise CommandError(
                f"{path} is not an Editorial backup (it is not text); nothing was restored."
            ) from None
        except BackupError as error:
            message = str(error)
            if "nothing was restored" not in message:
                message = message.rstrip(".") + "; nothing was restored."
            raise CommandError(f"{path}: {message}") from None
        summary = ", ".join(f"{label} {count}" for label, count in counts.items())
        self.stdout.write(f"Restored {sum(counts.values())} rows ({summary}).")
