"""Two snapshots of an answer compared part by part; sources read one line each."""

import re

from editorial.diffs import ContentDiff, Segment, Snapshot, diff_content, diff_words, sources_text
from tests.diffs.conftest import (
    EXPORT_SHAPE,
    NEW_ANSWER,
    OLD_ANSWER,
    REVERSION_SHAPE,
    changes,
)


def test_sources_read_one_line_each_in_either_shape():
    expected = (
        "Registry of Motor Vehicles · Commonwealth of Massachusetts · https://www.mass.gov/rmv"
        " · accessed 2026-11-01 · “The RMV issues licences.”\n"
        "Work and Family Mobility Act · https://example.org/act · accessed 2026-11-02"
    )
    assert sources_text(EXPORT_SHAPE) == expected
    assert sources_text(REVERSION_SHAPE) == expected
    assert sources_text([]) == ""


def test_an_added_source_is_one_insertion_and_nothing_deleted():
    added = {
        "url": "https://www.ice.gov/287g",
        "title": "Delegation of Immigration Authority",
        "publisher": "ICE",
        "accessed": "2026-11-03",
        "excerpt": "",
    }
    for before, after in (
        (EXPORT_SHAPE, [*EXPORT_SHAPE, added]),
        (EXPORT_SHAPE, [EXPORT_SHAPE[0], added, EXPORT_SHAPE[1]]),
        ([], [added]),
    ):
        found = changes(diff_words(sources_text(before), sources_text(after)))
        assert len(found) == 1
        op, text = found[0]
        assert op == "insert"
        assert "Delegation of Immigration Authority" in text
        assert "https://www.ice.gov/287g" in text


def test_diff_content_compares_each_part():
    old = Snapshot("Does the DMV share data?", OLD_ANSWER, tuple(EXPORT_SHAPE[:1]), "version 1")
    new = Snapshot("Does the DMV share data?", NEW_ANSWER, tuple(REVERSION_SHAPE), "version 2")
    diff = diff_content(old, new)
    assert isinstance(diff, ContentDiff)
    assert diff.changed
    assert diff.question == [Segment("equal", "Does the DMV share data?")]
    assert diff.text == diff_words(OLD_ANSWER, NEW_ANSWER)
    assert changes(diff.sources) == [
        ("insert", "\nWork and Family Mobility Act · https://example.org/act · accessed 2026-11-02")
    ]
    # Words removed plus words added, over the words of both versions (question and answer);
    # "driver’s" is one word.
    word = r"\w+(?:['’]\w+)*"
    removed = len(re.findall(word, "As of my knowledge cutoff in September 2021, the"))
    added = len(
        re.findall(r"\w+", "The The Work and Family Mobility Act took effect on July 1, 2023.")
    )
    both = sum(
        len(re.findall(word, text)) for text in (old.question, OLD_ANSWER, new.question, NEW_ANSWER)
    )
    assert diff.words_changed == round((removed + added) / both, 4)
    assert 0 < diff.words_changed < 0.5
    same = diff_content(old, Snapshot(old.question, old.text + "\n", old.sources, "version 2"))
    assert not same.changed
    assert same.words_changed == 0.0
