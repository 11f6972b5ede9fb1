"""Approving many answers from the list gives exactly what approving them one by one gives,
in a number of queries that does not grow with the selection."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.utils import timezone
from reversion.models import Revision, Version

from editorial import workflow
from editorial.models import (
    Answer,
    ApprovedVersion,
    Document,
    Source,
    Status,
    WorkflowEvent,
)
from editorial.workflow import WorkflowError
from tests.admin.conftest import COMMENT, approvable
from tests.conftest import (
    CHANGELIST,
    a_source,
    errors_of,
    put_in_state,
    settle_claims,
    successes_of,
)


def bulk_approve_scenario(settings, editor, reviewer, reviewer2, both) -> tuple[list, dict]:
    """Answers in every case a bulk approval meets, and the versions its page showed.

    Approvable ones (with one or two sources, one approved before and edited since), one
    assigned to another reviewer, a draft, one with no source, one `both` edited (four-eyes
    bars `both`), and one edited after the page showed it.
    """
    one, two, again, elsewhere, draft, sourceless, by_both, stale, last = approvable(9)
    for answer in (one, again, elsewhere, draft, stale, last):
        workflow.edit(answer, user=editor, sources=[a_source()])
    # A claim in `two`, linked to its second source: the batch pins and versions evidence.
    workflow.edit(
        two,
        user=editor,
        sources=[a_source(), a_source("https://example.org/y")],
        text=two.text + " Confirmed in 2024.",
    )
    workflow.settle_claim(
        two, user=editor, claim="2024", kind="source",
        source_id=two.sources.order_by("id").last().pk, excerpt="Confirmed in 2024.",
    )  # fmt: skip
    workflow.edit(sourceless, user=editor, text=sourceless.text + " Checked.")
    workflow.edit(by_both, user=both, sources=[a_source()], text=by_both.text + " Both.")
    for answer in (one, two, again, elsewhere, sourceless, stale, last):
        settle_claims(answer, editor)
    settle_claims(by_both, both)
    workflow.submit(again, editor, reviewer=reviewer)
    workflow.approve(again, reviewer)
    workflow.edit(again, user=editor, text=again.text + " Revised.")
    settings.EDITORIAL_REQUIRE_SOURCE_FOR_APPROVAL = False  # it reached review before the rule
    workflow.submit(sourceless, editor, reviewer=reviewer)
    settings.EDITORIAL_REQUIRE_SOURCE_FOR_APPROVAL = True
    for answer in (one, two, again, stale, last):
        workflow.submit(answer, editor, reviewer=reviewer)
    workflow.submit(by_both, both, reviewer=reviewer)
    workflow.submit(elsewhere, editor, reviewer=reviewer2)
    answers = [one, two, again, elsewhere, draft, sourceless, by_both, stale, last]
    shown = dict(Answer.objects.filter(pk__in=[a.pk for a in answers]).values_list("pk", "version"))
    workflow.withdraw(stale, editor)
    workflow.edit(stale, user=editor, text="Rewritten while the reviewer looked.")
    workflow.submit(stale, editor, reviewer=reviewer)
    return answers, shown


def approval_state(answers: list[Answer]) -> dict:
    """Everything an approval writes, field by field, without ids and times that differ
    between two runs, but with the links between them (pin, event, revision, version)."""
    state = {}
    for answer in answers:
        row = Answer.objects.get(pk=answer.pk)
        events = list(row.events.select_related("revision").order_by("id"))
        approvals = [event for event in events if event.action == WorkflowEvent.Action.APPROVE]
        pin = ApprovedVersion.objects.current().filter(answer=row).first()
        versions = Version.objects.get_for_object(row).select_related("revision").order_by("id")
        latest = versions.last()
        state[row.pk] = {
            "row": {
                name: getattr(row, name)
                for name in (
                    "status",
                    "status_before_archive",
                    "editor_id",
                    "reviewer_id",
                    "version",
                    "question",
                    "text",
                    "flags",
                    "flag_level",
                )
            },  # fmt: skip
            "pin": pin
            and {
                "content": (pin.question, pin.text, pin.sources, pin.claims, pin.version),
                # What exports show beside it: pinned by both ways of approving alike.
                "beside": (pin.imported_question, pin.imported_text, pin.document_subject),
                "approved_by": pin.approved_by_id,
                "at_its_event": pin.approved_at == approvals[-1].created_at,
                "in_its_revision": pin.revision_id == approvals[-1].revision_id,
            },
            "events": [
                (
                    e.action,
                    e.actor_id,
                    e.from_status,
                    e.to_status,
                    e.comment,
                    e.revision and (e.revision.comment, e.revision.user_id),
                )
                for e in events
            ],  # fmt: skip
            "versions": versions.count(),
            "latest_version": {
                "fields": {k: v for k, v in latest.field_dict.items() if k != "updated_at"},
                "sources": workflow.version_sources(latest),
                "revision": (latest.revision.comment, latest.revision.user_id),
                "objects_in_revision": latest.revision.version_set.count(),
                "is_the_approval": bool(approvals)
                and latest.revision_id == approvals[-1].revision_id,
            },
        }
    state["totals"] = [
        model.objects.count() for model in (Revision, Version, WorkflowEvent, ApprovedVersion)
    ]
    return state


class Undo(Exception):
    """Rolls back the one-by-one run so the bulk run starts from the same data."""


@pytest.mark.parametrize("approver", ["reviewer", "both"])
def test_bulk_approve_gives_exactly_what_one_by_one_approvals_give(
    client, seeds, people, editor_reviewer, settings, monkeypatch, mailoutbox,
    django_capture_on_commit_callbacks, approver,
):  # fmt: skip
    both = editor_reviewer
    both.user_permissions.add(Permission.objects.get(codename="approve_any_answer"))
    user = both if approver == "both" else people["reviewer"]
    answers, shown = bulk_approve_scenario(
        settings, people["editor"], people["reviewer"], people["reviewer2"], both
    )
    # Several batches, refusals in each (the batch size is read where approve_many runs).
    monkeypatch.setattr(workflow.bulk, "APPROVE_BATCH", 4)

    with pytest.raises(Undo), transaction.atomic():
        one_by_one_refused = {}
        with django_capture_on_commit_callbacks(execute=True):
            for answer in answers:
                try:
                    workflow.approve(
                        answer, user, comment=COMMENT, expected_version=shown[answer.pk]
                    )
                except WorkflowError as error:
                    one_by_one_refused[str(answer)] = str(error)
        one_by_one = approval_state(answers)
        one_by_one_mails = [(m.subject, m.body, m.to) for m in mailoutbox]
        raise Undo
    mailoutbox.clear()
    assert approval_state(answers) != one_by_one  # rolled back: the bulk run starts afresh

    client.force_login(user)
    payload = {
        "action": "approve_selected",
        "_selected_action": [str(answer.pk) for answer in answers],
        "confirm": "yes",
        "step": "approve_selected",
        "comment": COMMENT,
        "loaded_versions": ",".join(f"{pk}:{version}" for pk, version in shown.items()),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CHANGELIST, payload, follow=True)

    bulk_refused = dict(
        error.removeprefix("Approve refused for ").split(": ", 1) for error in errors_of(response)
    )
    assert bulk_refused == one_by_one_refused
    assert approval_state(answers) == one_by_one
    assert [(m.subject, m.body, m.to) for m in mailoutbox] == one_by_one_mails
    # Not an empty comparison: approvals and each kind of refusal happened on both sides.
    one, two, again, elsewhere, draft, sourceless, by_both, stale, last = answers
    refused = [elsewhere if approver == "reviewer" else by_both, draft, sourceless, stale]
    assert sorted(bulk_refused) == sorted(str(answer) for answer in refused)
    [done_message] = successes_of(response)
    assert done_message.startswith("Approve: 5 answers done: ")
    assert len(one_by_one_mails) == 5
    # Read afresh: `two` still names the approval of the one-by-one run, rolled back.
    two.refresh_from_db()
    # Its agencies marked common knowledge, its 2024 linked to the source with the excerpt.
    assert [claim["excerpt"] for claim in two.approved.claims] == ["", "", "Confirmed in 2024."]
    assert (two.approved.imported_text, two.approved.document_subject) == (
        two.imported_text,
        "Massachusetts",
    )


def test_bulk_approve_makes_the_same_queries_at_any_size(
    client, seeds, people, django_assert_max_num_queries
):
    answers = approvable(14)
    for answer in answers:
        put_in_state(answer, Status.IN_REVIEW, people)
    client.force_login(people["reviewer"])
    counts = []
    for selected in (answers[:2], answers[2:]):
        payload = {
            "action": "approve_selected",
            "_selected_action": [str(answer.pk) for answer in selected],
            "confirm": "yes",
            "step": "approve_selected",
            "loaded_versions": ",".join(f"{a.pk}:{a.version}" for a in selected),
        }
        with django_assert_max_num_queries(BULK_APPROVE_QUERIES) as queries:
            response = client.post(CHANGELIST, payload)
        assert response.status_code == 302
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert Answer.objects.filter(status=Status.APPROVED).count() == 14


def test_the_bulk_approve_page_reads_the_same_queries_at_any_size(client, seeds, people):
    """The page showing each selected answer's changes (claims included) before approval."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    answers = approvable(14)
    for answer in answers:
        put_in_state(answer, Status.IN_REVIEW, people)
    client.force_login(people["reviewer"])
    counts = []
    for selected in (answers[:2], answers[2:]):
        payload = {
            "action": "approve_selected",
            "_selected_action": [str(answer.pk) for answer in selected],
        }
        with CaptureQueriesContext(connection) as queries:
            response = client.post(CHANGELIST, payload)
        assert response.status_code == 200 and b"loaded_versions" in response.content
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_select_all_approves_ten_thousand_answers_in_one_post(client, people):
    # The confirmation of "select all" posts a handful of fields, the versions its page
    # showed in one: no limit on the number of fields or the body size stops 10,000.
    editor, reviewer = people["editor"], people["reviewer"]
    documents = Document.objects.bulk_create(
        Document(name=f"bulk_{number:04d}.txt", content_hash="0" * 64, subject="Ohio",
                 imported_at=timezone.now())
        for number in range(500)
    )  # fmt: skip
    text = "The agency shares records only when a court order requires it."
    answers = Answer.objects.bulk_create(
        Answer(document=document, position=position, question=f"Question {position}?",
               text=text, imported_question=f"Question {position}?", imported_text=text,
               status=Status.IN_REVIEW, editor=editor, reviewer=reviewer)
        for document in documents
        for position in range(1, 21)
    )  # fmt: skip
    Source.objects.bulk_create(
        Source(answer=answer, url="https://example.org/x", title="T",
               accessed_on=datetime.date(2026, 11, 1))
        for answer in answers
    )  # fmt: skip
    client.force_login(reviewer)
    payload = {
        "action": "approve_selected",
        "select_across": "1",
        "_selected_action": str(answers[0].pk),
        "confirm": "yes",
        "step": "approve_selected",
        "comment": "",
        "loaded_versions": ",".join(f"{answer.pk}:{answer.version}" for answer in answers),
    }

    response = client.post(CHANGELIST + "?status__exact=in_review", payload)

    assert response.status_code == 302
    assert Answer.objects.filter(status=Status.APPROVED).count() == 10_000
    assert ApprovedVersion.objects.count() == 10_000
    assert WorkflowEvent.objects.filter(action="approve", actor=reviewer).count() == 10_000
    assert Revision.objects.filter(comment="Approve", user=reviewer).count() == 10_000
    assert Version.objects.count() == 20_000  # each answer and its source


# The admin's own (session, user, permissions, the changelist the action runs from, the
# selection), then a batch: a savepoint, the locked rows, their people, sources, claim
# evidence and events, the update, then one insert each of revisions, versions, events and
# approvals (the versions' and events' ids reserved first, one statement each, so that
# sealing them reads none back), one update naming each answer's new approval, and the
# review-quality facts: one insert of the decisions kept, one upsert each of the reviewer's
# totals and time buckets; last, the webhook endpoints owed the batch's events (none here:
# nothing more is written). On PostgreSQL the list the action is posted to also asks the
# planner how many rows it has (the answer list's count past 10,000 is its estimate: one
# EXPLAIN, at any size).
BULK_APPROVE_QUERIES = 31 + (connection.vendor == "postgresql")
