"""The states an answer moves through, and what describes a step.

The table of steps itself (editorial.workflow.transitions.STEPS) is built from `Step`
objects: each carries its label, the states it leaves from and goes to, its guard, its
service, whose part it is and how the answer list offers it for many answers at once. The
admin's buttons, list actions and messages are generated from that table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from editorial.models import Answer, Status

ACTIVE_STATES = frozenset(
    {Status.DRAFT, Status.IN_REVIEW, Status.CHANGES_REQUESTED, Status.APPROVED}
)
# Content (question, text, sources, claim evidence) may change only in these.
EDITABLE_STATES = frozenset({Status.DRAFT, Status.CHANGES_REQUESTED, Status.APPROVED})
# Still being worked on: a reviewer can be assigned, and it counts as their load.
OPEN_STATES = frozenset({Status.DRAFT, Status.CHANGES_REQUESTED, Status.IN_REVIEW})


@dataclass(frozen=True)
class OnMany:
    """How the answer list offers a step for many selected answers.

    `asks` names what a page asks before acting ("" none, "comment", "reviewer", "editor",
    "look": the changes are shown first); a `decision` on content acts only on answers at the
    version a page showed; `choose` is False for an assignment the rules make (balance).
    """

    action: str
    description: str
    asks: str = ""
    decision: bool = False
    choose: bool = True
    # How its report and its page name it, if not by the step's label.
    label: str = ""
    title: str = ""


@dataclass(frozen=True)
class Step:
    """One thing a person may do to an answer, described once."""

    name: str
    label: str
    # Whose part it is at all (on this answer, if given): a refusal is explained only to them.
    roles: Callable[..., bool]
    # Raises WorkflowError with the reason when a rule forbids the step (state checked first).
    guard: Callable[..., None]
    # Takes the step: (answer, user, …inputs, expected_version=…) → the answer as stored.
    service: Callable[..., Answer]
    # The states it leaves from (None: any state its guard allows) and goes to (None:
    # decided by the answer, as restore returns to the state it was archived from).
    sources: frozenset[str] | None = None
    target: str | None = None
    needs_comment: bool = False
    # What the step takes besides the answer and the user, as the admin posts them.
    inputs: tuple[str, ...] = ("comment",)
    # A state change offered as a button of its own (the six transitions).
    transition: bool = False
    many: tuple[OnMany, ...] = field(default=())
    # What it did, in the words of the people involved, from the answer as it is now.
    done: Callable[[Answer], str] = lambda answer: "done"
