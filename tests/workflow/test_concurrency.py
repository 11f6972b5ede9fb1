"""Two reviewers deciding at once through the Python API: exactly one wins (real row locks)."""

import threading

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction

from editorial import workflow
from editorial.models import Answer, Status, WorkflowEvent
from editorial.workflow import WorkflowError, saving
from tests.workflow.conftest import in_state

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("second_step", ["approve", "request_changes"])
def test_two_reviewers_at_once_exactly_one_wins(second_step, seeds, editor, reviewer, reviewer2,
                                                managing):  # fmt: skip
    answer = Answer.objects.get(document__subject="Massachusetts", position=2)
    answer = in_state(answer, Status.IN_REVIEW, editor=editor, reviewer=reviewer,
                      managing=managing)  # fmt: skip
    reviewer2.user_permissions.add(Permission.objects.get(codename="approve_any_answer"))
    reviewer2 = type(reviewer2).objects.get(pk=reviewer2.pk)
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def act(name, user, step):
        try:
            start.wait()
            getattr(workflow, step)(Answer.objects.get(pk=answer.pk), user, comment="Race.")
            outcomes[name] = "won"
        except WorkflowError as error:
            outcomes[name] = f"refused: {error}"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=("first", reviewer, "approve")),
        threading.Thread(target=act, args=("second", reviewer2, second_step)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(v.split(":")[0] for v in outcomes.values()) == ["refused", "won"], outcomes
    decisions = answer.events.filter(
        action__in=[WorkflowEvent.Action.APPROVE, WorkflowEvent.Action.REQUEST_CHANGES]
    )
    assert decisions.count() == 1
    answer.refresh_from_db()
    assert answer.status == decisions.get().to_status


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_step_on_one_answer_does_not_wait_for_a_step_on_another_of_its_document(seeds, editor):
    """Each step locks its answer's row, not the document's: two people working on two
    answers of one document never queue behind each other."""
    first, second = Answer.objects.filter(document__subject="Massachusetts").order_by("position")[
        :2
    ]
    holding, release = threading.Event(), threading.Event()

    def hold_the_first():
        try:
            with transaction.atomic():
                saving.locked(first)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_first)
    holder.start()
    try:
        assert holding.wait(timeout=30)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            row = saving.locked(second)  # before: waited on the document's row, then timed out
            assert row.pk == second.pk and row.document_id == first.document_id
    finally:
        release.set()
        holder.join()
