"""Helpers of the workflow's tests: a sourced answer brought to a state through the workflow."""

import datetime

from editorial import workflow
from editorial.models import Status

SOURCE = {
    "url": "https://www.mass.gov/orgs/massachusetts-registry-of-motor-vehicles",
    "title": "Registry of Motor Vehicles",
    "publisher": "Commonwealth of Massachusetts",
    "accessed_on": datetime.date(2026, 11, 20),
    "excerpt": "",
}


def sourced(answer, editor):
    return workflow.edit(answer, user=editor, sources=[SOURCE], comment="Add the RMV page")


def in_state(answer, state, *, editor, reviewer, managing):
    """Bring a sourced answer, edited by `editor`, to `state` through the workflow."""
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
