"""Import question/answer files (numbered text, JSONL, CSV) from files or folders."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from editorial.importers import import_paths
from editorial.wording import counted

PROGRESS_FROM = 5  # files; below that a bar is noise


class Command(BaseCommand):
    help = "Import files or folders of answers; each file is imported whole or not at all."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="files (.txt, .jsonl, .csv) or folders")
        parser.add_argument("--user", help="username recorded as the importer")

    def handle(self, *args, **options):
        paths = options["paths"]  # argparse puts positionals in options, never in *args

        def progress(files):
            return tqdm(
                files,
                desc="Importing",
                unit="file",
                file=self.stderr,
                disable=len(files) < PROGRESS_FROM or options["verbosity"] == 0,
            )

        user = None
        if options["user"]:
            User = get_user_model()
            try:
                user = User.objects.get(username=options["user"])
            except User.DoesNotExist:
                raise CommandError(f"No user named {options['user']!r}.") from None
        summary = import_paths(paths, user=user, progress=progress)
        if options["verbosity"] >= 2:
            for result in summary.files:
                if not result.error:
                    self.stdout.write(
                        f"{result.path}: {result.created} created, {result.updated} updated, "
                        f"{result.unchanged} unchanged, {result.conflicting} conflicting"
                    )
        for result in summary.failed:
            self.stderr.write(result.error)
        for warning in summary.warnings:
            self.stderr.write(f"warning: {warning}")
        if not summary.files:
            raise CommandError("No importable files (.txt, .jsonl, .csv) found.")
        self.stdout.write(str(summary))
        if summary.failed:
            failed = len(summary.failed)
            raise CommandError(f"{counted(failed, 'file')} failed to import.")
