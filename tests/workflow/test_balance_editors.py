"""Assigning and balancing editors over many answers: the managing editor's part only, each
answer locked and checked as one assignment is, logged by name, spread by current load."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from editorial import workflow
from editorial.models import Answer, Status, WorkflowEvent
from editorial.workflow import StaleVersionError, WorkflowError
from tests.conftest import _member, snapshot
from tests.workflow.conftest import in_state

pytestmark = pytest.mark.django_db


def ms(position: int) -> Answer:
    return Answer.objects.get(document__subject="Mississippi", position=position)


def versions(answers) -> dict[int, int]:
    return {a.pk: Answer.objects.get(pk=a.pk).version for a in answers}


def balance(answers, user, **extra):
    return workflow.take_many(
        "balance_editor", answers=answers, user=user, expected_versions=versions(answers),
        **extra,
    )  # fmt: skip


def open_load(editor) -> int:
    return Answer.objects.filter(editor=editor, status__in=workflow.OPEN_STATES).count()


def test_balancing_spreads_answers_by_current_load(seeds, editor, editor2, managing):
    for position in (1, 2, 3):  # editor already holds three answers being worked on
        workflow.claim(ms(position), editor)
    selected = [ms(position) for position in range(4, 9)]

    outcome = balance(selected, managing)

    assert [a.pk for a in outcome.done] == [a.pk for a in selected] and not outcome.refused
    chosen = Counter(Answer.objects.get(pk=a.pk).editor.username for a in selected)
    # editor2 takes the first three (0, 1, 2 against 3); then the loads are level.
    assert chosen == {"editor2": 4, "editor": 1}
    assert open_load(editor) == open_load(editor2) == 4


def test_balancing_twice_moves_nothing(seeds, editor, editor2, managing):
    selected = [ms(position) for position in range(1, 7)]
    balance(selected, managing)
    before = {a.pk: Answer.objects.get(pk=a.pk).editor_id for a in selected}
    events = WorkflowEvent.objects.count()

    balance(selected, managing)

    assert {a.pk: Answer.objects.get(pk=a.pk).editor_id for a in selected} == before
    assert WorkflowEvent.objects.count() == events
    assert open_load(editor) == open_load(editor2) == 3


def test_the_answers_reviewer_is_never_made_its_editor(
    seeds, editor, editor_reviewer, reviewer, managing
):
    answer = ms(1)
    workflow.assign_reviewer(answer, managing, reviewer=editor_reviewer)
    workflow.claim(ms(2), editor)  # editor is the more loaded editor

    balance([answer], managing)

    assert Answer.objects.get(pk=answer.pk).editor == editor


def test_each_assignment_is_logged_with_peoples_names(seeds, editor, managing, django_user_model):
    editor.first_name, editor.last_name = "Ed", "Itor"
    editor.save()
    other = _member(django_user_model, "other", "Editors", first_name="Other", last_name="Person")
    answer = ms(1)

    balance([answer], managing)

    event = Answer.objects.get(pk=answer.pk).events.latest("id")
    assert (event.action, event.actor, event.comment) == (
        WorkflowEvent.Action.CLAIM,
        managing,
        "Editor: none → Ed Itor",
    )
    workflow.assign_editor(answer, managing, editor=other, comment="Holiday")
    assert answer.events.latest("id").comment == "Editor: Ed Itor → Other Person. Holiday"


@pytest.mark.parametrize("role", ["editor", "reviewer", "outsider"])
def test_only_managing_editors_balance(seeds, people, role):
    answer = ms(1)
    before = snapshot(answer)

    outcome = balance([answer], people[role])

    ((refused, error),) = outcome.refused
    assert refused.pk == answer.pk and outcome.done == []
    assert str(error) == "Only managing editors can assign an editor to an answer."
    assert snapshot(answer) == before
    with pytest.raises(WorkflowError, match="Only managing editors"):
        workflow.assign_editor(answer, people[role], editor=people["editor2"])


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (Status.APPROVED, "not over approved ones"),
        (Status.ARCHIVED, "not over archived ones"),
    ],
)
def test_answers_no_longer_worked_on_are_refused_with_the_reason(seeds, people, state, reason):
    answer = in_state(ms(1), state, editor=people["editor"], reviewer=people["reviewer"],
                      managing=people["managing"])  # fmt: skip
    before = snapshot(answer)

    outcome = balance([answer], people["managing"])

    assert reason in str(outcome.refused[0][1])
    assert snapshot(answer) == before


def test_a_page_that_showed_another_version_is_refused(seeds, editor, editor2, managing):
    answer, other = ms(1), ms(2)
    shown = versions([answer, other])
    workflow.edit(answer, user=editor, text=answer.text + " Checked.")  # saved meanwhile
    before = snapshot(answer)

    outcome = workflow.take_many(
        "balance_editor", answers=[answer, other], user=managing, expected_versions=shown
    )

    ((refused, error),) = outcome.refused
    assert refused.pk == answer.pk and isinstance(error, StaleVersionError)
    assert snapshot(answer) == before
    assert [a.pk for a in outcome.done] == [other.pk]


def test_an_answer_archived_while_the_page_was_open_is_refused(seeds, managing, editor):
    answer = ms(1)
    shown = versions([answer])
    workflow.archive(answer, managing)  # a step: the version is the same, the state is not

    outcome = workflow.take_many(
        "balance_editor", answers=[answer], user=managing, expected_versions=shown
    )

    assert "not over archived ones" in str(outcome.refused[0][1])
    assert Answer.objects.get(pk=answer.pk).editor is None


def test_assign_editor_to_many_through_the_table(seeds, editor, editor2, managing):
    selected = [ms(1), ms(2)]
    workflow.claim(selected[1], editor)

    outcome = workflow.take_many(
        "assign_editor", answers=selected, user=managing, expected_versions=versions(selected),
        editor=editor2,
    )  # fmt: skip

    assert not outcome.refused
    assert {Answer.objects.get(pk=a.pk).editor for a in selected} == {editor2}


def test_no_editor_at_all_is_a_clear_refusal(seeds, managing):
    outcome = balance([ms(1)], managing)

    assert str(outcome.refused[0][1]) == "No editor is available for this answer."


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real row locks across threads need PostgreSQL"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_managing_editors_balancing_at_once_stay_fair(
    seeds, editor, editor2, managing, django_user_model
):
    other = _member(django_user_model, "managing2", "Managing editors")
    selected = [ms(position) for position in range(1, 13)]
    shown = versions(selected)
    start = threading.Barrier(2)

    def run(user, answers):
        try:
            start.wait()
            return workflow.take_many(
                "balance_editor", answers=answers, user=user, expected_versions=shown
            )
        finally:
            connection.close()

    results = [None, None]

    def job(index, user, answers):
        results[index] = run(user, answers)

    threads = [
        threading.Thread(target=job, args=(0, managing, selected)),
        threading.Thread(target=job, args=(1, other, list(reversed(selected)))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(not result.refused for result in results)
    assert Answer.objects.filter(pk__in=shown, editor__isnull=True).count() == 0
    assert open_load(editor) == open_load(editor2) == 6
    # Every change of editor is one event, none lost, none doubled.
    moves = WorkflowEvent.objects.filter(answer__in=selected, action=WorkflowEvent.Action.CLAIM)
    assert moves.count() >= len(selected)
