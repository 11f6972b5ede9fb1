"""Every step by every role from every state, through the workflow's own functions.

The outcome of each is written down in tests/spec.py from the SPEC, independently of the
rules; the admin's HTTP tests check the same table through the pages. Each attempt runs in
a savepoint that is rolled back, so one answer in one state serves all of them.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from editorial import workflow
from editorial.models import Answer
from tests.conftest import put_in_state, snapshot
from tests.spec import (
    ALL_STEPS,
    EVENT_ACTION,
    GOES_TO,
    ROLES,
    STATES,
    TRANSITIONS,
    expected_refusal,
)

pytestmark = pytest.mark.django_db

COMMENT = "Please cite the 2004 statute."


def take(step: str, answer: Answer, user, people: dict) -> Answer:
    """The step through its public function, with the inputs the SPEC's table assumes."""
    if step == "assign_reviewer":
        return workflow.assign_reviewer(answer, user, reviewer=people["reviewer2"], comment=COMMENT)
    if step == "assign_editor":
        return workflow.assign_editor(answer, user, people["editor2"], comment=COMMENT)
    if step == "claim":
        return workflow.claim(answer, user)
    return getattr(workflow, step)(answer, user, comment=COMMENT)


class RolledBack(Exception):
    """Leaves the savepoint of one attempt, undoing it."""


@pytest.mark.parametrize("state", STATES)
def test_every_step_by_every_role_from_every_state(answer, people, state):
    put_in_state(answer, state, people)
    before = snapshot(answer)
    taken = 0
    for role in ROLES:
        user = people[role]
        for step in ALL_STEPS:
            refusal = expected_refusal(state, role, step)
            where = f"{step} by {role} from {state}"
            try:
                with transaction.atomic():
                    if refusal is not None:
                        with pytest.raises(workflow.WorkflowError) as refused:
                            take(step, Answer.objects.get(pk=answer.pk), user, people)
                        assert str(refused.value) == refusal, where
                        assert snapshot(answer) == before, f"{where}: a refusal changed something"
                    else:
                        done = take(step, Answer.objects.get(pk=answer.pk), user, people)
                        taken += 1
                        assert done.status == GOES_TO.get(step, state), where
                        new = list(done.events.exclude(id__in=before["events"]))
                        assert [(e.action, e.actor) for e in new] == [(EVENT_ACTION[step], user)], (
                            where
                        )
                    raise RolledBack
            except RolledBack:
                pass
    assert snapshot(answer) == before
    assert taken  # in every state some role may take some step


@pytest.mark.parametrize("state", STATES)
def test_the_table_offers_exactly_what_the_spec_allows(answer, people, state):
    """What the pages offer (available_transitions, refusals explained) is the SPEC's table."""
    put_in_state(answer, state, people)
    for role in ROLES:
        user = people[role]
        offered = {step.name for step in workflow.available_transitions(answer, user)}
        allowed = {step for step in TRANSITIONS if expected_refusal(state, role, step) is None}
        assert offered == allowed, f"{role} in {state}"
        for step in TRANSITIONS:
            found = workflow.refusal(workflow.STEPS[step], answer, user)
            assert found == expected_refusal(state, role, step), f"{step} by {role} in {state}"
