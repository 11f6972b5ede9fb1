"""PostgreSQL: an approval that took its ids first but commits last is still in the delta.

Sequence ids are handed out when rows are written, not when they commit: a token keyed on
event or approval ids would have moved past the slow approval's smaller id by the time it
committed. The chain's positions are taken at commit, in commit order."""

import threading

import pytest
from django.db import connection, connections, transaction

from editorial import workflow
from editorial.models import WorkflowEvent
from tests.api.conftest import MASSACHUSETTS, MISSISSIPPI, make_key
from tests.api.test_sync import delta, full_sync
from tests.exporters.conftest import RMV, answer_at, cite_claims


def in_review(answer, editor, reviewer):
    workflow.edit(answer, user=editor, sources=[RMV])
    cite_claims(answer, editor)
    return workflow.submit(answer, editor, reviewer=reviewer)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_approval_committing_after_a_later_one_is_not_skipped(client, seeds, people):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL: two transactions at once")
    editor, managing = people["editor"], people["managing"]
    slow = in_review(answer_at(MASSACHUSETTS, 2), editor, people["reviewer"])
    # Another document: a step locks its answer's document row too (select_related).
    quick = in_review(answer_at(MISSISSIPPI, 1), editor, people["reviewer2"])
    _, token = make_key(managing, everything=True)
    records, sync_token = full_sync(client, token)
    assert records == []

    written, release, errors = threading.Event(), threading.Event(), []

    def approve_slowly():
        try:
            with transaction.atomic():
                workflow.approve(slow, people["reviewer"])
                written.set()
                assert release.wait(30)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=approve_slowly)
    thread.start()
    assert written.wait(30)
    workflow.approve(quick, people["reviewer2"])  # commits first, with the larger event id
    records, deleted, after_quick = delta(client, token, sync_token)
    assert [record["id"] for record in records] == [quick.pk]
    release.set()
    thread.join()
    assert not errors

    ids = dict(WorkflowEvent.objects.filter(action="approve").values_list("answer_id", "pk"))
    assert ids[slow.pk] < ids[quick.pk]  # an id-keyed token would have passed it
    records, deleted, _ = delta(client, token, after_quick)
    assert [record["id"] for record in records] == [slow.pk]
    assert deleted == []
