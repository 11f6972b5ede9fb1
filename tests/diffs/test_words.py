"""The word-level diff: what it marks and what it rebuilds, on known texts and on any."""

import re

from hypothesis import given
from hypothesis import strategies as st

from editorial import exporters
from editorial.diffs import Segment, diff_words, has_changes, words_changed
from tests.diffs.conftest import NEW_ANSWER, OLD_ANSWER, changes, rebuilt_new, rebuilt_old

WORDS = [
    "the", "the", "of", "and", "to", "a", "DMV", "data", "law", "state’s", "don't", "ICE",
    "share", "policy", "(DMV)", "law.", "data,", "U.S.", "2021", "—", "can't", "“quoted”",
]  # fmt: skip
NEW_WORDS = ["ZEBRA", "QUOKKA", "NARWHAL", "AXOLOTL"]  # never in WORDS: cannot match them
SPACES = [" ", " ", " ", "  ", "\n", "\n\n", "\t", " \n"]

PLAIN_WORDS = [w for w in WORDS if re.fullmatch(r"\w+(['’]\w+)?", w)]  # one token each
words = st.lists(st.sampled_from(WORDS), max_size=40)
plain_words = st.lists(st.sampled_from(PLAIN_WORDS), max_size=40)
spaces = st.sampled_from(SPACES)


def squashed(text: str) -> str:
    """What diff_words keeps of the old text: every run of whitespace as one space."""
    return re.sub(r"\s+", " ", text)


@st.composite
def spaced(draw, word_lists=words):
    """Words joined by assorted whitespace, with the words kept for the assertions."""
    chosen = draw(word_lists)
    gaps = [draw(spaces) for _ in chosen]
    return chosen, "".join(w + g for w, g in zip(chosen, gaps, strict=True)).rstrip()


# --- known texts ----------------------------------------------------------------------


def test_a_known_edit_marks_exactly_the_removed_preamble_and_the_added_sentence():
    segments = diff_words(OLD_ANSWER, NEW_ANSWER)
    assert changes(segments) == [
        ("delete", "As of my knowledge cutoff in September 2021, the"),
        ("insert", "The"),
        ("insert", " The Work and Family Mobility Act took effect on July 1, 2023."),
    ]
    assert [s.op for s in segments] == ["delete", "insert", "equal", "insert", "equal"]
    assert segments[2].text.startswith(" current policy")
    assert segments[4].text.startswith(" Massachusetts enacted")


def test_a_replaced_run_is_one_deletion_then_one_insertion():
    assert diff_words("a b c", "x y z") == [Segment("delete", "a b c"), Segment("insert", "x y z")]
    assert diff_words("we have a b c here", "we have x y z here") == [
        Segment("equal", "we have "),
        Segment("delete", "a b c"),
        Segment("insert", "x y z"),
        Segment("equal", " here"),
    ]


def test_a_deleted_sentence_takes_its_space_with_it():
    assert diff_words("One. Two. Three.", "One. Three.") == [
        Segment("equal", "One."),
        Segment("delete", " Two."),
        Segment("equal", " Three."),
    ]
    assert diff_words("Drop this. Keep that.", "Keep that.") == [
        Segment("delete", "Drop this. "),
        Segment("equal", "Keep that."),
    ]


def test_apostrophes_stay_inside_words():
    assert changes(diff_words("the state’s rule", "the state's rule")) == [
        ("delete", "state’s"),
        ("insert", "state's"),
    ]
    assert changes(diff_words("I don't know", "I do not know")) == [
        ("delete", "don't"),
        ("insert", "do not"),
    ]


def test_identical_texts_are_one_equal_segment():
    assert diff_words(OLD_ANSWER, OLD_ANSWER) == [Segment("equal", OLD_ANSWER)]
    assert diff_words("", "") == []
    assert diff_words("", "New text.") == [Segment("insert", "New text.")]
    assert diff_words("Old text.", "") == [Segment("delete", "Old text.")]


def test_reflowed_lines_are_not_a_change():
    reflowed = re.sub(r"(\S+ \S+ \S+ \S+) ", "\\1\n", OLD_ANSWER).replace(". ", ".  ")
    assert reflowed != OLD_ANSWER
    assert diff_words(OLD_ANSWER, reflowed) == [Segment("equal", reflowed)]


