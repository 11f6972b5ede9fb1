"""Export approved answers (their approved versions, never drafts) to a file or stdout."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from editorial.exporters import FORMATS, Export, ExportError
from editorial.wording import counted


class Command(BaseCommand):
    help = (
        "Export approved answers as json, jsonl, csv, md, faq (FAQPage JSON-LD) or pairs "
        "(imported beside approved text); a summary with the SHA-256 goes to stderr."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=list(FORMATS))
        parser.add_argument(
            "--output", default="-", help="file to write, or - for stdout (the default)"
        )
        parser.add_argument(
            "--document",
            dest="documents",
            nargs="+",
            action="extend",
            metavar="NAME",
            help="export only these documents (file names)",
        )
        parser.add_argument("--user", help="username recorded as the exporter")

    def handle(self, *args, **options):
        user = None
        if options["user"]:
            User = get_user_model()
            try:
                user = User.objects.get(**{User.USERNAME_FIELD: options["user"]})
            except User.DoesNotExist:
                raise CommandError(f"No user named {options['user']!r}.") from None
        try:
            export = Export(
                options["format"], user=user, channel="command", documents=options["documents"]
            )
        except ExportError as error:
            raise CommandError(str(error)) from None

        output = options["output"]
        if output == "-":
            self._to_stdout(export)
            where = "stdout"
        else:
            try:
                with open(output, "wb") as out:
                    export.write_to(out)
            except OSError as error:
                raise CommandError(f"Cannot write {output}: {error.strerror}.") from None
            where = output
        self.stderr.write(
            f"Exported {counted(export.count, 'answer')} as {export.format.name} to {where}; "
            f"sha256 {export.sha256}",
            style_func=lambda message: message,
        )

    def _to_stdout(self, export: Export) -> None:
        """Bytes straight to a real stdout so they are exactly the bytes hashed."""
        binary = getattr(self.stdout, "buffer", None)
        if binary is None:  # a text stream, as call_command(stdout=StringIO()) gives
            for chunk in export.stream():
                # Chunks end on whole characters, so each decodes on its own.
                self.stdout.write(chunk.decode("utf-8"), ending="")
            return
        self.stdout.flush()
        for chunk in export.stream():
            binary.write(chunk)
        binary.flush()
