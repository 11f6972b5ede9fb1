"""Steps announced once they are committed, so side effects (e-mail) hang off the rules
without the rules knowing who listens (as Wagtail's page_published).

Every step announces itself; a listener decides what it means to whom. The e-mails are
built by editorial.admin.mail, which knows the pages to link to.

A state change is also told inside its own transaction (steps_recorded), for listeners whose
rows must commit with the step or not at all: the webhooks outbox
(editorial.webhooks.outbox). Told after commit instead, a process that died between the
commit and the listener would lose the event for good.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.dispatch import Signal

from editorial.models import Answer

# Sent after the step's transaction commits (never for a step rolled back), with
# step (its name), answers (as stored after it, in order), user and comment.
steps_taken = Signal()


# Sent inside the step's transaction, before it commits, with step, answers (as stored by
# the step, in order) and user. A listener writes rows only (no I/O): if it raises, the
# step is rolled back with it.
steps_recorded = Signal()


def record(step: str, answers: Sequence[Answer], *, user) -> None:
    """Tell the in-transaction listeners that `user` is taking `step` on these answers."""
    if answers:
        steps_recorded.send(sender=Answer, step=step, answers=list(answers), user=user)


def announce(step: str, answers: Sequence[Answer], *, user, comment: str = "") -> None:
    """Tell the listeners, once committed, that `user` took `step` on these answers."""
    if not answers:
        return
    answers = list(answers)
    transaction.on_commit(
        lambda: steps_taken.send(
            sender=Answer, step=step, answers=answers, user=user, comment=comment
        )
    )