def test_space_added_or_removed_beside_punctuation_marks_no_word():
    segments = diff_words("Yes , it is ( mostly ) .", "Yes, it is (mostly).")
    assert all(s.text.isspace() for s in segments if s.op != "equal")
    assert not has_changes(segments)
    assert rebuilt_new(segments) == "Yes, it is (mostly)."
    assert rebuilt_old(segments) == "Yes , it is ( mostly ) ."


# --- properties -----------------------------------------------------------------------


@given(st.text(max_size=200), st.text(max_size=200))
def test_any_two_texts_rebuild(old, new):
    segments = diff_words(old, new)
    assert rebuilt_new(segments) == new
    assert squashed(rebuilt_old(segments)) == squashed(old)
    assert all(s.text and s.op in {"equal", "insert", "delete"} for s in segments)
    ops = [s.op for s in segments]
    assert all(a != b for a, b in zip(ops, ops[1:], strict=False)), "same ops are merged"
    assert ("insert", "delete") not in zip(ops, ops[1:], strict=False), "delete comes first"


@given(spaced(), spaced())
def test_word_texts_rebuild(old, new):
    segments = diff_words(old[1], new[1])
    assert rebuilt_new(segments) == new[1]
    assert squashed(rebuilt_old(segments)) == squashed(old[1])
    assert rebuilt_old(segments).split() == old[0]


@given(spaced())
def test_a_text_compared_with_itself_has_no_change(text):
    assert changes(diff_words(text[1], text[1])) == []


@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=40), spaces)
def test_other_whitespace_between_the_same_words_is_no_change(chosen, space):
    old, new = " ".join(chosen), space.join(chosen)
    assert diff_words(old, new) == [Segment("equal", new)]


@given(
    plain_words,
    st.sampled_from(NEW_WORDS + ["the", "law"]),
    st.data(),
)
def test_one_inserted_word_is_the_only_change(chosen, word, data):
    position = data.draw(st.integers(0, len(chosen)))
    old = " ".join(chosen)
    new = " ".join(chosen[:position] + [word] + chosen[position:])
    segments = diff_words(old, new)
    assert [(op, text.strip()) for op, text in changes(segments)] == [("insert", word)]


@given(st.lists(st.sampled_from(PLAIN_WORDS), min_size=1), st.data())
def test_one_deleted_word_is_the_only_change(chosen, data):
    position = data.draw(st.integers(0, len(chosen) - 1))
    old = " ".join(chosen)
    new = " ".join(chosen[:position] + chosen[position + 1 :])
    segments = diff_words(old, new)
    assert [(op, text.strip()) for op, text in changes(segments)] == [("delete", chosen[position])]


@given(spaced(plain_words), st.lists(st.sampled_from(NEW_WORDS), max_size=5), st.data())
def test_one_replaced_stretch_marks_only_its_own_words(text, replacement, data):
    chosen, old = text
    start = data.draw(st.integers(0, len(chosen)))
    stop = data.draw(st.integers(start, len(chosen)))
    new_words = chosen[:start] + replacement + chosen[stop:]
    new = " ".join(new_words)
    segments = diff_words(old, new)
    deleted = [s.text.split() for s in segments if s.op == "delete" and not s.text.isspace()]
    inserted = [s.text.split() for s in segments if s.op == "insert" and not s.text.isspace()]
    # A deletion may be read at another place with the same words ("the the" less one
    # "the"), so what is checked is its size, and that everything else stays equal.
    assert [len(run) for run in deleted] == ([stop - start] if start < stop else [])
    assert inserted == ([replacement] if replacement else [])
    kept = " ".join(s.text for s in segments if s.op == "equal").split()
    assert kept == chosen[:start] + chosen[stop:]


def test_words_changed_moved_here_and_still_used_by_the_exporters():
    assert exporters.words_changed is words_changed
    assert words_changed("a b c d", "a b x d") == 0.25
    assert words_changed("one  two\nthree", "one two three") == 0.0
