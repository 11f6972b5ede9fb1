"""Django's flush, aware that the editorial history is permanent.

Emptying the database would erase the event log, every revision and version, the approvals
and the history chain, which the database refuses (migrations 0007, 0014). Where
`EDITORIAL_FLUSH_ERASES_HISTORY` is on (the test settings: transactional tests are separated
by a flush) the guard is lifted for the flush's own transaction; elsewhere flush refuses,
and a deployment that must start again drops and recreates its database.
"""

from django.conf import settings
from django.core.management import CommandError
from django.core.management.commands import flush

from editorial.storage import history


class Command(flush.Command):
    help = flush.Command.help + " The editorial history too, only where settings allow it."

    def handle(self, **options):
        if not settings.EDITORIAL_FLUSH_ERASES_HISTORY:
            raise CommandError(
                "The editorial history (events, revisions, versions, approvals, the hash chain) "
                "is permanent, so flush "
                "refuses to empty the database (EDITORIAL_FLUSH_ERASES_HISTORY is off). To "
                "start again, drop and recreate the database and run migrate."
            )
        with history.unlocked(options["database"]):
            super().handle(**options)
