"""E-mail telling someone the step that is now theirs, naming the answer and linking to its
page: what the workflow's announcements (workflow.steps_taken) mean to people.

The rules announce every step and know nobody listens; this module decides who is told
and builds the links, which only the admin knows.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.dispatch import receiver
from django.urls import reverse

from editorial import tasks, workflow
from editorial.models import Answer, Status


def answer_url(answer: Answer) -> str:
    """The answer's page as a link that works from an e-mail."""
    path = reverse("admin:editorial_answer_change", args=[answer.pk])
    return settings.SITE_URL.rstrip("/") + path


def _message(person, answer: Answer, subject: str, body: str) -> EmailMessage | None:
    """None for nobody, or someone without an address."""
    if person is None or not person.email:
        return None
    text = f"{body.strip()}\n\nOpen it: {answer_url(answer)}\n"
    return EmailMessage(f"{subject}: {answer}", text, None, [person.email])


def mail_for(step: str, answer: Answer, user, comment: str) -> EmailMessage | None:
    """The e-mail a step sends, to the person whose turn it now is; None if nobody's."""
    name = workflow.display_name(user)
    if step == "submit":
        body = f"{name} submitted “{answer.question}” for your review.\n\n{comment}"
        return _message(answer.reviewer, answer, "Review requested", body)
    if step == "assign_reviewer" and answer.status == Status.IN_REVIEW:
        body = f"{name} assigned you to review “{answer.question}”."
        return _message(answer.reviewer, answer, "Review requested", body)
    if step == "request_changes":
        body = f"{name} asks for changes to “{answer.question}”:\n\n{comment}"
        return _message(answer.editor, answer, "Changes requested", body)
    if step == "approve":
        body = (
            f"{name} approved version {answer.version} of “{answer.question}”; it is now the "
            f"exported one.\n\n{comment}"
        )
        return _message(answer.editor, answer, "Approved", body)
    return None


@receiver(workflow.steps_taken)
def mail_the_next_person(sender, *, step: str, answers, user, comment: str, **kwargs) -> None:
    """Queue a step's e-mails as one task (a bulk approval sends hundreds over one
    connection): the step has committed, and a worker sends them, retrying on failure."""
    mails = [mail for answer in answers if (mail := mail_for(step, answer, user, comment))]
    tasks.send_later(mails)
