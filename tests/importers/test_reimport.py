"""The re-import rules: the identical file changes nothing, an untouched answer takes the
new text, an edited one keeps the staff version with the new import beside it."""

from __future__ import annotations

import datetime

import pytest
from reversion.models import Version

from editorial import workflow
from editorial.importers import import_file
from editorial.models import Answer, Document, WorkflowEvent
from tests.importers.conftest import MASSACHUSETTS, row_counts, write

pytestmark = pytest.mark.django_db


def test_reimporting_a_crlf_copy_of_a_seed_changes_no_answer(tmp_path):
    import_file(MASSACHUSETTS)
    before = row_counts()
    copy = write(
        tmp_path / "windows", MASSACHUSETTS.name, MASSACHUSETTS.read_bytes().replace(b"\n", b"\r\n")
    )

    result = import_file(copy)

    assert (result.created, result.updated, result.unchanged, result.conflicting) == (0, 0, 20, 0)
    assert row_counts() == before


def test_reimporting_an_unchanged_file_changes_nothing(seeds):
    document = Document.objects.get(name=MASSACHUSETTS.name)
    before = row_counts()
    stored = list(Answer.objects.order_by("pk").values())

    result = import_file(MASSACHUSETTS)

    assert (result.created, result.updated, result.unchanged, result.conflicting) == (0, 0, 20, 0)
    assert result.document == document
    assert row_counts() == before
    assert list(Answer.objects.order_by("pk").values()) == stored
    assert Document.objects.get(pk=document.pk).imported_at == document.imported_at


def _replace_answer(text: str, old_first_line: str, new_first_line: str) -> str:
    assert text.count(old_first_line) == 1
    return text.replace(old_first_line, new_first_line)


def test_reimport_updates_untouched_answers_and_never_overwrites_staff_work(tmp_path, editor):
    original = MASSACHUSETTS.read_text(encoding="utf-8")
    first = write(tmp_path / "v1", MASSACHUSETTS.name, original)
    import_file(first)
    answers = {answer.position: answer for answer in Answer.objects.all()}
    q2, q5, q7 = answers[2], answers[5], answers[7]
    workflow.edit(q5, user=editor, text="Staff-corrected answer five.", comment="fix five")
    workflow.edit(
        q7,
        user=editor,
        sources=[
            {
                "url": "https://www.mass.gov/rmv",
                "title": "Registry of Motor Vehicles",
                "publisher": "Commonwealth of Massachusetts",
                "accessed_on": datetime.date(2024, 5, 1),
            }
        ],
        comment="source for seven",
    )
    # Each changed answer's first line (its whole answer for 2, 5 and 7) is rewritten.
    changed = original
    new_texts = {}
    for answer in (q2, q5, q7):
        new_texts[answer.position] = f"Rewritten answer {answer.position} from the new import."
        changed = _replace_answer(changed, answer.imported_text, new_texts[answer.position])
    second = write(tmp_path / "v2", MASSACHUSETTS.name, changed)
    versions_before = {
        position: Version.objects.get_for_object(answer).count()
        for position, answer in answers.items()
    }

    result = import_file(second)

    assert (result.created, result.updated, result.unchanged, result.conflicting) == (0, 1, 17, 2)
    q2.refresh_from_db()
    assert (q2.text, q2.imported_text, q2.version) == (new_texts[2], new_texts[2], 2)
    assert not q2.has_import_conflict
    q2_versions = Version.objects.get_for_object(q2)
    assert q2_versions.count() == 2
    assert q2_versions.first().field_dict["text"] == new_texts[2]
    assert q2.events.order_by("-id").first().action == WorkflowEvent.Action.REIMPORT

    q5.refresh_from_db()
    assert q5.text == "Staff-corrected answer five."
    assert q5.imported_text == answers[5].imported_text
    assert q5.incoming_text == new_texts[5]
    assert q5.has_import_conflict
    assert q5.events.order_by("-id").first().action == WorkflowEvent.Action.CONFLICT

    q7.refresh_from_db()
    assert q7.text == answers[7].imported_text
    assert q7.incoming_text == new_texts[7]
    assert q7.sources.count() == 1

    for position, answer in answers.items():
        if position not in (2, 5, 7):
            answer_now = Answer.objects.get(pk=answer.pk)
            assert answer_now.text == answer.text
            assert Version.objects.get_for_object(answer).count() == versions_before[position]

    # The same changed file once more: nothing new, the conflicts still wait to be merged.
    before = row_counts()
    again = import_file(second)
    assert (again.created, again.updated, again.unchanged, again.conflicting) == (0, 0, 20, 0)
    assert row_counts() == before
    assert Answer.objects.get(pk=q5.pk).incoming_text == new_texts[5]
