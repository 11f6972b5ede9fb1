"""editorial.importers.prepare: a file that cannot be read or parsed is refused whole,
naming its path and line, before anything of it is written."""

from __future__ import annotations

import pytest

from editorial.importers import ImportFileError, import_file
from editorial.models import Answer, Document
from tests.importers.conftest import BAD_FILES, GOOD_JSONL, row_counts, write

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_bad_file_names_its_path_and_line_and_saves_nothing(tmp_path, name):
    content, line, reason = BAD_FILES[name]
    path = write(tmp_path, name, content)

    with pytest.raises(ImportFileError) as raised:
        import_file(path)

    message = str(raised.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert reason in message
    assert (raised.value.path, raised.value.line) == (str(path), line)
    assert row_counts() == {
        "documents": 0,
        "answers": 0,
        "versions": 0,
        "revisions": 0,
        "events": 0,
    }


def test_a_bad_version_of_an_imported_file_changes_nothing(tmp_path):
    path = write(tmp_path, "faq.jsonl", GOOD_JSONL + GOOD_JSONL.replace("Good", "Other"))
    import_file(path)
    imported_hash = Document.objects.get().content_hash
    before = row_counts()
    stored = list(Answer.objects.values_list("question", "text", "version"))

    write(
        tmp_path,
        "faq.jsonl",
        GOOD_JSONL.replace("Good answer", "Changed answer") + GOOD_JSONL + "{oops\n",
    )
    with pytest.raises(ImportFileError, match=r":3: invalid JSON"):
        import_file(path)

    assert row_counts() == before
    assert list(Answer.objects.values_list("question", "text", "version")) == stored
    assert Document.objects.get().content_hash == imported_hash
