"""editorial.importers.write: a new file's answers, versions and events, and a file
written whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from reversion.models import Version

from editorial.importers import import_file, import_paths
from editorial.models import Answer, Document, WorkflowEvent
from tests.importers.conftest import (
    MASSACHUSETTS,
    MISSISSIPPI,
    REFUSAL,
    REFUSED,
    five_answers,
    parse_seed,
    write,
)

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


# Where the database refuses the re-imported file: the third answer's update (inside the
# file's reversion revision), or the refresh of its flags after that revision is written
# (the one update of the answer that leaves its version as it is).
REFUSED_WRITES = {
    "third-update": f"NEW.text LIKE '%{REFUSED}%'",
    "flags-refresh": f"NEW.text LIKE '%{REFUSED}%' AND NEW.version = OLD.version",
}


@pytest.mark.parametrize("refused", REFUSED_WRITES)
def test_a_file_whose_write_fails_midway_leaves_nothing_and_the_others_import(
    tmp_path, refuse, refused
):
    for name in ("b_refused.txt", "c_after.txt"):
        write(tmp_path / "v1", name, five_answers(name))
    assert not import_paths([tmp_path / "v1"]).failed
    document = Document.objects.get(name="b_refused.txt")
    answers = Answer.objects.filter(document=document)
    ids = [str(pk) for pk in answers.values_list("pk", flat=True)]

    def stored() -> dict:
        return {
            "document": Document.objects.filter(pk=document.pk).values().get(),
            "answers": list(answers.order_by("position").values()),
            "versions": list(Version.objects.filter(object_id__in=ids).values_list("pk")),
            "events": list(WorkflowEvent.objects.filter(answer__in=answers).values_list("pk")),
        }

    before = stored()
    # Every answer of both files is untouched, so a re-import updates each of them; the new
    # file is written first (in bulk), the refused one next, c_after after it in the same
    # transaction.
    write(tmp_path / "v2", "a_new.txt", five_answers("a_new.txt"))
    write(
        tmp_path / "v2",
        "b_refused.txt",
        five_answers("b_refused.txt", edition=2, third=f"Answer 3, {REFUSED}."),
    )
    write(tmp_path / "v2", "c_after.txt", five_answers("c_after.txt", edition=2))
    refuse("UPDATE", REFUSED_WRITES[refused])

    summary = import_paths([tmp_path / "v2"])

    errors = {Path(result.path).name: result.error for result in summary.failed}
    assert list(errors) == ["b_refused.txt"], errors
    assert errors["b_refused.txt"].startswith(f"{tmp_path / 'v2' / 'b_refused.txt'}: could not")
    assert REFUSAL in errors["b_refused.txt"]
    assert stored() == before
    assert Document.objects.get(pk=document.pk).content_hash == before["document"]["content_hash"]
    results = {Path(result.path).name: result for result in summary.files}
    assert (results["a_new.txt"].created, results["c_after.txt"].updated) == (5, 5)
    assert set(
        Answer.objects.filter(document__name="c_after.txt").values_list("text", flat=True)
    ) == {f"Answer {n} of c_after.txt, edition 2." for n in range(1, 6)}
