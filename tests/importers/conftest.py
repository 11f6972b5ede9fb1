"""Helpers for the importer tests: the two seed files, small files written per test, the
rows an import writes, counted, and the bad files each format can bring."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from reversion.models import Revision, Version

from editorial.importers import parse_numbered_text
from editorial.models import Answer, Document, WorkflowEvent
from tests.conftest import FIXTURES

MASSACHUSETTS = FIXTURES / "000_45b9d17f8c940ceb.txt"
MISSISSIPPI = FIXTURES / "004_4ec6ae860d37c5b3.txt"
SEEDS = [MASSACHUSETTS, MISSISSIPPI]


def parse_seed(path: Path):
    """The seed as the parser reads it, for tests that compare an import with it."""
    return parse_numbered_text(path.read_text(encoding="utf-8"), path)


def row_counts() -> dict[str, int]:
    """The rows an import writes, counted: a refused file must leave each as it was."""
    return {
        "documents": Document.objects.count(),
        "answers": Answer.objects.count(),
        "versions": Version.objects.count(),
        "revisions": Revision.objects.count(),
        "events": WorkflowEvent.objects.count(),
    }


def write(folder: Path, name: str, content: str | bytes) -> Path:
    """A file as given, byte for byte: text is written without translating line endings."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


# Bad files: each brings one error naming its file and line.
GOOD_JSONL = '{"question": "Good question?", "answer": "Good answer."}\n'

BAD_FILES = {
    # name: (content, line named in the error, words of the reason)
    "b_empty.txt": (b"", 1, "empty"),
    "c_blank.txt": (b"\n  \n\n", 1, "empty"),
    "d_prose.txt": (b"\n\nSome notes about the DMV.\nNo questions here.\n", 3, "before the first"),
    "e_latin1.txt": (
        "1. First question?\nAnswer one.\n2. Second question?\nCafé in Latin-1.\n".encode(
            "latin-1"
        ),
        4,
        "not UTF-8",
    ),
    "f_skips.txt": (b"1. First question?\nAnswer.\n3. Third question?\nAnswer.\n", 3, "question 3"),
    "g_line3.jsonl": (
        (GOOD_JSONL + GOOD_JSONL.replace("Good", "Second") + '{"question": "Broken?",\n').encode(),
        3,
        "invalid JSON",
    ),
    "h_no_question.jsonl": (
        (GOOD_JSONL + GOOD_JSONL + '{"answer": "No question."}\n').encode(),
        3,
        "question is missing",
    ),
    "i_header.csv": (b"q,a\nWhat?,That.\n", 1, "header"),
    "i_header_quote.csv": (b'"question" x,answer\nWhat?,That.\n', 1, "invalid CSV"),
    "i_row_after_multiline.csv": (
        b'question,answer\n"Q?","a\nb\nc"\n,No question\n',
        5,
        "question",
    ),
    # An unquoted comma would silently cut the answer short.
    "i_extra_cell.csv": (b"question,answer\nOne?,Fine.\nTwo?,Cut, here.\n", 3, "unquoted comma"),
    # An unclosed quote would silently swallow the rest of the file into one answer.
    "i_unclosed.csv": (
        b'question,answer\nOne?,Fine.\nTwo?,"Never closed\nThree?,x\n',
        3,
        "invalid CSV",
    ),
    "j_nul.txt": (b"1. First question?\nAnswer.\nA NUL \x00 byte.\n", 3, "NUL"),
    "k_nul_escape.jsonl": (
        (GOOD_JSONL + '{"question": "Q?", "answer": "NUL \\u0000 escaped"}\n').encode(),
        2,
        "NUL",
    ),
    "l_surrogate.jsonl": (
        (GOOD_JSONL + GOOD_JSONL + '{"question": "Q?", "answer": "lone \\ud800"}\n').encode(),
        3,
        "surrogate",
    ),
}


# --- a database that refuses a write, to fail a file part-way through writing it ----------

# The text that makes the database refuse an answer's row, and the reason it gives.
REFUSED = "REFUSED-BY-THE-DATABASE"
REFUSAL = "refused by the test trigger"


@pytest.fixture
def refuse(db):
    """`refuse("UPDATE", condition)`: the database refuses such a write to an answer's row.

    A real trigger, so a file fails where a real refusal (a constraint, a full disk) would
    fail it, half-way through its statements, with no mock of our own code. Dropped after
    the test.
    """
    made = []

    def make(event: str, condition: str) -> None:
        name = f"test_refuse_{len(made)}"
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                    f"$$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$"
                )
                cursor.execute(
                    f"CREATE TRIGGER {name} BEFORE {event} ON editorial_answer FOR EACH ROW "
                    f"WHEN ({condition}) EXECUTE FUNCTION {name}()"
                )
            else:
                cursor.execute(
                    f"CREATE TRIGGER {name} BEFORE {event} ON editorial_answer "
                    f"WHEN ({condition}) BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
                )
        made.append(name)

    yield make
    with connection.cursor() as cursor:
        for name in made:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER {name} ON editorial_answer")
                cursor.execute(f"DROP FUNCTION {name}()")
            else:
                cursor.execute(f"DROP TRIGGER {name}")


def five_answers(tag: str, *, edition: int = 1, third: str | None = None) -> str:
    """A numbered file of five answers; a later edition changes every answer's text."""
    texts = [f"Answer {n} of {tag}, edition {edition}." for n in range(1, 6)]
    if third is not None:
        texts[2] = third
    return "".join(f"{n}. Question {n} of {tag}?\n{text}\n" for n, text in enumerate(texts, 1))
