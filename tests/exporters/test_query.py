"""The query: approved versions only (never a draft, an archived answer or a working
field), times in UTC, one select at any size."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from editorial import workflow
from editorial.exporters import FORMATS
from editorial.models import Answer, ApprovedVersion, ExportRecord, Status
from editorial.storage.history import unlocked
from tests.exporters.conftest import (
    MASSACHUSETTS,
    MISSISSIPPI,
    RMV,
    answer_at,
    approvable,
    approve,
    approved_in_steps,
    cite_claims,
    export,
    parse_jsonl,
)

pytestmark = pytest.mark.django_db
SQLITE_CACHE_PRAGMAS = 3 if connection.vendor == "sqlite" else 0


@pytest.mark.parametrize(
    "approved_at",
    [
        datetime.datetime(2026, 11, 20, 9, 30, tzinfo=datetime.UTC),
        datetime.datetime(2026, 11, 20, 9, 30, 0, 100000, tzinfo=datetime.UTC),
        datetime.datetime(2026, 11, 20, 9, 30, 5, 7, tzinfo=datetime.UTC),
        datetime.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.UTC),
        # Given in another zone: exported in UTC all the same.
        datetime.datetime(
            2026, 3, 29, 1, 30, 0, 500, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))
        ),
    ],
)
def test_approval_times_are_exported_as_isoformat_writes_them_in_utc(approved, approved_at):
    """The export reads times as the database's text (faster than Django parsing each)."""
    with unlocked():  # approvals are permanent: this test sets a time no clock gives
        ApprovedVersion.objects.current().filter(answer=approved["ma1"]).update(
            approved_at=approved_at
        )
    record = next(r for r in parse_jsonl(export("jsonl")) if r["id"] == approved["ma1"].pk)
    assert record["approved_at"] == approved_at.astimezone(datetime.UTC).isoformat()


# --- never the draft --------------------------------------------------------------------


def _exported_answers(format_name: str = "jsonl") -> dict[int, tuple[str, str]]:
    return {r["id"]: (r["question"], r["answer"]) for r in parse_jsonl(export(format_name))}


def test_only_approved_versions_leave_the_system(seeds, editor, reviewer, managing):
    ma = {position: answer_at(MASSACHUSETTS, position) for position in range(2, 8)}
    approved = approve(ma[2], editor, reviewer)
    workflow.edit(ma[3], user=editor, sources=[RMV])  # draft
    workflow.edit(ma[4], user=editor, sources=[RMV])
    cite_claims(ma[4], editor)
    workflow.submit(ma[4], editor, reviewer=reviewer)  # in review
    workflow.edit(ma[5], user=editor, sources=[RMV])
    cite_claims(ma[5], editor)
    workflow.submit(ma[5], editor, reviewer=reviewer)
    workflow.request_changes(ma[5], reviewer, comment="Cite the statute.")
    archived = approve(ma[6], editor, reviewer)
    workflow.archive(archived, managing)
    workflow.edit(ma[7], user=editor, text="A draft nobody approved.")

    for format_name in FORMATS:
        data = export(format_name).decode()
        assert "A draft nobody approved." not in data
    assert set(_exported_answers()) == {approved.pk}
    # Restoring an archived approved answer brings its approved version back.
    workflow.restore(archived, managing)
    assert set(_exported_answers()) == {approved.pk, archived.pk}


def test_an_answer_edited_after_approval_exports_its_approved_text(seeds, editor, reviewer):
    answer = approve(answer_at(MASSACHUSETTS, 2), editor, reviewer)
    approved_text = (answer.question, answer.text)
    workflow.edit(answer, user=editor, question="EDITED question?", text="EDITED draft text.")
    assert answer.status == Status.DRAFT

    for format_name in FORMATS:
        data = export(format_name).decode()
        assert "EDITED" not in data, format_name
    assert _exported_answers()[answer.pk] == approved_text

    workflow.submit(answer, editor, reviewer=reviewer)  # in review: still the approved text
    assert _exported_answers()[answer.pk] == approved_text
    workflow.request_changes(answer, reviewer, comment="Not yet.")
    assert _exported_answers()[answer.pk] == approved_text

    workflow.submit(answer, editor, reviewer=reviewer)
    workflow.approve(answer, reviewer)
    assert _exported_answers()[answer.pk] == ("EDITED question?", "EDITED draft text.")
    assert parse_jsonl(export("jsonl"))[0]["version"] == answer.version


def test_the_answers_working_fields_are_never_read(approved):
    """Even a working row changed behind the workflow's back does not leak into an export."""
    Answer.objects.filter(pk=approved["ma2"].pk).update(
        question="Working question", text="Working text"
    )
    for format_name in FORMATS:
        assert b"Working" not in export(format_name)


# --- scale: queries do not grow with the answers ----------------------------------------


@pytest.mark.parametrize("size", [3, 30])
@pytest.mark.parametrize("format_name", list(FORMATS))
def test_an_export_makes_the_same_few_queries_at_any_size(
    seeds, editor, reviewer, size, format_name, django_assert_max_num_queries
):
    for answer in approvable(size):
        approve(answer, editor, reviewer)
    # The history chain's head, the approved versions, then the record; on SQLite, three
    # PRAGMAs around the read (the page cache made small while it sorts, then put back).
    # Markdown reads the documents' titles and people's names once more (two queries).
    names = 2 if FORMATS[format_name].with_names else 0
    with django_assert_max_num_queries(3 + SQLITE_CACHE_PRAGMAS + names):
        data = export(format_name)
    assert ExportRecord.objects.get().answer_count == size
    assert data


def test_the_query_is_one_select_whatever_the_size(seeds, editor, reviewer):
    counts = []
    for _ in approved_in_steps((3, 30), editor, reviewer):
        with CaptureQueriesContext(connection) as queries:
            export("md", documents=[MASSACHUSETTS, MISSISSIPPI])
        counts.append(len(queries))
    # Documents checked, the chain's head, titles and names, approved versions, record (and
    # the PRAGMAs on SQLite).
    assert counts[0] == counts[1] == 6 + SQLITE_CACHE_PRAGMAS
