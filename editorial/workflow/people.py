"""People's accounts: one whose name is on the history stays, deactivated, never deleted.

The history is permanent (storage.history): deleting an account that wrote revisions would
ask the database to blank their author (reversion's SET_NULL), which the history's guard
refuses with a server error, and its events, approvals and exports name it by a key that
protects it. Asked before any delete, so the admin can say why and what to do instead.
"""

from __future__ import annotations

from reversion.models import Revision

from editorial.models import ApprovedVersion, ExportRecord, WorkflowEvent

# What a person's name stays on for good, each counted: (what, query by the person).
_HISTORY = (
    ("revision", lambda user: Revision.objects.filter(user=user)),
    ("workflow event", lambda user: WorkflowEvent.objects.filter(actor=user)),
    ("approval", lambda user: ApprovedVersion.objects.filter(approved_by=user)),
    ("export record", lambda user: ExportRecord.objects.filter(created_by=user)),
)


def deletion_refusal(user) -> str:
    """Why this account cannot be deleted, in a sentence offering deactivation; "" if it can."""
    counted = [(what, rows(user).count()) for what, rows in _HISTORY]
    written = [f"{count:,} {what}{'' if count == 1 else 's'}" for what, count in counted if count]
    if not written:
        return ""
    return (
        f"{user.get_username()} cannot be deleted: the permanent history names them "
        f"({', '.join(written)}). Deactivate the account instead: untick “Active” on its page, "
        "and it can no longer sign in while its name stays on its work."
    )
