"""The word-level diff: what it marks, what it rebuilds, and how the admin shows it."""

import random
import re
from datetime import date
from pathlib import Path

from django.template.loader import render_to_string
from hypothesis import given
from hypothesis import strategies as st

from editorial import exporters
from editorial.diffs import (
    ContentDiff,
    Segment,
    Snapshot,
    diff_content,
    diff_words,
    has_changes,
    sources_text,
    words_changed,
)
from editorial.templatetags.editorial_diffs import as_percent, render_diff

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

OLD_ANSWER = (
    "As of my knowledge cutoff in September 2021, the current policy of the Massachusetts "
    "Department of Motor Vehicles (DMV) is to not share personal information, such as "
    "driver’s license data, with U.S. Immigration and Customs Enforcement (ICE) unless "
    "required by law. Massachusetts enacted legislation in 2004 restricting the release of "
    "information to federal immigration authorities unless presented with a criminal warrant."
)
NEW_ANSWER = (
    "The current policy of the Massachusetts "
    "Department of Motor Vehicles (DMV) is to not share personal information, such as "
    "driver’s license data, with U.S. Immigration and Customs Enforcement (ICE) unless "
    "required by law. The Work and Family Mobility Act took effect on July 1, 2023. "
    "Massachusetts enacted legislation in 2004 restricting the release of "
    "information to federal immigration authorities unless presented with a criminal warrant."
)

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


def changes(segments: list[Segment]) -> list[tuple[str, str]]:
    return [(s.op, s.text) for s in segments if s.op != "equal"]


def rebuilt_new(segments: list[Segment]) -> str:
    return "".join(s.text for s in segments if s.op != "delete")


def rebuilt_old(segments: list[Segment]) -> str:
    return "".join(s.text for s in segments if s.op != "insert")


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


def test_a_long_text_is_diffed_in_full():
    """20,000 words with edits everywhere: the pieces cut for speed still rebuild both texts."""
    sentences = re.split(r"(?<=[.?!])\s+", (FIXTURES / "000_45b9d17f8c940ceb.txt").read_text())
    rng = random.Random(7)
    old_words: list[str] = []
    while len(old_words) < 20_000:
        old_words += rng.choice(sentences).split()
    new_words = list(old_words)
    for _ in range(200):
        position = rng.randrange(len(new_words))
        if rng.random() < 0.5:
            new_words.insert(position, "INSERTED")
        else:
            del new_words[position]
    old, new = " ".join(old_words), " ".join(new_words)
    segments = diff_words(old, new)
    assert rebuilt_new(segments) == new
    assert rebuilt_old(segments) == old
    inserted = " ".join(s.text for s in segments if s.op == "insert").split()
    assert inserted == ["INSERTED"] * new_words.count("INSERTED")
    deleted = " ".join(s.text for s in segments if s.op == "delete").split()
    kept = len(new_words) - len(inserted)  # every word of the old text left in the new one
    assert len(deleted) == len(old_words) - kept, "no kept word is marked deleted"


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


# --- words changed, sources, content --------------------------------------------------


def test_words_changed_moved_here_and_still_used_by_the_exporters():
    assert exporters.words_changed is words_changed
    assert words_changed("a b c d", "a b x d") == 0.25
    assert words_changed("one  two\nthree", "one two three") == 0.0


EXPORT_SHAPE = [
    {
        "url": "https://www.mass.gov/rmv",
        "title": "Registry of Motor Vehicles",
        "publisher": "Commonwealth of Massachusetts",
        "accessed": "2026-11-01",
        "excerpt": "The RMV\nissues licences.",
    },
    {
        "url": "https://example.org/act",
        "title": "Work and Family Mobility Act",
        "publisher": "",
        "accessed": "2026-11-02",
        "excerpt": "",
    },
]
REVERSION_SHAPE = [
    {
        "id": 11,
        "answer": 3,
        "url": "https://www.mass.gov/rmv",
        "title": "Registry of Motor Vehicles",
        "publisher": "Commonwealth of Massachusetts",
        "accessed_on": date(2026, 11, 1),
        "excerpt": "The RMV\nissues licences.",
    },
    {
        "id": 12,
        "answer_id": 3,
        "url": "https://example.org/act",
        "title": "Work and Family Mobility Act",
        "publisher": "",
        "accessed_on": "2026-11-02",
        "excerpt": "",
    },
]


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


# --- rendering ------------------------------------------------------------------------

HOSTILE = "<script>alert(1)</script>"


def test_render_diff_escapes_every_kind_of_segment_and_marks_changes_in_words():
    html = render_diff(
        [Segment("equal", HOSTILE), Segment("delete", HOSTILE), Segment("insert", HOSTILE)]
    )
    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 3
    assert html == (
        "&lt;script&gt;alert(1)&lt;/script&gt;"
        '<del><span class="diff-marker">[deleted: </span>'
        "&lt;script&gt;alert(1)&lt;/script&gt;"
        '<span class="diff-marker">]</span></del>'
        '<ins><span class="diff-marker">[added: </span>'
        "&lt;script&gt;alert(1)&lt;/script&gt;"
        '<span class="diff-marker">]</span></ins>'
    )


def test_render_diff_shows_whitespace_only_changes_without_marks():
    segments = diff_words("Yes , it is.", "Yes, it is.\n\nMore.")
    assert render_diff(segments) == (
        'Yes, it is.<ins><span class="diff-marker">[added: </span>\n\nMore.'
        '<span class="diff-marker">]</span></ins>'
    )
    assert render_diff([Segment("equal", "a"), Segment("delete", " "), Segment("equal", ",")]) == (
        "a,"
    )
    assert render_diff([Segment("equal", "a"), Segment("insert", "\n\n")]) == "a\n\n"
    assert render_diff([]) == ""


def test_the_diff_template_shows_each_part_and_the_share_of_words_changed():
    old = Snapshot("Does the DMV share data?", OLD_ANSWER, tuple(EXPORT_SHAPE), "as imported")
    new = Snapshot(
        "Does the DMV share data?", NEW_ANSWER + f" {HOSTILE}", tuple(EXPORT_SHAPE), "version 2"
    )
    diff = diff_content(old, new)
    html = render_to_string("admin/editorial/_diff.html", {"diff": diff})
    assert '<section class="content-diff">' in html
    assert "Changes from as imported to version 2" in html
    assert html.count("No change.") == 2  # the question and the sources
    assert html.count('<div class="diff-text">') == 1
    assert "<del>" in html and "<ins>" in html
    assert "[deleted: </span>As of my knowledge cutoff in September 2021, the" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert f"Words changed: {as_percent(diff.words_changed)} %" in html
    assert as_percent(0.1234) == "12.3" and as_percent(0.5) == "50" and as_percent(0.0) == "0"
    assert "No differences." not in html


def test_the_diff_template_says_once_when_nothing_changed():
    old = Snapshot("Question?", "Answer.", tuple(EXPORT_SHAPE), "version 3")
    new = Snapshot("Question?", "Answer.\n", tuple(REVERSION_SHAPE), "approved version 3")
    html = render_to_string("admin/editorial/_diff.html", {"diff": diff_content(old, new)})
    assert "Changes from version 3 to approved version 3" in html
    assert html.count("No differences.") == 1
    assert "No change." not in html
    assert "Words changed" not in html
