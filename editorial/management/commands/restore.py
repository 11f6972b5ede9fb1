"""Load a `backup` file into a new, migrated, empty database: all of it or nothing."""

from django.core.management.base import BaseCommand, CommandError

from editorial.storage.backup import BackupError, read_backup


class Command(BaseCommand):
    help = (
        "Restore a file written by `backup` into this database, which must be migrated and "
        "empty (no users, documents or history); all rows or none."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="a file written by `manage.py backup`")
        parser.add_argument("--database", default="default")

    def handle(self, *args, **options):
        path = options["path"]
        try:
            with open(path, encoding="utf-8") as source:
                counts = read_backup(source, using=options["database"])
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        except BackupError as error:
            raise CommandError(f"{path}: {error}") from None
        summary = ", ".join(f"{label} {count}" for label, count in counts.items())
        self.stdout.write(f"Restored {sum(counts.values())} rows ({summary}).")
