"""editorial.importers.parsers (and parse_file): the seeds and small texts read as answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from editorial import importers
from editorial.importers import ImportFileError, decode, parse_file, parse_numbered_text
from tests.importers.conftest import MASSACHUSETTS, MISSISSIPPI, SEEDS, parse_seed, write

# Written independently of the importer: a seed's question lines are "N. …?" at column 0.
QUESTION_LINE = re.compile(r"^\d+\. .*\?$")


def expected_items(path: Path) -> list[tuple[int, str, str, int]]:
    """(position, question line, answer text, line number) read straight from the file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    starts = [index for index, line in enumerate(lines) if QUESTION_LINE.match(line)]
    ends = [*starts[1:], len(lines)]
    return [
        (position, lines[start], "\n".join(lines[start + 1 : end]), start + 1)
        for position, (start, end) in enumerate(zip(starts, ends, strict=True), start=1)
    ]


@pytest.mark.parametrize("path", SEEDS, ids=lambda path: path.name)
def test_seed_parses_to_its_twenty_question_lines(path):
    expected = expected_items(path)
    assert len(expected) == 20
    assert [position for position, *_ in expected] == list(range(1, 21))

    items = parse_seed(path)

    assert [(item.position, f"{item.position}. {item.question}") for item in items] == [
        (position, question_line) for position, question_line, _, _ in expected
    ]
    assert [item.line for item in items] == [line for *_, line in expected]


@pytest.mark.parametrize("path", SEEDS, ids=lambda path: path.name)
def test_seed_answers_are_the_exact_lines_between_questions(path):
    items = parse_seed(path)
    assert [item.answer for item in items] == [answer for _, _, answer, _ in expected_items(path)]


def test_numbered_items_inside_answers_stay_in_their_answer():
    massachusetts = {item.position: item for item in parse_seed(MASSACHUSETTS)}
    mississippi = {item.position: item for item in parse_seed(MISSISSIPPI)}

    assert "\n2. Driver’s license information:" in massachusetts[3].answer
    assert "\n3. Personal identifying information:" in massachusetts[3].answer
    # Answers that start with "1." are answers, not a restart of the numbering.
    for position in (9, 10, 12, 13, 14):
        assert massachusetts[position].answer.startswith("1. "), position
    assert massachusetts[10].answer.startswith("1. As of my latest information")
    assert massachusetts[11].question.startswith("Are there any specific criteria")
    # Item "2." of answer 1 carries the number question 2 will have; it stays in answer 1.
    assert "\n2. Driver’s license record:" in mississippi[1].answer
    assert mississippi[1].answer.count("\n") == 5  # file lines 2-7
    assert mississippi[2].question == (
        "How is the data sharing agreement between the Mississippi DMV and ICE regulated?"
    )


VARIANTS = {
    "bom": lambda raw: b"\xef\xbb\xbf" + raw,
    "crlf": lambda raw: raw.replace(b"\n", b"\r\n"),
    "bom+crlf": lambda raw: b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n"),
    "cr": lambda raw: raw.replace(b"\n", b"\r"),
}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("seed", SEEDS, ids=lambda path: path.name)
def test_bom_and_line_endings_parse_like_the_plain_file(tmp_path, seed, variant):
    raw = seed.read_bytes()
    changed = write(tmp_path / variant, seed.name, VARIANTS[variant](raw))
    assert changed.read_bytes() != raw

    _, plain_items = parse_file(seed)
    _, variant_items = parse_file(changed)

    assert variant_items == plain_items
    assert all("\r" not in item.answer and "\ufeff" not in item.question for item in variant_items)


def test_decode_names_the_line_of_the_first_undecodable_byte_with_crlf():
    raw = b"1. Q?\r\nfine\r\nbad \xff here\r\n"
    with pytest.raises(ImportFileError) as raised:
        decode(raw, "x.txt")
    assert str(raised.value).startswith("x.txt:3: not UTF-8 text (byte 0xff")


def test_question_numbers_beyond_9999_are_questions(tmp_path):
    text = "".join(f"{n}. Question {n}?\nAnswer {n}.\n" for n in range(1, 10_003))
    items = parse_numbered_text(text, "many.txt")
    assert len(items) == 10_002
    assert (items[9_999].position, items[9_999].question, items[9_999].answer) == (
        10_000, "Question 10000?", "Answer 10000."
    )  # fmt: skip


def test_a_line_padded_with_spaces_is_parsed_in_linear_time():
    import threading

    # The old pattern took 17.6 s on 64,000 spaces and grew with the square: on 1,000,000
    # it would run for over an hour. A linear parse takes milliseconds.
    text = "1. Is this padded?" + " " * 1_000_000 + "\n2. x" + " " * 1_000_000 + "y\n"
    result = {}
    worker = threading.Thread(target=lambda: result.update(items=parse_numbered_text(text, "p")))
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "parsing a padded line did not finish"
    assert [item.question for item in result["items"]] == ["Is this padded?"]
    assert result["items"][0].answer.startswith("2. x") and result["items"][0].answer.endswith("y")


def test_a_list_item_with_the_next_number_never_shifts_the_questions_after_it():
    text = (
        "1. What are the steps?\nFirst:\n3. Ask.\n\n2. Contact the office.\n\n"
        "2. Who answers?\nThe clerk.\n"
        "3. When?\nSoon.\n"
        "4. Where?\nHere.\n"
    )
    warnings: list[str] = []
    items = parse_numbered_text(text, "shift.txt", warnings)
    assert [(item.position, item.question) for item in items] == [
        (1, "What are the steps?"), (2, "Who answers?"), (3, "When?"), (4, "Where?"),
    ]  # fmt: skip
    assert "2. Contact the office." in items[0].answer
    assert warnings == [
        'shift.txt:5: "2. Contact the office." was read as part of answer 1, not as '
        'question 2: line 7 ("2. Who answers?") reads as question 2'
    ]


