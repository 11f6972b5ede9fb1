"""Subject detection: the state names a file's answers carry, found as whole words."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from editorial import importers
from editorial.importers.subjects import any_of

_STATE_PIECES = ["West Virginia", "Virginia", "Kansas", "Arkansas", "New York", "York", "x",
                 "_", "1", " ", "\n", "District of Columbia", "é", "Texas", "Ohio"]  # fmt: skip


@given(st.lists(st.sampled_from(_STATE_PIECES), max_size=10), st.sampled_from(["", " ", "."]))
@settings(max_examples=300)
def test_states_named_finds_what_a_whole_word_pattern_finds(pieces, glue):
    text = glue.join(pieces)
    names = "|".join(sorted(map(re.escape, importers.US_STATES), key=len, reverse=True))
    assert list(importers.states_named(text)) == re.findall(rf"\b({names})\b", text)


@given(
    st.lists(st.text("ab. ", min_size=1, max_size=4), min_size=1, max_size=6),
    st.text("ab. x", max_size=30),
)
@settings(max_examples=300)
def test_a_tree_of_words_matches_as_the_words_longest_first(words, text):
    # Words that start others ("a", "ab", "ab."), as "New" would start "New York".
    one_by_one = "|".join(sorted(map(re.escape, set(words)), key=len, reverse=True))
    assert re.findall(f"(?:{any_of(words)})", text) == re.findall(f"(?:{one_by_one})", text)
