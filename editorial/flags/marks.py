"""The answer text cut into passages for the change page: its hedges and its claims marked
(templatetags/editorial_marks.py draws each passage)."""

from __future__ import annotations

from dataclasses import dataclass

from editorial.flags.claims import find_claims
from editorial.flags.patterns import HEDGE_RE

HEDGE_PASSAGE = "hedge"
CLAIM_PASSAGE = "claim"
PLAIN_PASSAGE = "plain"


@dataclass(frozen=True)
class Passage:
    """A stretch of an answer's text and what it is: a hedge, a claim, or plain text."""

    kind: str
    text: str


def highlight(text: str) -> list[Passage]:
    """The answer text cut into passages, its hedges and every mention of its claims (as the
    claims panel lists them) marked; joined, the passages give the text back."""
    marks: list[tuple[int, int, str]] = [
        (match.start(), match.end(), HEDGE_PASSAGE) for match in HEDGE_RE.finditer(text)
    ]
    for claim in find_claims(text):
        marks.extend((start, end, CLAIM_PASSAGE) for start, end in claim.mentions)
    marks.sort()
    passages: list[Passage] = []
    cursor = 0
    for start, end, kind in marks:
        if start < cursor:
            continue
        if cursor < start:
            passages.append(Passage(PLAIN_PASSAGE, text[cursor:start]))
        passages.append(Passage(kind, text[start:end]))
        cursor = end
    if cursor < len(text):
        passages.append(Passage(PLAIN_PASSAGE, text[cursor:]))
    return passages
