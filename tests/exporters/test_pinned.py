"""Exports are pinned whole: after approval, a re-import with new machine text, merged,
changes no byte of any format (issue 20, finding 1: `pairs` showed the new, unreviewed
machine text and counted its words changed against it)."""

from __future__ import annotations

import pytest

from editorial import workflow
from editorial.exporters import FORMATS
from editorial.importers import import_paths
from editorial.models import Answer, Document
from tests.conftest import FIXTURES
from tests.exporters.conftest import MASSACHUSETTS, MISSISSIPPI, export, parse_jsonl

pytestmark = pytest.mark.django_db


def reimported(tmp_path, approved: dict[str, Answer]) -> None:
    """Both files again, each approved answer's machine text (and one question) rewritten
    and Massachusetts renamed Vermont (so the document's subject changes too)."""
    changed = {
        name: (FIXTURES / name).read_text(encoding="utf-8") for name in (MASSACHUSETTS, MISSISSIPPI)
    }
    for answer in approved.values():
        first_line = answer.imported_text.splitlines()[0]
        text = changed[answer.document.name]
        assert text.count(first_line) == 1
        changed[answer.document.name] = text.replace(
            first_line, f"{first_line} The new import adds this sentence."
        )
    question = approved["ms1"].imported_question
    assert changed[MISSISSIPPI].count(question) == 1
    changed[MISSISSIPPI] = changed[MISSISSIPPI].replace(question, f"{question[:-1]}, today?")
    changed[MASSACHUSETTS] = changed[MASSACHUSETTS].replace("Massachusetts", "Vermont")
    folder = tmp_path / "again"
    folder.mkdir()
    for name, text in changed.items():
        (folder / name).write_text(text, encoding="utf-8")
    summary = import_paths([folder])
    assert not summary.failed, summary.failed


def test_a_reimport_merged_after_approval_changes_no_byte_of_any_export(tmp_path, approved, editor):
    before = {name: export(name) for name in FORMATS}
    pairs_before = parse_jsonl(before["pairs"])

    reimported(tmp_path, approved)
    waiting = {key: Answer.objects.get(pk=answer.pk) for key, answer in approved.items()}
    # Kept as conflicts beside the approved content (each was edited: sources, claims).
    assert all(answer.has_import_conflict for answer in waiting.values())
    # Merged: ma2 through the merge page's service (its text becomes the new import's, one
    # edit), the others marked merged as they stand (they stay approved).
    workflow.merge_reimport(
        waiting["ma2"], user=editor, choices={}, expected_version=waiting["ma2"].version,
        incoming=workflow.incoming_digest(waiting["ma2"]),
    )  # fmt: skip
    for key in ("ma1", "ma3", "ms1", "ms20"):
        workflow.mark_import_merged(waiting[key], editor)

    # Not an empty comparison: the live machine text and subject did move.
    merged = {key: Answer.objects.get(pk=answer.pk) for key, answer in approved.items()}
    for key, answer in merged.items():
        assert not answer.has_import_conflict
        assert "The new import adds this sentence." in answer.imported_text, key
        assert answer.approved.imported_text == approved[key].imported_text
    assert merged["ms1"].imported_question.endswith(", today?")
    assert "The new import adds this sentence." in merged["ma2"].text
    assert [answer.status for key, answer in merged.items() if key != "ma2"] == ["approved"] * 4
    assert Document.objects.get(name=MASSACHUSETTS).subject == "Vermont"

    after = {name: export(name) for name in FORMATS}
    assert {name for name in FORMATS if after[name] != before[name]} == set()
    pairs = {pair["id"]: pair for pair in parse_jsonl(after["pairs"])}
    assert pairs[approved["ms1"].pk]["imported_question"] == approved["ms1"].imported_question
    assert {pair["subject"] for pair in pairs_before} == {"Massachusetts", "Mississippi"}


def test_an_approval_pins_the_machine_text_and_subject_it_was_approved_beside(approved):
    for answer in approved.values():
        pin = Answer.objects.get(pk=answer.pk).approved
        assert (pin.imported_question, pin.imported_text, pin.document_subject) == (
            answer.imported_question,
            answer.imported_text,
            answer.document.subject,
        )
