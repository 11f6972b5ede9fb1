"""The SPEC ("People", "Workflow"), written down for the tests independently of the rules in
editorial/workflow/: which role may take which step from which state, and what a refusal
says. The workflow's own tests and the admin's both check against it."""

from __future__ import annotations

from editorial.models import Status, WorkflowEvent

STATES = [
    Status.DRAFT,
    Status.IN_REVIEW,
    Status.CHANGES_REQUESTED,
    Status.APPROVED,
    Status.ARCHIVED,
]
STAFF_ROLES = ["editor", "editor2", "reviewer", "reviewer2", "managing", "superuser"]
ROLES = [*STAFF_ROLES, "outsider"]
TRANSITIONS = ["submit", "withdraw", "approve", "request_changes", "archive", "restore"]
ASSIGNMENTS = ["assign_reviewer", "assign_editor", "claim"]
ALL_STEPS = TRANSITIONS + ASSIGNMENTS

LABEL = {
    "submit": "Submit for review",
    "withdraw": "Withdraw",
    "approve": "Approve",
    "request_changes": "Request changes",
    "archive": "Archive",
    "restore": "Restore",
}
LEAVES_FROM = {
    "submit": {Status.DRAFT, Status.CHANGES_REQUESTED},
    "withdraw": {Status.IN_REVIEW},
    "approve": {Status.IN_REVIEW},
    "request_changes": {Status.IN_REVIEW},
    "archive": {Status.DRAFT, Status.IN_REVIEW, Status.CHANGES_REQUESTED, Status.APPROVED},
    "restore": {Status.ARCHIVED},
}
IN_WORDS = {
    Status.DRAFT: "draft",
    Status.IN_REVIEW: "in review",
    Status.CHANGES_REQUESTED: "changes requested",
    Status.APPROVED: "approved",
    Status.ARCHIVED: "archived",
}
# Each state below is set up with `editor` responsible and `reviewer` assigned; an
# archived answer was archived from draft.
GOES_TO = {
    "submit": Status.IN_REVIEW,
    "withdraw": Status.DRAFT,
    "approve": Status.APPROVED,
    "request_changes": Status.CHANGES_REQUESTED,
    "archive": Status.ARCHIVED,
    "restore": Status.DRAFT,
}
EVENT_ACTION = {
    **{name: name for name in TRANSITIONS},
    "assign_reviewer": WorkflowEvent.Action.ASSIGN,
    "assign_editor": WorkflowEvent.Action.CLAIM,
    "claim": WorkflowEvent.Action.CLAIM,
}


# What the page says a step did; the people have no full names, so usernames stand.
SAID = {
    "submit": "submitted to reviewer reviewer",
    "withdraw": "withdrawn from review; it is a draft you can edit again",
    "approve": "approved version {answer.version}; it is now the exported one",
    "request_changes": "changes requested of editor",
    "archive": "archived; it is left out of exports until restored",
    "restore": "restored to draft",
    "assign_reviewer": "reviewer2 is now its reviewer",
    "assign_editor": "editor2 is now its editor",
    "claim": "you are now its editor",
}


def expected_refusal(state: str, role: str, step: str) -> str | None:
    """None where the SPEC lets `role` take `step` on an answer in `state`; else the reason.

    The answer has an editor (`editor`) and an assigned reviewer (`reviewer`); "assign
    reviewer" names reviewer2, "assign editor" names editor2.
    """
    if step in LEAVES_FROM:
        if state not in LEAVES_FROM[step]:
            return f"“{LABEL[step]}” is not possible while the answer is {IN_WORDS[state]}."
        if step == "submit":
            return (
                None
                if role in {"editor", "superuser"}
                else ("Only the answer's editor can submit it for review.")
            )
        if step == "withdraw":
            return (
                None
                if role in {"editor", "superuser"}
                else ("Only the answer's editor can withdraw it from review.")
            )
        if step in {"approve", "request_changes"}:
            if role in {"reviewer", "superuser"}:  # the assigned one, or "approve any"
                return None
            if role == "reviewer2":
                return (
                    "This answer is assigned to reviewer; "
                    "only the assigned reviewer can decide on it."
                )
            return "Only reviewers can approve or request changes."
        verb = "archive" if step == "archive" else "restore"
        return (
            None
            if role in {"managing", "superuser"}
            else (f"Only managing editors can {verb} answers.")
        )
    if step == "assign_reviewer":
        if role not in {"managing", "superuser"}:
            return "Only managing editors can assign reviewers."
        if state in {Status.APPROVED, Status.ARCHIVED}:
            return (
                "Reviewers are assigned to answers still being worked on, "
                f"not to {IN_WORDS[state]} ones."
            )
        return None
    if step == "assign_editor":
        if role not in {"managing", "superuser"}:
            return "Only managing editors can assign an editor to an answer."
        return "The answer is archived; restore it first." if state == Status.ARCHIVED else None
    assert step == "claim"  # the answer already has an editor: only a reassignment to oneself
    if role == "superuser":
        return "The answer is archived; restore it first." if state == Status.ARCHIVED else None
    if role == "managing":
        return "managing is not an editor."
    return "Only managing editors can assign an editor to an answer."


# --- helpers ----------------------------------------------------------------------------
