"""Random sentence-level edits merged: texts longer than the library's 32-symbol patterns,
edits anywhere in them, and what a clean merge may never do (an edit applied where it was
not made, or a side's text taken twice)."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from editorial.diffs import THEIRS, YOURS, merge_texts
from editorial.diffs.merge import sentences

GAPS = [" ", " ", " ", "\n", "\n\n"]
KINDS = ("replace", "delete", "insert")
MANY = settings(max_examples=400, deadline=None)


def touched(kind: str, index: int) -> set[int]:
    """The base sentences an edit's patch holds as its context (one symbol each side)."""
    return {"replace": {index}, "delete": {index - 1, index, index + 1}}.get(
        kind, {index - 1, index}
    )


@st.composite
def two_sides_editing(draw, *, apart: bool = True, mixed: bool = True, repeated: bool = False):
    """A base of up to 60 sentences (120 symbols), distinct or a few `repeated` all through
    it, and each side's edits: a sentence at most one edit. With `apart`, no edit of one side
    is in the context of one of the other's; unless `mixed`, all of one side's edits come
    before all of the other's."""
    size = draw(st.integers(1, 60))
    if repeated:
        pool = [f"Sentence {number} of the base." for number in range(draw(st.integers(1, 4)))]
        base = [draw(st.sampled_from(pool)) for _ in range(size)]
    else:
        base = [f"Sentence {index} of the base." for index in range(size)]
    gaps = [draw(st.sampled_from(GAPS)) for _ in range(size - 1)] + [""]
    first, split = draw(st.sampled_from([YOURS, THEIRS])), draw(st.integers(0, size))
    edits: dict[int, tuple[str, str]] = {}
    near: dict[str, set[int]] = {YOURS: set(), THEIRS: set()}
    for index in range(size):
        side = draw(st.sampled_from([None, None, None, YOURS, THEIRS]))
        if side is None or (not mixed and (side == first) != (index < split)):
            continue
        # A sentence deleted from a run of the same sentence is any of them, in the text itself:
        # where the merge puts the other side's edit beside it is then not one place.
        kind = draw(st.sampled_from(KINDS[:1] + KINDS[2:] if repeated and apart else KINDS))
        other = THEIRS if side == YOURS else YOURS
        if apart and touched(kind, index) & near[other]:
            continue
        edits[index] = (side, kind)
        near[side] |= touched(kind, index)
    return base, gaps, edits


def text_of(base, gaps, edits, sides) -> str:
    """The base with the edits of these sides made."""
    pieces = []
    for index, (sentence, gap) in enumerate(zip(base, gaps, strict=True)):
        side, kind = edits.get(index, (None, None))
        if side not in sides:
            pieces.append(sentence + gap)
        elif kind == "replace":
            pieces.append(f"{side.title()} wrote sentence {index} anew.{gap}")
        elif kind == "insert":
            pieces.append(f"{side.title()} added before sentence {index}. {sentence}{gap}")
    return "".join(pieces)


def merged(case):
    base, gaps, edits = case
    merge = merge_texts(
        text_of(base, gaps, edits, ()),
        text_of(base, gaps, edits, (THEIRS,)),
        text_of(base, gaps, edits, (YOURS,)),
    )
    return merge, text_of(base, gaps, edits, (YOURS, THEIRS))


@MANY
@given(two_sides_editing(mixed=False))
def test_edits_to_different_sentences_of_a_long_text_merge_to_both_edits(case):
    merge, both = merged(case)
    assert merge.clean
    assert merge.text == both


@MANY
@given(two_sides_editing() | two_sides_editing(repeated=True))
def test_edits_among_the_others_merge_where_they_were_made_or_are_chosen(case):
    # One side's edits around one of the other's may be one patch for the library (a passage
    # to choose), and a pattern found twice may be too: never applied at a guess.
    merge, both = merged(case)
    if merge.clean:
        assert merge.text == both


@MANY
@given(two_sides_editing(apart=False) | two_sides_editing(apart=False, repeated=True))
def test_a_clean_merge_never_takes_a_sentence_more_often_than_a_side_has_it(case):
    base, gaps, edits = case
    theirs = text_of(base, gaps, edits, (THEIRS,))
    yours = text_of(base, gaps, edits, (YOURS,))
    merge = merge_texts(text_of(base, gaps, edits, ()), theirs, yours)
    if merge.clean:
        held = Counter(sentences(theirs)) | Counter(sentences(yours))
        taken = Counter(sentences(merge.text))
        assert [p for p, count in taken.items() if count > held[p] and not p.isspace()] == []
