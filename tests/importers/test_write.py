"""editorial.importers.write: a new file's answers, versions and events, and a file
written whole or not at all."""

from __future__ import annotations

import pytest
from reversion.models import Version

from editorial.importers import import_file
from editorial.models import Answer, Document, WorkflowEvent
from tests.importers.conftest import MASSACHUSETTS, MISSISSIPPI, parse_seed, write

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "subject"),
    [(MASSACHUSETTS, "Massachusetts"), (MISSISSIPPI, "Mississippi")],
    ids=["000", "004"],
)
def test_import_detects_the_subject_and_stores_the_answers(path, subject):
    result = import_file(path)

    document = Document.objects.get(name=path.name)
    assert result.document == document
    assert document.subject == subject
    assert (result.created, result.updated, result.unchanged, result.conflicting) == (20, 0, 0, 0)
    stored = list(
        document.answers.order_by("position").values_list(
            "position", "question", "text", "imported_question", "imported_text", "status"
        )
    )
    assert stored == [
        (item.position, item.question, item.answer, item.question, item.answer, "draft")
        for item in parse_seed(path)
    ]


def test_import_writes_exactly_one_version_per_answer_naming_the_file(editor):
    import_file(MASSACHUSETTS, user=editor)

    answers = list(Answer.objects.all())
    assert len(answers) == 20
    for answer in answers:
        versions = Version.objects.get_for_object(answer)
        assert versions.count() == 1, answer
        revision = versions.get().revision
        assert revision.get_comment() == f"Imported from {MASSACHUSETTS.name}"
        assert revision.user == editor
        assert versions.get().field_dict["text"] == answer.imported_text
    events = WorkflowEvent.objects.filter(answer__document__name=MASSACHUSETTS.name)
    assert events.count() == 20
    assert set(events.values_list("action", "actor")) == {("import", editor.pk)}


def test_jsonl_import_keeps_unicode_and_line_breaks(tmp_path):
    path = write(
        tmp_path,
        "vermont.jsonl",
        '{"question": "Does the Vermont DMV share data?", "answer": "Yes – “sometimes”.\\n'
        '1. Names\\n2. Addresses"}\n'
        "\n"
        '{"question": "Qu\'en est-il du Québec ? 日本語", "answer": "Ça dépend ✓ — naïve café"}\n'
        '{"answer": "Order of keys does not matter.", "question": "Third?"}\n',
    )

    result = import_file(path)

    assert result.created == 3
    document = Document.objects.get(name="vermont.jsonl")
    assert document.subject == "Vermont"
    assert list(
        document.answers.order_by("position").values_list("position", "question", "text")
    ) == [
        (1, "Does the Vermont DMV share data?", "Yes – “sometimes”.\n1. Names\n2. Addresses"),
        (2, "Qu'en est-il du Québec ? 日本語", "Ça dépend ✓ — naïve café"),
        (3, "Third?", "Order of keys does not matter."),
    ]


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_csv_import_reads_quoted_multiline_answers(tmp_path, newline):
    content = (
        "Question,Answer\n"
        '"Is it, really, multi-line?","First line, with a comma.\n'
        "2. A numbered item\n"
        'Third line with ""quotes"""\n'
        "Plain question?,Plain answer.\n"
    ).replace("\n", newline)
    path = write(tmp_path, "faq.csv", content)

    result = import_file(path)

    assert result.created == 2
    assert list(
        Answer.objects.filter(document__name="faq.csv")
        .order_by("position")
        .values_list("position", "question", "text")
    ) == [
        (
            1,
            "Is it, really, multi-line?",
            'First line, with a comma.\n2. A numbered item\nThird line with "quotes"',
        ),
        (2, "Plain question?", "Plain answer."),
    ]
