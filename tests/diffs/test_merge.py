"""The three-way merge: what merges by itself, what is left to choose, and that it is the
library's merge (diff-match-patch's patches, sentence by sentence), never text of its own."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from editorial.diffs import (
    THEIRS,
    YOURS,
    Agreed,
    MissingChoices,
    Passage,
    Snapshot,
    merge_content,
    merge_texts,
)
from editorial.diffs.merge import sentences
from tests.diffs.conftest import FIRST, FOURTH, Q2, SECOND, THIRD, edited, library_merge

# --- sentences --------------------------------------------------------------------------


def test_a_text_is_cut_into_sentences_and_the_whitespace_between():
    text = "1. Legal: the RMV (“Registry”) shares. Does it? Yes!\n\nIt does… often\nsee below"
    assert sentences(text) == [
        "1.", " ", "Legal: the RMV (“Registry”) shares.", " ", "Does it?", " ", "Yes!", "\n\n",
        "It does…", " ", "often", "\n", "see below",
    ]  # fmt: skip


@given(st.text(alphabet=st.sampled_from("ab .!?\n\t”)"), max_size=60))
def test_the_sentences_rebuild_any_text_exactly(text):
    assert "".join(sentences(text)) == text


# --- what merges by itself --------------------------------------------------------------


def test_edits_to_different_sentences_merge_as_the_library_merges_them():
    theirs = edited(Q2, FIRST, "every week.")
    yours = edited(Q2, FOURTH, "in enforcing federal immigration laws.")

    merge = merge_texts(Q2, theirs, yours)

    assert merge.clean
    assert merge.text == library_merge(Q2, theirs, yours)
    assert "every week." in merge.text and "federal immigration laws." in merge.text


def test_edits_to_neighbouring_sentences_merge_too():
    theirs = edited(Q2, FIRST, "every week.")
    yours = edited(Q2, SECOND, "This exchange follows an agreement")

    merge = merge_texts(Q2, theirs, yours)

    assert merge.clean
    assert merge.text == edited(theirs, SECOND, "This exchange follows an agreement")


def test_a_sentence_added_beside_a_changed_one_merges():
    theirs = edited(Q2, FIRST, "every week.")
    yours = Q2 + "\n\nChecked against the RMV's published policy."
    assert merge_texts(Q2, theirs, yours).text == (
        theirs + "\n\nChecked against the RMV's published policy."
    )


@pytest.mark.parametrize(
    ("theirs", "yours", "merged"),
    [
        (Q2, "A new text.", "A new text."),  # only yours changed
        ("A new text.", Q2, "A new text."),  # only theirs changed
        ("The same edit.", "The same edit.", "The same edit."),  # both, alike
        ("", "", ""),
    ],
)
def test_a_side_that_changed_nothing_takes_the_other(theirs, yours, merged):
    merge = merge_texts(Q2, theirs, yours)
    assert merge.clean and merge.text == merged


def test_the_same_sentence_repeated_is_merged_where_it_was_edited():
    base = "A. B. C. A."
    merge = merge_texts(base, "A. B. C. A2.", "A3. B. C. A.")
    assert merge.text == "A3. B. C. A2."


# --- what is left to choose -------------------------------------------------------------


def test_the_same_sentence_changed_differently_is_a_passage_with_both_versions():
    theirs = edited(Q2, "on a daily basis.", "every week.")
    yours = edited(Q2, "on a daily basis.", "on request, not daily.")

    merge = merge_texts(Q2, theirs, yours)

    assert not merge.clean
    (passage,) = merge.passages
    assert passage.theirs.endswith("(ICE) every week.")
    assert passage.yours.endswith("(ICE) on request, not daily.")
    assert passage.theirs.startswith("The Massachusetts Registry")
    assert merge.pieces[1] == Agreed(Q2[Q2.index(" This data") :])
    assert merge.resolve([YOURS]) == yours
    assert merge.resolve([THEIRS]) == theirs
    with pytest.raises(ValueError, match="passages to choose"):
        merge.text  # noqa: B018 - a merge with a passage has no text until it is chosen


def test_each_overlap_is_its_own_passage_and_the_rest_still_merges():
    longer = Q2 + " It began in 2019. Nothing else is known."
    theirs = edited(edited(longer, FIRST, "every week."), THIRD, "The Registry sends information")
    yours = edited(
        edited(edited(longer, FIRST, "on request."), THIRD, "The RMV gives information"),
        "Nothing else is known.",
        "Nothing more is known.",
    )

    merge = merge_texts(longer, theirs, yours)

    assert len(merge.passages) == 2
    assert merge.resolve([YOURS, THEIRS]) == edited(
        edited(theirs, "every week.", "on request."), "else is known.", "more is known."
    )
    assert "Nothing more is known." in merge.resolve([THEIRS, THEIRS])


def test_edits_a_sentence_apart_are_one_passage_with_the_other_side():
    # Your two edits with one sentence between are one edit for the library (one patch), so
    # where theirs overlaps one of them, both are in the passage: yours keeps both.
    theirs = edited(Q2, THIRD, "The Registry sends information")
    yours = edited(edited(Q2, THIRD, "The RMV gives information"), FOURTH, "in law.")

    (passage,) = merge_texts(Q2, theirs, yours).passages

    assert passage.yours.startswith("The RMV gives") and passage.yours.endswith("in law.")
    assert passage.theirs.startswith("The Registry sends")


def test_a_sentence_one_side_removed_and_the_other_changed_is_a_passage():
    merge = merge_texts("A. B. C.", "A. C.", "A. B2. C.")
    assert merge.pieces == (Agreed("A. "), Passage(yours="B2. ", theirs=""), Agreed("C."))


def test_two_texts_written_from_nothing_are_a_passage_not_joined():
    merge = merge_texts("", "Theirs.", "Yours.")
    assert merge.passages == [Passage(yours="Yours.", theirs="Theirs.")]


def test_a_wrong_number_of_choices_is_refused():
    merge = merge_texts("A.", "B.", "C.")
    with pytest.raises(ValueError):
        merge.resolve([])
    with pytest.raises(ValueError):
        merge.resolve(["mine"])


# --- what is never done: text invented or lost --------------------------------------------

SENTENCES = ["A.", "B.", "C.", "D?", "E!", "F.", "A2.", "B2.", "G."]
GAPS = [" ", " ", "\n", "\n\n"]


@st.composite
def prose(draw):
    chosen = draw(st.lists(st.sampled_from(SENTENCES), max_size=8))
    return "".join(sentence + draw(st.sampled_from(GAPS)) for sentence in chosen).rstrip()


@given(prose(), prose(), prose())
def test_choosing_one_side_everywhere_is_the_library_merging_the_other_into_it(base, theirs, yours):
    merge = merge_texts(base, theirs, yours)
    if merge.clean:
        assert merge.text == library_merge(base, theirs, yours)
        assert merge.text == library_merge(base, yours, theirs)
    else:
        count = len(merge.passages)
        assert merge.resolve([THEIRS] * count) == library_merge(base, theirs, yours)
        assert merge.resolve([YOURS] * count) == library_merge(base, yours, theirs)


@given(prose(), prose())
def test_a_side_unchanged_always_merges_to_the_other(base, other):
    assert merge_texts(base, base, other).text == other
    assert merge_texts(base, other, base).text == other


# --- content: question, text, sources -----------------------------------------------------


def source(title: str) -> dict:
    return {
        "url": f"https://example.org/{title}",
        "title": title,
        "publisher": "P",
        "accessed_on": datetime.date(2026, 1, 2),
        "excerpt": "",
    }


def snap(text: str, *sources: dict, question: str = "Q?") -> Snapshot:
    return Snapshot(question=question, text=text, sources=tuple(sources))


def test_content_merges_each_part_and_keeps_the_sources_of_the_side_that_changed_them():
    base = snap(Q2, source("a"))
    theirs = snap(edited(Q2, FIRST, "every week."), source("a"))
    yours = snap(Q2, source("a"), source("b"), question="Q, asked better?")

    merge = merge_content(base, theirs, yours)

    assert merge.clean and merge.names == ()
    merged = merge.resolve({})
    assert merged.question == "Q, asked better?"
    assert merged.text == theirs.text
    assert [s["title"] for s in merged.sources] == ["a", "b"]


def test_sources_both_sides_changed_are_chosen_whole():
    base = snap("T.", source("a"))
    theirs = snap("T.", source("a"), source("theirs"))
    yours = snap("T.", source("yours"))

    merge = merge_content(base, theirs, yours)

    assert merge.names == ("sources",)
    with pytest.raises(MissingChoices) as missing:
        merge.resolve({})
    assert missing.value.names == ["sources"]
    assert [s["title"] for s in merge.resolve({"sources": YOURS}).sources] == ["yours"]
    assert [s["title"] for s in merge.resolve({"sources": THEIRS}).sources] == ["a", "theirs"]


def test_passages_are_named_by_part_and_number_and_a_default_fills_the_rest():
    base = snap("A. B. C. D.", question="Q?")
    theirs = snap("A1. B. C. D1.", question="Q1?")
    yours = snap("A2. B. C. D.", question="Q2?")

    merge = merge_content(base, theirs, yours, with_sources=False)

    assert merge.names == ("question-1", "text-1")
    assert merge.resolve({"question-1": YOURS}, default=THEIRS).question == "Q2?"
    assert merge.resolve({"text-1": YOURS}, default=THEIRS).text == "A2. B. C. D1."
    with pytest.raises(MissingChoices):
        merge.resolve({"question-1": YOURS})
