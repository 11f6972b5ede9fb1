"""Walk the history's hash chain and name the first row that does not fit (storage.chain)."""

from django.core.management.base import BaseCommand, CommandError

from editorial.storage import chain


class Command(BaseCommand):
    help = (
        "Check that every revision, version, event and approval is as it was sealed into the "
        "history's hash chain, that nothing was removed or slipped in, and that every export "
        "record's head is still in the chain; name the first row that does not fit (exit 1)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, **options):
        found = chain.verify(options["database"])
        if found.problem:
            raise CommandError(f"History does not verify. {found.problem}")
        rows = found.rows
        head = (
            f"link {found.head.position}, digest {found.head.digest}"
            if found.head.position
            else "none (no history yet)"
        )
        self.stdout.write(
            f"History verified: {found.links} links seal {rows['revision']} revisions, "
            f"{rows['version']} versions, {rows['event']} events and {rows['approval']} "
            f"approvals; {found.exports} export records match the chain. Head: {head}."
        )
