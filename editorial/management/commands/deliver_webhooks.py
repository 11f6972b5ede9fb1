"""Deliver the webhook events due now, as the task does: a safety net to run from cron.

Every delivery task also picks up whatever an earlier one left, but a worker killed while
delivering leaves no task behind it for its retries; this command (every few minutes)
delivers them whatever happened to the queue.
"""

from django.core.management.base import BaseCommand

from editorial import webhooks


class Command(BaseCommand):
    help = (
        "Send every webhook event due now (those a lost task left too), in order per answer, "
        "logging each attempt; print what was done."
    )

    def handle(self, *args, **options):
        done = webhooks.deliver_due()
        self.stdout.write(
            f"{len(done.delivered)} delivered, {done.failed_attempts} failed attempts "
            f"(tried again later), {len(done.exhausted)} given up, "
            f"{len(done.disabled)} endpoints disabled."
        )
        upcoming = webhooks.next_due_at()
        if upcoming is not None:
            self.stdout.write(f"Next due: {upcoming.isoformat()}")
