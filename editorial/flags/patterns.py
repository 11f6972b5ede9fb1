"""Knowledge-cutoff hedges and a model speaking of itself: what the hedge flag, the claim
finder (dates in a hedge are no claims) and the highlighted text read. `has_hedge` is the
quick test an import runs on every answer.
"""

from __future__ import annotations

import re

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

# Words without which no hedge pattern can match, checked as plain substrings of the text
# lowercased with its whitespace folded: most answers are ruled out without the regex
# (an import checks every answer; the regex alone ran at about 11,000 answers a second).
_HEDGE_NEEDS_ANY = ("my", "i do", "i can")
_HEDGE_SELF = ("a ai", "an ai", "a a.i.", "an a.i.", "artificial intelligence", "language model",
               "a llm", "an llm")  # fmt: skip


def fold(text: str) -> str:
    """The text with its whitespace folded and its case folded: what the hedge test's quick
    check and the copy fingerprint both read, so an import folds each answer once.

    Equal to " ".join(text.split()).casefold(), the copies' fingerprint, made cheaper: a text
    whose only spacing is spaces and line breaks (most answers) has them folded by replacing,
    not by splitting it into words and joining them again; ASCII text is lowercased, which is
    its case folding and a fifth cheaper to make. Every other character str.split() splits on
    is unprintable (a control character or a separator), so a text with its line breaks made
    spaces that is printable has no other spacing: isprintable() tells it in a fifth of the
    time a search for those characters took (0.6 against 3.3 µs for an answer of 1,200
    characters)."""
    spaced = text.replace("\n", " ")
    if spaced.isprintable():
        while "  " in spaced:
            spaced = spaced.replace("  ", " ")
        spaced = spaced.strip(" ")
    else:
        spaced = " ".join(text.split())
    return spaced.lower() if spaced.isascii() else spaced.casefold()


def has_hedge(text: str, *, folded: str | None = None) -> bool:
    """`folded`, if given, is fold(text). Case folding only ever adds ASCII letters to what
    lowercasing gives ("ß" → "ss"), so the quick check never misses what the regex finds."""
    folded = fold(text) if folded is None else folded
    if not (
        any(word in folded for word in _HEDGE_NEEDS_ANY)
        or any(phrase in folded for phrase in _HEDGE_SELF)
    ):
        return False
    return bool(HEDGE_RE.search(text))
