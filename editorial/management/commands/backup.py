"""Write the whole editorial record to one JSON file, for `restore` into a new database."""

from django.core.management.base import BaseCommand, CommandError

from editorial.storage.backup import write_backup


class Command(BaseCommand):
    help = (
        "Back up users, groups, documents, answers, sources, revisions, versions, events, "
        "approvals, notices and export records to PATH (or - for stdout), from one snapshot."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="file to write, or - for stdout")
        parser.add_argument("--database", default="default")

    def handle(self, *args, **options):
        path = options["path"]
        try:
            if path == "-":
                counts = write_backup(self.stdout, using=options["database"])
            else:
                with open(path, "w", encoding="utf-8") as out:
                    counts = write_backup(out, using=options["database"])
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}.") from None
        summary = ", ".join(f"{label} {count}" for label, count in counts.items())
        self.stderr.write(f"Backed up {sum(counts.values())} rows ({summary}).")