def test_a_list_item_phrased_as_a_question_yields_to_the_real_question():
    text = (
        "1. What can I ask?\n1. Who decides?\n2. How long does it take?\n\n"
        "2. How long does it take?\nThirty days.\n"
        "3. Is there a fee?\nNo.\n"
    )
    warnings: list[str] = []
    items = parse_numbered_text(text, "q.txt", warnings)
    assert [(item.position, item.answer) for item in items] == [
        (1, "1. Who decides?\n2. How long does it take?"), (2, "Thirty days."), (3, "No."),
    ]  # fmt: skip
    assert len(warnings) == 1 and warnings[0].startswith("q.txt:3: ")


def test_a_numbered_line_taken_beside_a_list_is_reported_and_plain_files_are_not():
    warnings: list[str] = []
    items = parse_numbered_text("1. Steps\n1. Ask.\n3. Wait.\n2. Fees\nNone.\n", "w.txt", warnings)
    assert [item.question for item in items] == ["Steps", "Fees"]
    assert warnings == [
        'w.txt:4: "2. Fees" was taken as question 2; it could also be an item of the '
        "numbered list in answer 1"
    ]
    quiet: list[str] = []
    parse_numbered_text("1. Steps\nAsk.\n2. Fees\nNone.\n", "plain.txt", quiet)
    for seed in SEEDS:
        parse_numbered_text(seed.read_text(encoding="utf-8"), seed, quiet)
    assert quiet == []


def test_a_numbered_line_ending_the_file_that_asks_nothing_stays_in_the_answer():
    """Issue 20: "301. item that is not a question." after question 300's list was read as
    question 301 with an empty answer."""
    text = "".join(f"{n}. Question {n}?\nAnswer {n}.\n" for n in range(1, 300))
    text += "300. What are the steps?\n1. Ask.\n2. Wait.\n301. item that is not a question.\n\n"
    warnings: list[str] = []
    items = parse_numbered_text(text, "p_long.txt", warnings)
    assert len(items) == 300
    assert items[-1].answer == "1. Ask.\n2. Wait.\n301. item that is not a question."
    assert warnings == [
        'p_long.txt:602: "301. item that is not a question." was read as part of answer 300, '
        "not as question 301: it asks nothing and no answer follows it"
    ]
    # With an answer after it, or asking, it is the next question, as before.
    for tail, answer in (("301. Fees\nNone.\n", "None."), ("301. Any fees?\n", "")):
        again = parse_numbered_text(text.rsplit("301.", 1)[0] + tail, "p_long.txt", [])
        assert (len(again), again[-1].answer) == (301, answer)


def test_csv_and_jsonl_agree_a_missing_answer_is_refused_by_file_and_line():
    missing_csv = "question,answer\nFirst?,Yes.\nSecond?\n"
    missing_jsonl = '{"question": "First?", "answer": "Yes."}\n{"question": "Second?"}\n'
    for name, text, line in (("p_short.csv", missing_csv, 3), ("p_short.jsonl", missing_jsonl, 2)):
        with pytest.raises(ImportFileError) as refused:
            importers.parse_content(Path(name), text.encode())
        assert str(refused.value) == f"{name}:{line}: the answer is missing or not text"
    # An answer given empty is an empty answer in both.
    empty_csv = importers.parse_content(Path("e.csv"), b'question,answer\nFirst?,""\n')
    empty_jsonl = importers.parse_content(Path("e.jsonl"), b'{"question": "First?", "answer": ""}')
    assert [item.answer for item in empty_csv] == [item.answer for item in empty_jsonl] == [""]


@pytest.mark.parametrize("suffix", [".txt", ".jsonl", ".csv"])
def test_every_format_has_the_one_field_limit_and_names_it_by_line(suffix):
    """CSV refused cells over the csv module's 131,072 characters while txt and jsonl took
    megabytes: now each takes up to the limit and refuses past it with file:line."""

    def file_of(answer: str) -> bytes:
        return {
            ".txt": f"1. First?\nYes.\n2. Long?\n{answer}\n",
            ".jsonl": '{"question": "First?", "answer": "Yes."}\n'
            + importers.parsers.json.dumps({"question": "Long?", "answer": answer})
            + "\n",
            ".csv": f"question,answer\nFirst?,Yes.\nLong?,{answer}\n",
        }[suffix].encode()

    limit = 200_000  # past the csv module's own cap
    path = Path("p_big" + suffix)
    items = importers.parse_content(path, file_of("x" * limit), max_chars=limit)
    assert len(items[1].answer) == limit
    with pytest.raises(ImportFileError) as refused:
        importers.parse_content(path, file_of("x" * (limit + 1)), max_chars=limit)
    line = 3 if suffix == ".txt" else 2 if suffix == ".jsonl" else 3
    assert str(refused.value) == (
        f"p_big{suffix}:{line}: the answer is 200,001 characters long; the limit is 200,000 "
        "(EDITORIAL_IMPORT_MAX_FIELD_CHARS)"
    )
    assert importers.parsers.MAX_FIELD_CHARS == 100_000  # the default, documented
