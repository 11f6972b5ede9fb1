"""Helpers of the workflow's tests: a sourced answer brought to a state through the workflow."""

import datetime

from editorial import workflow
from editorial.models import Status
from tests.conftest import settle_claims

SOURCE = {
    "url": "https://www.mass.gov/orgs/massachusetts-registry-of-motor-vehicles",
    "title": "Registry of Motor Vehicles",
    "publisher": "Commonwealth of Massachusetts",
    "accessed_on": datetime.date(2026, 11, 20),
    "excerpt": "",
}


def sourced(answer, editor):
    """The answer with the RMV page for its source and its claims settled (two edits): what
    submitting asks for."""
    answer = workflow.edit(answer, user=editor, sources=[SOURCE], comment="Add the RMV page")
    settle_claims(answer, editor)
    return answer


def in_state(answer, state, *, editor, reviewer, managing):
    """Bring a sourced answer, edited by `editor` (its claims settled), to `state` through
    the workflow."""
    answer = sourced(answer, editor)
    if state == Status.DRAFT:
        return answer
    if state == Status.ARCHIVED:
        return workflow.archive(answer, managing)
    answer = workflow.submit(answer, editor, reviewer=reviewer)
    if state == Status.CHANGES_REQUESTED:
        return workflow.request_changes(answer, reviewer, comment="Cite the statute.")
    if state == Status.APPROVED:
        return workflow.approve(answer, reviewer)
    return answer
