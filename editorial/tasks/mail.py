"""Notification e-mails sent by a worker, tried again when the mail server fails.

The step that caused them has committed before they are queued (workflow.steps_taken is
sent on commit), so a mail server that is down never rolls a step back, and never holds
a request open either.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.mail import EmailMessage, get_connection
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

# Tries in all, waiting 30 s, 1, 2, 4 minutes between them: a mail server restarting is
# waited out; one that is down for longer is logged (and the step stands).
MAIL_ATTEMPTS = 5


def send_later(messages: list[EmailMessage]) -> None:
    """Queue the messages for a worker; they go out over one connection."""
    if messages:
        send_mails.enqueue(messages=[_as_json(message) for message in messages], attempt=1)


@task()
def send_mails(messages: list[dict], attempt: int) -> int:
    """Send; on failure queue another attempt, later each time, and fail this one."""
    try:
        return get_connection().send_messages([_message(data) for data in messages])
    except Exception:
        if attempt < MAIL_ATTEMPTS:
            retry = send_mails
            if retry.get_backend().supports_defer:
                wait = timedelta(seconds=30 * 2 ** (attempt - 1))
                retry = retry.using(run_after=timezone.now() + wait)
            retry.enqueue(messages=messages, attempt=attempt + 1)
        else:
            logger.error("Gave up sending %d e-mails after %d attempts", len(messages), attempt)
        raise


def _as_json(message: EmailMessage) -> dict:
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
    }


def _message(data: dict) -> EmailMessage:
    return EmailMessage(data["subject"], data["body"], data["from_email"], data["to"])
