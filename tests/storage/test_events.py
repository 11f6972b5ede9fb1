"""The one writer of the event log: an entry joins the revision being made, or, in bulk,
names its revision and is written with the others in one statement."""

import datetime

import pytest
import reversion
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from reversion.models import Revision

from editorial.models import WorkflowEvent
from editorial.storage import events

pytestmark = pytest.mark.django_db

Action = WorkflowEvent.Action


def test_an_entry_without_its_revision_is_refused_outside_one(answer, editor):
    with pytest.raises(RuntimeError, match="inside one"):
        events.log([events.Entry(answer.pk, Action.EDIT, "draft", "draft")], actor=editor)
    assert not answer.events.filter(action=Action.EDIT).exists()


def test_an_entry_is_written_with_the_revision_being_made(answer, editor):
    with reversion.create_revision():
        reversion.set_comment("An edit")
        answer.save()
        events.log(
            [events.Entry(answer.pk, Action.EDIT, "draft", "draft", "Fixed a date.")], actor=editor
        )
    event = answer.events.latest("id")
    assert (event.action, event.actor, event.comment) == (Action.EDIT, editor, "Fixed a date.")
    assert event.revision.comment == "An edit"


def test_entries_with_their_revisions_go_in_one_statement(seeds, reviewer):
    answers = list(seeds[0].answers.order_by("position")[:3])
    revisions = Revision.objects.bulk_create(
        Revision(comment="Approve", date_created=timezone.now()) for _ in answers
    )
    moment = timezone.now() - datetime.timedelta(minutes=5)

    with CaptureQueriesContext(connection) as queries:
        events.log(
            [events.Entry(a.pk, Action.APPROVE, "in_review", "approved", "Bulk.") for a in answers],
            actor=reviewer,
            revisions=[revision.pk for revision in revisions],
            at=moment,
        )

    # Their ids reserved (so that sealing need not read them back), then the one INSERT.
    assert len(queries) == 2
    assert "INSERT" in queries[1]["sql"] or "COPY" in queries[1]["sql"]
    written = list(WorkflowEvent.objects.filter(action=Action.APPROVE).order_by("answer_id"))
    assert [(e.answer_id, e.revision_id) for e in written] == [
        (a.pk, r.pk) for a, r in zip(answers, revisions, strict=True)
    ]
    assert {(e.actor, e.created_at, e.from_status, e.to_status, e.comment) for e in written} == {
        (reviewer, moment, "in_review", "approved", "Bulk.")
    }
