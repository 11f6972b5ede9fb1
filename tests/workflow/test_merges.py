"""Merges through the Python API: a stale edit merged with what is stored, and a waiting
re-import merged with the edited text, each through the one edit path, refused from a stale
base and never saved without a choice where both sides changed a passage."""

from __future__ import annotations

import dataclasses

import pytest
from reversion.models import Version

from editorial import workflow
from editorial.diffs import THEIRS, YOURS, Snapshot
from editorial.models import Answer, ApprovedVersion, Status, WorkflowEvent
from tests.conftest import a_source, snapshot
from tests.diffs.conftest import FIRST, FOURTH, edited
from tests.workflow.conftest import in_state, sourced

pytestmark = pytest.mark.django_db


def typed(answer: Answer, **changes) -> Snapshot:
    """The answer's content as stored now, with what a person typed over it."""
    return dataclasses.replace(workflow.stored_content(answer), **changes)


@pytest.fixture
def opened(answer, editor) -> tuple[Answer, int, str]:
    """Q2, sourced by `editor`; the version a page opened now shows, and its text."""
    answer = sourced(answer, editor)
    return answer, answer.version, answer.text


def test_a_stale_edit_is_merged_as_one_version_naming_both(opened, editor):
    answer, base, text = opened
    yours = typed(answer, text=edited(text, FOURTH, "in federal law."))
    workflow.edit(answer, user=editor, text=edited(text, FIRST, "every week."))
    versions = Version.objects.get_for_object(answer).count()

    done = workflow.merge_edit(
        answer, user=editor, base_version=base, yours=yours, choices={},
        expected_version=base + 1,
    )  # fmt: skip

    assert done.saved
    row = Answer.objects.get(pk=answer.pk)
    assert row.text == edited(edited(text, FIRST, "every week."), FOURTH, "in federal law.")
    assert row.version == base + 2
    assert Version.objects.get_for_object(answer).count() == versions + 1
    event = row.events.order_by("-id").first()
    assert (event.action, event.actor, event.comment) == (
        WorkflowEvent.Action.EDIT,
        editor,
        f"Merged version {base + 1} (stored) with the edit made from version {base}",
    )
    assert row.sources.count() == 1  # nobody changed them


def test_a_merge_from_a_stale_base_writes_nothing(opened, editor):
    answer, base, text = opened
    yours = typed(answer, text=edited(text, FOURTH, "in federal law."))
    workflow.edit(answer, user=editor, text=edited(text, FIRST, "every week."))
    workflow.edit(answer, user=editor, text="Moved on again.")
    before = snapshot(answer)

    with pytest.raises(workflow.StaleVersionError):
        workflow.merge_edit(
            answer, user=editor, base_version=base, yours=yours, choices={},
            expected_version=base + 1,
        )  # fmt: skip

    assert snapshot(answer) == before


def test_an_overlap_needs_a_choice_and_takes_the_one_made(opened, editor):
    answer, base, text = opened
    yours = typed(answer, text=edited(text, FIRST, "on request."))
    workflow.edit(answer, user=editor, text=edited(text, FIRST, "every week."))
    before = snapshot(answer)
    merge = dict(user=editor, base_version=base, yours=yours, expected_version=base + 1)

    with pytest.raises(workflow.ChoiceNeeded) as needed:
        workflow.merge_edit(answer, choices={}, **merge)
    assert needed.value.names == ["text-1"]
    assert snapshot(answer) == before
    assert not workflow.merge_edit(answer, choices={"text-1": THEIRS}, **merge).saved
    assert snapshot(answer) == before

    workflow.merge_edit(answer, choices={"text-1": YOURS}, **merge)
    assert Answer.objects.get(pk=answer.pk).text == yours.text


def test_sources_kept_by_the_merge_stay_the_same_rows(opened, editor):
    answer, base, text = opened
    kept = answer.sources.get()
    yours = typed(answer, sources=(*workflow.stored_content(answer).sources, a_source(title="B")))
    workflow.edit(answer, user=editor, text=edited(text, FIRST, "every week."))

    workflow.merge_edit(
        answer, user=editor, base_version=base, yours=yours, choices={},
        expected_version=base + 1,
    )  # fmt: skip

    assert [(s.pk, s.title) for s in answer.sources.order_by("id")][0] == (kept.pk, kept.title)
    assert list(answer.sources.values_list("title", flat=True)) == [kept.title, "B"]


def test_merging_into_an_approved_answer_returns_it_to_draft_and_keeps_the_approval(
    answer, editor, reviewer, managing
):
    answer = in_state(answer, Status.DRAFT, editor=editor, reviewer=reviewer, managing=managing)
    base, text = answer.version, answer.text
    yours = typed(answer, text=edited(text, FOURTH, "in federal law."))
    answer = in_state(answer, Status.APPROVED, editor=editor, reviewer=reviewer, managing=managing)
    approved = ApprovedVersion.objects.get(answer=answer).version

    workflow.merge_edit(
        answer, user=editor, base_version=base, yours=yours, choices={},
        expected_version=answer.version,
    )  # fmt: skip

    row = Answer.objects.get(pk=answer.pk)
    assert row.status == Status.DRAFT and row.text.endswith("in federal law.")
    assert ApprovedVersion.objects.get(answer=row).version == approved


def test_a_version_not_in_the_history_cannot_be_merged_from(opened, editor):
    answer, base, text = opened
    with pytest.raises(workflow.WorkflowError, match="not in this answer's history"):
        workflow.stale_merge(answer, base_version=999, yours=typed(answer))


# --- re-imports -------------------------------------------------------------------------------


def waiting(answer: Answer, incoming_text: str) -> Answer:
    """A re-import kept beside the staff version, as importers.write leaves it."""
    Answer.objects.filter(pk=answer.pk).update(
        incoming_question=answer.imported_question, incoming_text=incoming_text
    )
    answer.refresh_from_db()
    return answer


def test_a_reimport_merges_as_an_edit_and_moves_the_baseline_together(answer, editor):
    imported = answer.imported_text
    workflow.edit(answer, user=editor, text=edited(answer.text, FOURTH, "in federal law."))
    answer = waiting(answer, edited(imported, FIRST, "weekly."))
    before = snapshot(answer)

    done = workflow.merge_reimport(
        answer, user=editor, choices={}, expected_version=answer.version,
        incoming=workflow.incoming_digest(answer),
    )  # fmt: skip

    row = Answer.objects.get(pk=answer.pk)
    assert done.saved and row.version == before["row"]["version"] + 1
    assert row.text == edited(edited(imported, FIRST, "weekly."), FOURTH, "in federal law.")
    assert row.imported_text == edited(imported, FIRST, "weekly.")
    assert not row.has_import_conflict
    actions = list(row.events.exclude(id__in=before["events"]).values_list("action", flat=True))
    assert actions == [WorkflowEvent.Action.EDIT, WorkflowEvent.Action.MERGE]


def test_a_reimport_merge_is_refused_after_another_import_and_writes_nothing(answer, editor):
    workflow.edit(answer, user=editor, text=edited(answer.text, FOURTH, "in federal law."))
    answer = waiting(answer, edited(answer.imported_text, FIRST, "weekly."))
    shown = workflow.incoming_digest(answer)
    answer = waiting(answer, edited(answer.imported_text, FIRST, "monthly."))
    before = snapshot(answer)

    with pytest.raises(workflow.StaleVersionError, match="Another import"):
        workflow.merge_reimport(
            answer, user=editor, choices={}, expected_version=answer.version, incoming=shown
        )

    assert snapshot(answer) == before
    assert Answer.objects.get(pk=answer.pk).has_import_conflict
