"""Data migrations, run on real rows: migrate back, write what an older release wrote,
migrate forward, and read what the migration made of it."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from editorial.models import ApprovedVersion
from editorial.workflow import COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA, TRAINED_ALGORITHMIC_MEDIA

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BEFORE = [("editorial", "0011_review_by_provenance")]


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


# serialized_rollback, as every transactional test here: the groups and content types the
# migrations made are restored before it and nothing is recreated after it, so the tests
# around it find the same rows whatever the order.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_approvals_made_before_review_dates_get_one_and_a_source_type(seeds, reviewer, settings):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = migrate(BEFORE).loader.project_state(BEFORE).apps
    Answer, Pinned = (
        old.get_model("editorial", "Answer"),
        old.get_model("editorial", "ApprovedVersion"),
    )
    q1, q2 = Answer.objects.filter(document__name="000_45b9d17f8c940ceb.txt").order_by("position")[
        :2
    ]
    when = datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)
    Pinned.objects.create(  # approved as imported
        answer=q1, question=q1.imported_question, text=q1.imported_text, approved_by_id=reviewer.pk,
        approved_at=when, version=1,
    )  # fmt: skip
    Pinned.objects.create(  # approved after an edit
        answer=q2, question=q2.question, text="Corrected by people.", approved_by_id=reviewer.pk,
        approved_at=when + datetime.timedelta(days=3), version=2,
    )  # fmt: skip

    migrate(latest)

    pinned = {pin.answer_id: pin for pin in ApprovedVersion.objects.all()}
    days = datetime.timedelta(days=settings.EDITORIAL_REVIEW_INTERVAL_DAYS)
    assert pinned[q1.pk].review_by == datetime.date(2026, 3, 1) + days
    assert pinned[q2.pk].review_by == datetime.date(2026, 3, 4) + days
    assert pinned[q1.pk].provenance == {"digital_source_type": TRAINED_ALGORITHMIC_MEDIA}
    assert pinned[q2.pk].provenance == {
        "digital_source_type": COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_history_written_before_the_chain_is_sealed_by_migrating(seeds, reviewer):
    """0015 links every existing revision with its versions and events, and the rows an
    older release wrote without a revision, and names each answer's approval: the chain
    then verifies clean, and goes on from there."""
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    before_chain = [("editorial", "0013_fingerprint_one_index")]
    old = migrate(before_chain).loader.project_state(before_chain).apps
    Answer, Pinned, Event = (
        old.get_model("editorial", model)
        for model in ("Answer", "ApprovedVersion", "WorkflowEvent")
    )
    q1, q2 = Answer.objects.filter(document__name="000_45b9d17f8c940ceb.txt").order_by("position")[
        :2
    ]
    when = datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)
    # An approval and an event as an older release may have left them: no revision.
    pin = Pinned.objects.create(
        answer=q1, question=q1.question, text=q1.text, approved_by_id=reviewer.pk,
        approved_at=when, version=1,
    )  # fmt: skip
    Event.objects.create(answer=q2, action="edit", from_status="draft", to_status="draft",
                         comment="Before revisions were kept.", created_at=when)  # fmt: skip

    migrate(latest)

    from django.core.management import call_command
    from reversion.models import Revision

    from editorial.models import Answer as Current
    from editorial.models import HistoryLink

    assert Current.objects.get(pk=q1.pk).approved_id == pin.pk
    assert HistoryLink.objects.filter(revision__isnull=False).count() == Revision.objects.count()
    loose = HistoryLink.objects.get(revision__isnull=True)
    assert [line.split(" ")[0] for line in loose.rows.splitlines()] == ["event", "approval"]
    out = io.StringIO()
    call_command("verify_history", stdout=out)
    assert "History verified" in out.getvalue()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_approvals_made_before_pins_of_the_import_stay_as_sealed_and_export_as_before(
    seeds, reviewer, editor
):
    """0017 adds the pinned machine text and subject empty: older approvals are sealed in
    the chain and append-only, so they are not filled in (verify_history stays clean) and
    their exports read the answer's own fields, as before; approvals made since pin them."""
    from django.core.management import call_command

    from editorial.exporters import approved_versions, records
    from editorial.models import Answer as Current
    from tests.exporters.conftest import approve

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    before_pins = [("editorial", "0013_fingerprint_one_index")]
    old = migrate(before_pins).loader.project_state(before_pins).apps
    Answer, Pinned = (old.get_model("editorial", model) for model in ("Answer", "ApprovedVersion"))
    q1 = Answer.objects.get(document__name="000_45b9d17f8c940ceb.txt", position=1)
    Pinned.objects.create(
        answer=q1, question=q1.question, text=q1.text, approved_by_id=reviewer.pk,
        approved_at=datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC), version=1,
    )  # fmt: skip

    migrate(latest)

    older = Current.objects.get(pk=q1.pk).approved
    assert (older.imported_question, older.imported_text, older.document_subject) == (
        None,
        None,
        None,
    )
    q2 = approve(Current.objects.get(document=q1.document_id, position=2), editor, reviewer)
    assert q2.approved.imported_text == q2.imported_text
    out = io.StringIO()
    call_command("verify_history", stdout=out)
    assert "History verified" in out.getvalue()
    # The answer's machine text moved since (a re-import merged): only the older reads it.
    Current.objects.filter(pk__in=[q1.pk, q2.pk]).update(imported_text="Moved on.")
    pairs = {
        record["id"]: record["imported_answer"]
        for record in records(approved_versions(with_import=True), with_import=True)
    }
    assert pairs == {q1.pk: "Moved on.", q2.pk: q2.imported_text}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_review_totals_are_filled_from_the_decisions_before_them(seeds, people):
    """0019 keeps the decisions an older release had not kept yet (its dashboard kept them
    when it was read) and counts every reviewer's totals and time buckets from the record:
    the figures come out as they were."""
    from django.utils import timezone

    from editorial import workflow
    from editorial.insights import review_quality
    from editorial.models import ReviewDecision, ReviewerTotals, ReviewOpening
    from tests.conftest import a_source, ma, settle_claims

    editor, r1, r2 = people["editor"], people["reviewer"], people["reviewer2"]
    for position, reviewer in ((2, r1), (3, r1), (4, r2), (5, r2)):
        answer = ma(position)
        workflow.edit(answer, user=editor, sources=[a_source()])
        settle_claims(answer, editor)
        workflow.submit(answer, editor, reviewer=reviewer)
        review_quality.record_opening(answer_id=answer.pk, user=reviewer)
        ReviewOpening.objects.filter(answer=answer).update(
            opened_at=timezone.now() - datetime.timedelta(minutes=position)
        )
    workflow.approve(ma(2), r1)
    workflow.request_changes(ma(3), r1, comment="Which law?")
    assert not workflow.approve_many(answers=[ma(4), ma(5)], user=r2).refused

    def figures():
        return [
            (row.user.pk, row.decisions, row.sent_back, row.with_warnings, row.unchanged,
             row.times)
            for row in review_quality.reviewer_figures()
        ]  # fmt: skip

    expected = figures()
    assert [row[:2] for row in expected if row[1]] == [(r1.pk, 2), (r2.pk, 2)]
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    migrate([("editorial", "0018_home_list_indexes")])
    # As an older release left it: r2's decisions not kept yet; no totals at all.
    ReviewDecision.objects.filter(reviewer=r2).delete()

    migrate(latest)

    assert ReviewDecision.objects.count() == 4
    assert ReviewerTotals.objects.count() == 2
    assert figures() == expected


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_source_links_stored_raw_are_normalised_by_migrating(seeds):
    """0024 makes the links an older release stored as typed valid URIs (a raw quote or
    space percent-encoded); valid links are left as they were."""
    from editorial.models import Source

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    before = [("editorial", "0021_jobs")]
    old = migrate(before).loader.project_state(before).apps
    Answer, OldSource = (old.get_model("editorial", model) for model in ("Answer", "Source"))
    q1 = Answer.objects.get(document__name="000_45b9d17f8c940ceb.txt", position=1)
    day = datetime.date(2026, 1, 2)
    raw = OldSource.objects.create(answer=q1, url='https://example.org/a "b"', title="T",
                                   accessed_on=day)  # fmt: skip
    valid = OldSource.objects.create(answer=q1, url="https://example.org/it's?a=1&b=2",
                                     title="T", accessed_on=day)  # fmt: skip

    migrate(latest)

    assert Source.objects.get(pk=raw.pk).url == "https://example.org/a%20%22b%22"
    assert Source.objects.get(pk=valid.pk).url == "https://example.org/it's?a=1&b=2"
