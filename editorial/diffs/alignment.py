"""Sequence alignment for the word diff: which tokens of two sequences match, in order.

difflib.SequenceMatcher finds the matches; a long text is first cut into pieces at its common
start and end and at the tokens found once in each side (patience diff), so its cost stays
near linear, and each lone insertion or deletion is slid to where it reads best. Works on
any sequences of strings; words.py makes the tokens and the segments people read.
"""

from __future__ import annotations

import difflib
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence

# The operations of difflib's opcodes that a diff shows ("replace" is a delete then an insert).
EQUAL = "equal"
INSERT = "insert"
DELETE = "delete"

# difflib.SequenceMatcher costs about the sum, over the tokens, of their count in one text
# times their count in the other, once per level of its recursion: with common words such
# as "the" that grows with the square of the length (seconds for 20,000 words). Above this
# cost a long stretch is first cut at the tokens found once in each text (patience diff).
_MATCHER_COST = 200_000
_LONGEST_ANCHOR = 32
_SENTENCE_ENDS = frozenset(".!?")
_CLAUSE_ENDS = frozenset(",;:")


def opcodes(a: Sequence[str], b: Sequence[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib-style opcodes (equal, replace, delete, insert) from the matched blocks."""
    codes = []
    i = j = 0
    for ai, bj, size in [*_slide(_matching_blocks(a, b), a, b), (len(a), len(b), 0)]:
        if i < ai and j < bj:
            codes.append(("replace", i, ai, j, bj))
        elif i < ai:
            codes.append((DELETE, i, ai, j, bj))
        elif j < bj:
            codes.append((INSERT, i, ai, j, bj))
        if size:
            codes.append((EQUAL, ai, ai + size, bj, bj + size))
        i, j = ai + size, bj + size
    return codes


def _slide(
    blocks: list[tuple[int, int, int]], a: Sequence[str], b: Sequence[str]
) -> list[tuple[int, int, int]]:
    """Blocks with each lone insertion or deletion slid to where it reads best.

    "law. The Act took effect. Massachusetts" can be matched as an insertion of ". The Act
    took effect" as well as of " The Act took effect."; the same tokens stay matched either
    way, so the run is moved to end on a sentence's end rather than to start with its stop.
    """
    blocks = list(blocks)
    for k in range(len(blocks) - 1):
        (pi, pj, pn), (ni, nj, nn) = blocks[k], blocks[k + 1]
        if ni == pi + pn and nj > pj + pn:
            tokens, start, end = b, pj + pn, nj
        elif nj == pj + pn and ni > pi + pn:
            tokens, start, end = a, pi + pn, ni
        else:
            continue
        # A run can slide one token left when its last token is also the one before it,
        # one right when its first is also the one after it; each block keeps a token.
        shifts = [0]
        while -shifts[0] < pn - 1 and tokens[start + shifts[0] - 1] == tokens[end + shifts[0] - 1]:
            shifts.insert(0, shifts[0] - 1)
        while shifts[-1] < nn - 1 and tokens[start + shifts[-1]] == tokens[end + shifts[-1]]:
            shifts.append(shifts[-1] + 1)
        shift = max(shifts, key=lambda d: (_reads_well(tokens, start + d, end + d), -abs(d)))
        blocks[k] = (pi, pj, pn + shift)
        blocks[k + 1] = (ni + shift, nj + shift, nn - shift)
    return blocks


def _reads_well(tokens: Sequence[str], start: int, end: int) -> int:
    """How well a changed run [start, end) sits on sentence and clause boundaries."""
    score = 0
    if tokens[end - 1] in _SENTENCE_ENDS:
        score += 3
    elif tokens[end - 1] in _CLAUSE_ENDS:
        score += 1
    if start and tokens[start - 1] in _SENTENCE_ENDS:
        score += 2
    if tokens[start] in _SENTENCE_ENDS or tokens[start] in _CLAUSE_ENDS:
        score -= 2
    return score


def _matching_blocks(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int, int]]:
    """Matched runs (i, j, size) in order: difflib's, after cutting long texts into pieces.

    Each piece first loses its common start and end; a piece still costly for difflib is cut
    at runs of tokens found once in each side, in an order both sides share.
    """
    blocks: list[tuple[int, int, int]] = []
    pending = [(0, len(a), 0, len(b))]
    while pending:
        alo, ahi, blo, bhi = pending.pop()
        size = 0
        while alo + size < ahi and blo + size < bhi and a[alo + size] == b[blo + size]:
            size += 1
        if size:
            blocks.append((alo, blo, size))
            alo, blo = alo + size, blo + size
        size = 0
        while alo < ahi - size and blo < bhi - size and a[ahi - size - 1] == b[bhi - size - 1]:
            size += 1
        if size:
            blocks.append((ahi - size, bhi - size, size))
            ahi, bhi = ahi - size, bhi - size
        if alo == ahi or blo == bhi:
            continue
        if _matcher_cost(a[alo:ahi], b[blo:bhi]) > _MATCHER_COST and (
            anchors := _anchors(a, b, alo, ahi, blo, bhi)
        ):
            for i, j, size in anchors:
                pending.append((alo, i, blo, j))
                blocks.append((i, j, size))
                alo, blo = i + size, j + size
            pending.append((alo, ahi, blo, bhi))
            continue
        # Without anchors difflib is used anyway: slow only on contrived text, never wrong.
        matcher = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
        blocks.extend((alo + i, blo + j, n) for i, j, n in matcher.get_matching_blocks() if n)
    blocks.sort()
    merged: list[tuple[int, int, int]] = []
    for i, j, size in blocks:
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            merged[-1] = (merged[-1][0], merged[-1][1], merged[-1][2] + size)
        else:
            merged.append((i, j, size))
    return merged


def _matcher_cost(a: Sequence[str], b: Sequence[str]) -> int:
    """About the work of one pass of difflib: pairs of equal tokens across the two sides."""
    b_counts = Counter(b)
    return sum(count * b_counts[token] for token, count in Counter(a).items())


def _anchors(
    a: Sequence[str], b: Sequence[str], alo: int, ahi: int, blo: int, bhi: int
) -> list[tuple[int, int, int]]:
    """Runs (i, j, size) found once in each side, the longest chain in the same order.

    Single tokens are tried first (patience diff); text without a token of its own, such as
    one repeating a few words, is tried with runs of 2, 4, 8... tokens.
    """
    size = 1
    while size <= min(ahi - alo, bhi - blo, _LONGEST_ANCHOR):
        a_grams = [tuple(a[i : i + size]) for i in range(alo, ahi - size + 1)]
        b_grams = [tuple(b[j : j + size]) for j in range(blo, bhi - size + 1)]
        a_counts, b_counts = Counter(a_grams), Counter(b_grams)
        b_index = {gram: blo + k for k, gram in enumerate(b_grams) if b_counts[gram] == 1}
        pairs = [
            (alo + k, b_index[gram])
            for k, gram in enumerate(a_grams)
            if a_counts[gram] == 1 and gram in b_index
        ]
        chain, a_end, b_end = [], alo, blo
        for i, j in _increasing(pairs):
            if i >= a_end and j >= b_end:  # runs of several tokens may overlap
                chain.append((i, j, size))
                a_end, b_end = i + size, j + size
        if chain:
            return chain
        size *= 2
    return []


def _increasing(pairs: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of pairs, sorted by their first item, rising in the second."""
    tails: list[int] = []  # patience sorting: the smallest last j of a chain of each length
    tail_at: list[int] = []
    previous: list[int] = []
    for k, (_, j) in enumerate(pairs):
        place = bisect_left(tails, j)
        if place == len(tails):
            tails.append(j)
            tail_at.append(k)
        else:
            tails[place] = j
            tail_at[place] = k
        previous.append(tail_at[place - 1] if place else -1)
    chain: list[tuple[int, int]] = []
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        chain.append(pairs[k])
        k = previous[k]
    return chain[::-1]
