"""The plain formats: json, jsonl and csv round-trip the approved versions, csv cells
start no formula, pairs put the machine text beside the approved."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest

from editorial.exporters import FIELDS, neutralise_cell, words_changed
from editorial.models import Answer
from tests.exporters.conftest import (
    HOSTILE_QUESTION,
    HOSTILE_SOURCE,
    HOSTILE_TEXT,
    MISSISSIPPI,
    MS_DPS,
    RMV,
    answer_at,
    approve,
    expected_records,
    export,
    parse_csv,
    parse_json,
    parse_jsonl,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("format_name", ["json", "jsonl"])
def test_json_formats_round_trip_the_approved_versions(approved, format_name):
    parse = parse_json if format_name == "json" else parse_jsonl
    records = parse(export(format_name))
    assert records == expected_records()
    assert len(records) == 5
    assert set(records[0]) >= set(FIELDS)
    rewritten = next(r for r in records if r["id"] == approved["ma1"].pk)
    assert rewritten["answer"] == (
        "Since 2004 the RMV shares records with ICE only when a court order requires it."
    )
    assert rewritten["claims"] == [
        {"text": "2004", "source_url": RMV["url"], "excerpt": "Quoted for 2004.", "reason": ""},
        {"text": "ICE", "source_url": RMV["url"], "excerpt": "Quoted for ICE.", "reason": ""},
    ]
    both = next(r for r in records if r["id"] == approved["ma3"].pk)
    assert both["sources"] == [
        {
            "url": RMV["url"],
            "title": RMV["title"],
            "publisher": RMV["publisher"],
            "accessed": "2026-11-20",
        },
        {
            "url": MS_DPS["url"],
            "title": MS_DPS["title"],
            "publisher": MS_DPS["publisher"],
            "accessed": "2026-11-19",
        },
    ]
    assert both["approved_by"] == "reviewer"
    assert (
        datetime.datetime.fromisoformat(both["approved_at"]) == approved["ma3"].approved.approved_at
    )


ODD_TEXT = 'Tab\there, "quoted", back\\slash, a bell \x07, \u2028 a separator, é ü 日本 😀 </b>'


def test_json_formats_are_the_bytes_json_dumps_writes(approved, hostile, editor, reviewer):
    # The records are written out by hand for speed; they must stay json.dumps' bytes.
    approve(
        answer_at(MISSISSIPPI, 3),
        editor,
        reviewer,
        question=ODD_TEXT + "?",
        text=ODD_TEXT,
        sources=[{**RMV, "title": ODD_TEXT, "publisher": ""}, MS_DPS],
    )
    reference = [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in expected_records()]
    assert len(reference) == 7

    assert export("jsonl") == "".join(line + "\n" for line in reference).encode()
    assert export("json") == ("[\n" + ",\n".join(reference) + "\n]\n").encode()
    cells = [row[6] for row in csv.reader(io.StringIO(export("csv").decode(), newline=""))]
    assert cells[1:] == [
        json.dumps(record["sources"], ensure_ascii=False, sort_keys=True)
        for record in expected_records()
    ]


def test_csv_round_trips_the_approved_versions(approved):
    data = export("csv")
    assert data.startswith(b"id,document,subject,position,question,answer,sources,")
    assert data.count(b"\r\n") >= 6  # RFC 4180 line ends
    expected = [
        {key: neutralise_cell(value) for key, value in record.items()}
        for record in expected_records()
    ]
    assert parse_csv(data) == expected


# --- csv: no formulas -------------------------------------------------------------------


def test_csv_cells_cannot_start_a_formula(hostile):
    rows = list(csv.reader(io.StringIO(export("csv").decode(), newline="")))
    assert len(rows) == 2
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["answer"] == "'" + HOSTILE_TEXT  # shown as text, nothing lost
    assert record["question"] == "'" + HOSTILE_QUESTION
    assert json.loads(record["sources"])[0]["title"] == HOSTILE_SOURCE["title"]


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "＝1+1"],
)
def test_formula_starts_are_neutralised(value):
    assert neutralise_cell(value) == "'" + value
    assert neutralise_cell("1-1") == "1-1"
    assert neutralise_cell(7) == 7


# --- pairs ------------------------------------------------------------------------------


def test_pairs_put_the_imported_machine_text_beside_the_approved_text(approved):
    pairs = {pair["id"]: pair for pair in parse_jsonl(export("pairs"))}
    assert [pairs[r["id"]][k] for r in expected_records() for k in FIELDS] == [
        r[k] for r in expected_records() for k in FIELDS
    ]
    for pair in pairs.values():
        answer = Answer.objects.get(pk=pair["id"])
        assert pair["imported_question"] == answer.imported_question
        assert pair["imported_answer"] == answer.imported_text
    untouched = pairs[approved["ma2"].pk]  # only a source was added
    assert untouched["answer_words_changed"] == 0.0
    assert untouched["question_words_changed"] == 0.0
    rewritten = pairs[approved["ma1"].pk]
    assert 0.5 < rewritten["answer_words_changed"] <= 1.0
    assert rewritten["answer_words_changed"] == words_changed(
        approved["ma1"].imported_text, approved["ma1"].approved.text
    )
    retitled = pairs[approved["ms20"].pk]
    assert retitled["question_words_changed"] > 0.0
    assert retitled["answer_words_changed"] == 0.0


def test_words_changed_counts_removed_and_added_words_over_both_texts():
    assert words_changed("a b c d", "a b c d") == 0.0
    assert words_changed("a b c d", "a b x d") == 0.25  # 1 removed + 1 added over 8
    assert words_changed("a b", "") == 1.0
    assert words_changed("", "") == 0.0
    assert words_changed("one  two\nthree", "one two three") == 0.0  # words, not spacing
