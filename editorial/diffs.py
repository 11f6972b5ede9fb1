"""Word-level comparison of two versions of an answer: pure functions, no models, no HTML.

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
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby

EQUAL = "equal"
INSERT = "insert"
DELETE = "delete"

# A word is letters and digits (with the combining accents of decomposed text), keeping
# inner apostrophes so "don't" and "state’s" stay one word; anything else not whitespace is
# a token of one character.
_LETTERS = r"[^\W_](?:[^\W_]|[\u0300-\u036f])*"
_TOKEN = re.compile(rf"(\s*)({_LETTERS}(?:['’]{_LETTERS})*|\S)")
_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(rf"{_LETTERS}(?:['’]{_LETTERS})*")

# difflib.SequenceMatcher costs about the sum, over the tokens, of their count in one text
# times their count in the other, once per level of its recursion: with common words such
# as "the" that grows with the square of the length (seconds for 20,000 words). Above this
# cost a long stretch is first cut at the tokens found once in each text (patience diff).
_MATCHER_COST = 200_000
_LONGEST_ANCHOR = 32
_SENTENCE_ENDS = frozenset(".!?")
_CLAUSE_ENDS = frozenset(",;:")


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

    for tag, i1, i2, j1, j2 in _opcodes(old_tokens, new_tokens):
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


def sources_text(sources: Iterable[Mapping[str, object]]) -> str:
    """Sources as one line each, so a list of sources diffs like text."""
    return "\n".join(_source_line(source) for source in sources)


def claims_text(claims: Iterable[Mapping[str, object]]) -> str:
    """Settled claims as one line each: `claim · source title · url · “excerpt”`, or
    `claim · common knowledge: reason`."""
    lines = []
    for claim in claims:
        if claim.get("source_url"):
            parts = [claim.get(key) for key in ("text", "source_title", "source_url")]
            parts.append(f"“{_one_line(claim.get('excerpt'))}”")
        else:
            parts = [claim.get("text"), f"common knowledge: {_one_line(claim.get('reason'))}"]
        lines.append(" · ".join(_one_line(part) for part in parts if part))
    return "\n".join(lines)


@dataclass(frozen=True)
class Snapshot:
    """One side of a comparison: an answer's content at some point, and what to call it."""

    question: str
    text: str
    sources: tuple[Mapping[str, object], ...] = ()
    label: str = ""
    # Settled claims in the shape ApprovedVersion.claims pins (workflow.pinned_claims).
    claims: tuple[Mapping[str, object], ...] = ()


@dataclass(frozen=True)
class ContentDiff:
    """The differences between two snapshots, part by part."""

    old: Snapshot
    new: Snapshot
    question: list[Segment]
    text: list[Segment]
    sources: list[Segment]
    claims: list[Segment] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether any part shows a change (whitespace-only segments do not count)."""
        parts = (self.question, self.text, self.sources, self.claims)
        return any(has_changes(part) for part in parts)

    @property
    def words_changed(self) -> float:
        """Share of words changed over the question and the answer text together.

        Counted from the segments shown, so it agrees with the marks on the page and costs
        nothing more than the diff (`words_changed` re-aligns the texts, seconds on long ones).
        """
        counts = Counter()
        for segment in (*self.question, *self.text):
            counts[segment.op] += len(_WORD.findall(segment.text))
        both = 2 * counts[EQUAL] + counts[INSERT] + counts[DELETE]
        return round((counts[INSERT] + counts[DELETE]) / both, 4) if both else 0.0


def diff_content(old: Snapshot, new: Snapshot) -> ContentDiff:
    """Compare question, answer text and sources of two snapshots."""
    return ContentDiff(
        old=old,
        new=new,
        question=diff_words(old.question, new.question),
        text=diff_words(old.text, new.text),
        sources=diff_words(sources_text(old.sources), sources_text(new.sources)),
        claims=diff_words(claims_text(old.claims), claims_text(new.claims)),
    )


# --- tokens -------------------------------------------------------------------------------


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


# --- alignment ----------------------------------------------------------------------------


def _opcodes(a: Sequence[str], b: Sequence[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib-style opcodes (equal, replace, delete, insert) from the matched blocks."""
    opcodes = []
    i = j = 0
    for ai, bj, size in [*_slide(_matching_blocks(a, b), a, b), (len(a), len(b), 0)]:
        if i < ai and j < bj:
            opcodes.append(("replace", i, ai, j, bj))
        elif i < ai:
            opcodes.append((DELETE, i, ai, j, bj))
        elif j < bj:
            opcodes.append((INSERT, i, ai, j, bj))
        if size:
            opcodes.append((EQUAL, ai, ai + size, bj, bj + size))
        i, j = ai + size, bj + size
    return opcodes


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


# --- sources ------------------------------------------------------------------------------


def _source_line(source: Mapping[str, object]) -> str:
    """`title · publisher · url · accessed YYYY-MM-DD · “excerpt”`, leaving out empty parts."""
    accessed = source.get("accessed", source.get("accessed_on"))
    if isinstance(accessed, datetime):
        accessed = accessed.date()
    if isinstance(accessed, date):
        accessed = accessed.isoformat()
    parts = [_one_line(source.get(key)) for key in ("title", "publisher", "url")]
    if accessed_text := _one_line(accessed):
        parts.append(f"accessed {accessed_text}")
    if excerpt := _one_line(source.get("excerpt")):
        parts.append(f"“{excerpt}”")
    return " · ".join(part for part in parts if part)


def _one_line(value: object) -> str:
    # One line per source: a line break inside a field would read as another source.
    return _WHITESPACE.sub(" ", str(value)).strip() if value else ""
