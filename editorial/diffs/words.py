"""Word-level difference of two texts: `diff_words` and the segments it returns.

Texts are split into words, single punctuation characters and whitespace. Only words and
punctuation are matched, so whitespace never anchors a match and a reflowed paragraph is
not a change. Every token the alignment matches comes out as equal: unchanged text is never
marked changed. The new text is rebuilt exactly from the equal and inserted segments; the
old text is rebuilt from the equal and deleted segments up to the kind and length of its
whitespace (see `diff_words`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby

from editorial.diffs.alignment import DELETE, EQUAL, INSERT, opcodes

# A word is letters and digits (with the combining accents of decomposed text), keeping
# inner apostrophes so "don't" and "state’s" stay one word; anything else not whitespace is
# a token of one character.
_LETTERS = r"[^\W_](?:[^\W_]|[\u0300-\u036f])*"
_TOKEN = re.compile(rf"(\s*)({_LETTERS}(?:['’]{_LETTERS})*|\S)")
WORD_RE = re.compile(rf"{_LETTERS}(?:['’]{_LETTERS})*")


@dataclass(frozen=True)
class Segment:
    """A run of text that both versions share (equal) or only one has (insert, delete)."""

    op: str
    text: str


def diff_words(old: str, new: str) -> list[Segment]:
    """Word-level difference between two texts, for showing a reviewer what an edit changed.

    Guarantees: joining the equal and insert segments gives `new` exactly; joining the equal
    and delete segments gives `old` once every run of whitespace in both is replaced by one
    space (whitespace is present in the same places, only its kind may come from `new`).
    A changed stretch is one delete followed by one insert, and each carries the whitespace
    that separates it from its neighbours. A difference in whitespace alone only shows as
    whitespace-only segments where one text has a space and the other none.
    """
    if old == new:
        return [Segment(EQUAL, new)] if new else []
    old_spaces, old_tokens, old_tail = _split(old)
    new_spaces, new_tokens, new_tail = _split(new)
    pieces: list[tuple[str, str]] = []

    def emit(op: str, text: str) -> None:
        if text:
            pieces.append((op, text))

    def emit_space(old_space: str, new_space: str) -> None:
        # Whitespace of another kind is not a change; whitespace present in one text only
        # goes with the change beside it (joined to it by `_group_changes`).
        if bool(old_space) == bool(new_space):
            emit(EQUAL, new_space)
        elif old_space:
            emit(DELETE, old_space)
        else:
            emit(INSERT, new_space)

    for tag, i1, i2, j1, j2 in opcodes(old_tokens, new_tokens):
        if tag == EQUAL:
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                emit_space(old_spaces[i], new_spaces[j])
                emit(EQUAL, new_tokens[j])
            continue
        old_run = _join(old_spaces, old_tokens, i1, i2)
        new_run = _join(new_spaces, new_tokens, j1, j2)
        if i1 < i2 and j1 < j2 and old_spaces[i1] and new_spaces[j1]:
            # A replaced stretch keeps the space before it, so only words are marked.
            emit(EQUAL, new_spaces[j1])
            old_run, new_run = old_run[len(old_spaces[i1]) :], new_run[len(new_spaces[j1]) :]
        emit(DELETE, old_run)
        emit(INSERT, new_run)
    emit_space(old_tail, new_tail)
    return _group_changes(pieces)


def has_changes(segments: Iterable[Segment]) -> bool:
    """Whether any insert or delete carries more than whitespace, i.e. a reader sees a change."""
    return any(segment.op != EQUAL and not segment.text.isspace() for segment in segments)


def words_changed(before: str, after: str) -> float:
    """Share of words changed: words removed plus words added, over the words of both texts."""
    old, new = before.split(), after.split()
    if old == new:  # the common case of a text left as imported, without the diff's cost
        return 0.0
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return round(1.0 - matcher.ratio(), 4)


def _split(text: str) -> tuple[list[str], list[str], str]:
    """The whitespace before each token, the tokens, and the whitespace after the last."""
    spaces: list[str] = []
    tokens: list[str] = []
    end = 0
    for match in _TOKEN.finditer(text):
        spaces.append(match[1])
        tokens.append(match[2])
        end = match.end()
    return spaces, tokens, text[end:]


def _join(spaces: Sequence[str], tokens: Sequence[str], start: int, stop: int) -> str:
    return "".join(spaces[k] + tokens[k] for k in range(start, stop))


def _group_changes(pieces: Iterable[tuple[str, str]]) -> list[Segment]:
    """Pieces joined into segments: equal runs, and between them one delete then one insert."""
    segments: list[Segment] = []
    for is_equal, run in groupby(pieces, key=lambda piece: piece[0] == EQUAL):
        texts = list(run)
        for op in (EQUAL,) if is_equal else (DELETE, INSERT):
            if text := "".join(text for piece_op, text in texts if piece_op == op):
                segments.append(Segment(op, text))
    return segments
