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
        parser.add_argument(
            "--head",
            metavar="POSITION:DIGEST",
            help="a head printed by an earlier run (or carried by an export record) that the "
            "chain must still hold: the chain alone cannot show links cut from its end",
        )

    def handle(self, *args, **options):
        noted = None
        if options["head"]:
            position, _, value = options["head"].partition(":")
            if not position.isdigit() or len(value) != 64:
                raise CommandError(
                    f"--head {options['head']!r} is not POSITION:DIGEST as verify_history "
                    "prints it (a link's number, a colon, its 64-character digest)."
                )
            noted = chain.Head(int(position), value)
        found = chain.verify(options["database"], noted=noted)
        if found.problem:
            raise CommandError(f"History does not verify. {found.problem}")
        rows = found.rows
        head = (
            f"{found.head.position}:{found.head.digest} (link {found.head.position}; keep it "
            "apart and give it to a later run as --head)"
            if found.head.position
            else "none (no history yet)"
        )
        self.stdout.write(
            f"History verified: {_count(found.links, 'link')} seal "
            f"{_count(rows['revision'], 'revision')}, {_count(rows['version'], 'version')}, "
            f"{_count(rows['event'], 'event')} and {_count(rows['approval'], 'approval')}; "
            f"{_count(found.exports, 'export record')} fit the chain. Head: {head}."
        )


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}{'' if number == 1 else 's'}"
