"""What an answer's text says that an editor must look at: hedges and specific claims.

The patterns the quality flags, the claim finder and the highlighted text all read; each
`has_…` function is the quick test an import runs on every answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The hedge family: "as of my <recency> <thing>", "my <knowledge|training> cutoff", and a
# model speaking of itself. Built from parts so rephrasings ("as of my most recent
# training data", "my knowledge cut-off") are caught, not only the strings seen so far.
_RECENCY = r"(?:(?:very\s+)?(?:last|latest|most\s+recent|recent|final|previous)\s+)?"
_THING = (
    r"(?:knowledge(?:\s+(?:cut[\s-]?off|base|update))?|cut[\s-]?off|training(?:\s+data)?|"
    r"(?:data\s+)?update|information|info|review|data|records?|check)"
)
_HEDGE_PATTERNS = [
    rf"\bas\s+of\s+my\s+{_RECENCY}{_THING}\b",
    rf"\b(?:according\s+to|based\s+on|in|per|up\s+to|until)\s+my\s+{_RECENCY}{_THING}\b",
    r"\bmy\s+(?:knowledge|training)(?:[\s-]+(?:data\s+)?)?(?:cut[\s-]?off|date|ends?)\b",
    r"\bmy\s+(?:last|latest|most\s+recent)\s+(?:update|review|training|knowledge|information)\b",
    r"\bas\s+an?\s+(?:ai|a\.i\.|artificial\s+intelligence|(?:large\s+)?language\s+model|llm)\b",
    r"\bi\s*(?:am|'m|’m)\s+(?:just\s+|only\s+)?an?\s+(?:ai|(?:large\s+)?language\s+model)\b",
    r"\bi\s+(?:do\s+not|don't|don’t|cannot|can't|can’t)\s+(?:have\s+)?"
    r"(?:access\s+to\s+|browse\s+)?(?:real[\s-]time|current|live|up[\s-]to[\s-]date|the\s+internet)",
    r"\bsince\s+my\s+(?:last\s+)?(?:training|knowledge\s+cut[\s-]?off|cut[\s-]?off)\b",
]
HEDGE_RE = re.compile("|".join(f"(?:{p})" for p in _HEDGE_PATTERNS), re.IGNORECASE)

# The last word of a named organisation; the claim finder (claims.py) reads it too.
ORG_WORDS = (
    "Coalition|Institute|Union|Association|Council|Foundation|Center|Centre|Society|"
    "Alliance|League|Network|Committee|Commission|Board|Project|Fund"
)
CLAIM_RE = re.compile(
    r"\b(?:1[89]|20)\d{2}\b"  # a year
    r"|§+\s*\d"  # a section sign
    r"|\b(?:[A-Z][\w’'.-]*\s+){1,6}(?:Act|Law|Code|Statute|Amendment)\b"  # a named statute
    r"|\bexecutive\s+orders?\b"
    r"|\b(?:[A-Z][\w’'.-]*\s+){1,6}(?:" + ORG_WORDS + r")\b"  # a named organisation
    r"|\bACLU\b"
)
# CLAIM_RE matches "executive order" in lower case only; this in any case.
EXECUTIVE_ORDER_RE = re.compile(r"\bexecutive\s+orders?\b", re.IGNORECASE)


# Words without which no hedge pattern can match, checked as plain substrings of the text
# lowercased with its whitespace folded: most answers are ruled out without the regex
# (an import checks every answer; the regex alone ran at about 11,000 answers a second).
_HEDGE_NEEDS_ANY = ("my", "i do", "i can")
_HEDGE_SELF = ("a ai", "an ai", "a a.i.", "an a.i.", "artificial intelligence", "language model",
               "a llm", "an llm")  # fmt: skip

# Claim patterns other than a year need one of these words (or the section sign). The
# year has no \b in front, so the engine can skip to a 1 or 2: has_year() checks it.
_YEAR_RE = re.compile(r"(?:1[89]|20)\d{2}\b")
_CLAIM_WORDS = ("Act", "Law", "Code", "Statute", "Amendment", "ACLU", "§", *ORG_WORDS.split("|"))


def has_hedge(text: str) -> bool:
    folded = " ".join(text.lower().split())
    if not (
        any(word in folded for word in _HEDGE_NEEDS_ANY)
        or any(phrase in folded for phrase in _HEDGE_SELF)
    ):
        return False
    return bool(HEDGE_RE.search(text))


def has_year(text: str) -> bool:
    """A year from 1800 to 2099 as a word of its own."""
    return any(
        not (
            match.start() and (text[match.start() - 1].isalnum() or text[match.start() - 1] == "_")
        )
        for match in _YEAR_RE.finditer(text)
    )


def has_specific_claim(text: str) -> bool:
    # The year is the common case and the cheapest test; the full pattern runs only where
    # one of the words it ends on is present (as a plain substring: the quickest test).
    return bool(
        has_year(text)
        or (any(word in text for word in _CLAIM_WORDS) and CLAIM_RE.search(text))
        or ("executive" in text.lower() and EXECUTIVE_ORDER_RE.search(text))
    )


# What a passage of highlighted text is (templatetags/editorial_marks.py draws each).
HEDGE_PASSAGE = "hedge"
CLAIM_PASSAGE = "claim"
PLAIN_PASSAGE = "plain"


@dataclass(frozen=True)
class Passage:
    """A stretch of an answer's text and what it is: a hedge, a claim, or plain text."""

    kind: str
    text: str


def highlight(text: str) -> list[Passage]:
    """The answer text cut into passages, its hedges and unsourced claims marked for the
    editor; joined, the passages give the text back."""
    marks: list[tuple[int, int, str]] = []
    for match in HEDGE_RE.finditer(text):
        marks.append((match.start(), match.end(), HEDGE_PASSAGE))
    for pattern in (CLAIM_RE, EXECUTIVE_ORDER_RE):
        for match in pattern.finditer(text):
            marks.append((match.start(), match.end(), CLAIM_PASSAGE))
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
