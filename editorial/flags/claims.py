"""The claim finder: the specific claims an editor settles one by one before approval.

A claim (a year, a statute, an executive order, a named organisation) is linked to a
source, marked common knowledge or rewritten out of the text; `claim_key` recognises it
across edits that keep it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from editorial.flags.patterns import HEDGE_RE, ORG_WORDS, has_hedge


@dataclass(frozen=True)
class Claim:
    """A specific claim found in a text: what it says, where, and the sentence around it."""

    key: str  # normalised text: a settlement survives edits that keep the claim
    text: str  # as written, for people to read
    kind: str  # year, statute, executive_order, organisation
    start: int
    end: int
    sentence: str


# Each pattern is one kind of claim; where two overlap, the longer wins ("National
# Immigration Law Center" is an organisation, not the statute "National Immigration Law").
_NAME = r"(?:[A-Z][\w’'.-]*\s+(?:(?:of|and|for|on)\s+)?){1,6}"
# (kind, words one of which the text must hold for the pattern to be tried, pattern): the
# name patterns backtrack at every capital, so they run only where their last word is.
_STATUTE_WORDS = ("Act", "Law", "Code", "Statute", "Amendment")
_CLAIM_KINDS = (
    ("year", tuple("12"), re.compile(r"(?<![\w-])(?:1[89]|20)\d{2}\b")),
    ("statute", ("§",), re.compile(r"§+\s*\d[\w.()-]*")),
    (
        "statute",
        _STATUTE_WORDS,
        re.compile(_NAME + r"(?:" + "|".join(_STATUTE_WORDS) + r")\b(?:\s+of\s+\d{4})?"),
    ),
    (
        "executive_order",
        ("xecutive",),
        re.compile(r"\b[Ee]xecutive\s+[Oo]rders?(?:\s+(?:No\.\s*|number\s+)?\d[\d-]*)?"),
    ),
    (
        "organisation",
        tuple(ORG_WORDS.split("|")),
        re.compile(_NAME + r"(?:" + ORG_WORDS + r")\b"),
    ),
    (
        "organisation",
        ("Homeland", "ACLU"),
        re.compile(r"\bDepartment\s+of\s+Homeland\s+Security\b|\bACLU\b"),
    ),
)
# Capitalised only because they begin a sentence or are articles: not part of a name.
_LEADING_WORDS = re.compile(
    r"^(?:(?:The|A|An|This|That|These|Those|Under|In|Its|Their|Both|Each|While|Although|"
    r"However|Also|and|the|of|for|on)\s+)+"
)
_SENTENCE_RE = re.compile(r"[^.!?\n]*(?:[.!?]+|$)")


def claim_key(text: str) -> str:
    """How a claim is recognised across edits: case, spacing and quote marks do not count."""
    return " ".join(text.replace("’", "'").split()).casefold()


def find_claims(text: str) -> list[Claim]:
    """The specific claims of a text, in the order they first appear (see _find_claims)."""
    return list(_find_claims(text))


# An approval asks twice for the same text's claims (the rule, then the pin), a page thrice.
@functools.lru_cache(maxsize=256)
def _find_claims(text: str) -> tuple[Claim, ...]:
    """The specific claims of a text (years, statutes, executive orders, named organisations),
    once each by key, in the order they first appear.

    A year inside a knowledge-cutoff hedge ("as of my knowledge cutoff in September 2021")
    is not a claim: the hedge blocks approval and goes, and the year with it. Each claim
    carries its sentence, so a bare "2004" reads as "…enacted legislation in 2004…".
    """
    hedges = [(m.start(), m.end()) for m in HEDGE_RE.finditer(text)] if has_hedge(text) else []
    # A hedge usually runs on to its date: "as of my last update in September 2021".
    hedge_spans = [(start, _clause_end(text, end)) for start, end in hedges]
    found: list[tuple[int, int, str]] = []
    for kind, needs_any, pattern in _CLAIM_KINDS:
        if not any(word in text for word in needs_any):
            continue
        for match in pattern.finditer(text):
            start, end = match.start(), match.end()
            lead = _LEADING_WORDS.match(match.group())
            if lead:
                start += lead.end()
            if kind != "year" and not text[start:end].strip():
                continue
            if kind == "year" and any(s <= start < e for s, e in hedge_spans):
                continue
            found.append((start, end, kind))
    # Longest first at each place, then drop what overlaps a claim already kept.
    found.sort(key=lambda item: (item[0], -(item[1] - item[0])))
    kept: list[tuple[int, int, str]] = []
    for start, end, kind in found:
        if any(start < k_end and k_start < end for k_start, k_end, _ in kept):
            continue
        kept.append((start, end, kind))
    claims: dict[str, Claim] = {}
    sentences = [match.span() for match in _SENTENCE_RE.finditer(text)] if kept else []
    for start, end, kind in sorted(kept):
        written = " ".join(text[start:end].split())
        key = claim_key(written)
        if key not in claims:
            sentence = next((s, e) for s, e in sentences if s <= start < max(e, s + 1))
            claims[key] = Claim(
                key, written, kind, start, end, " ".join(text[slice(*sentence)].split())
            )
    return tuple(claims.values())


def _clause_end(text: str, index: int) -> int:
    """Where the clause that a hedge opens ends (its comma or full stop)."""
    match = re.compile(r"[,.;:\n]").search(text, index)
    return match.start() if match else len(text)
