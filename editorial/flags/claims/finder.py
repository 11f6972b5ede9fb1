"""The claim finder: every part's mentions, the longer kept where two overlap, and mentions of
one claim joined under one key.

A claim is settled once however often the text names it: "Immigration and Customs
Enforcement (ICE)" and each later "ICE"; "Massachusetts Department of Motor Vehicles" and
"Massachusetts DMV"; "REAL ID Act of 2005" and "REAL ID Act"; "SB 54" and "Senate Bill 54";
"Section 287(g)" and "287(g)". Its key is the normalised text it is first named by (an
acronym's definition where there is one), so a settlement survives edits that keep it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from editorial.flags.claims.acronyms import acronym_mentions, join_definitions
from editorial.flags.claims.dates import find_dates
from editorial.flags.claims.legal import find_cases, find_laws
from editorial.flags.claims.names import KNOWN_ACRONYMS_OF, KNOWN_NAME_OF, Name, find_names
from editorial.flags.claims.numbers import find_numbers
from editorial.flags.claims.text import LEAD_WORDS, US_STATES, Sentences, hedge_clauses, within

# Kinds in the order a tie goes: a case holds its parties and year, a statute its numbers.
KINDS = ("case", "statute", "organisation", "date", "number")
_RANK = {kind: rank for rank, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class Claim:
    """A specific claim found in a text: what it says, where, and the sentence around it."""

    key: str  # normalised text: a settlement survives edits that keep the claim
    text: str  # as first written (an acronym's definition where there is one)
    kind: str  # one of KINDS
    start: int
    end: int
    sentence: str
    mentions: tuple[tuple[int, int], ...] = ()  # every place the text names it
    # The keys of every form it is written in or known by: "ICE" for "Immigration and Customs
    # Enforcement (ICE)", "REAL ID Act" for "REAL ID Act of 2005".
    names: frozenset[str] = frozenset()


def claim_key(text: str) -> str:
    """How a claim is recognised across edits: case, spacing and quote marks do not count."""
    return " ".join(text.replace("’", "'").split()).casefold()


def find_claims(text: str) -> list[Claim]:
    """The specific claims of a text, once each, in the order they are first named."""
    return list(_find_claims(text))


@dataclass
class _Mention:
    start: int
    end: int
    kind: str
    keys: tuple[str, ...]  # its own key first, then the keys of other forms of its claim
    defines: bool = False


# An approval asks twice for the same text's claims (the rule, then the pin), a page thrice.
@functools.lru_cache(maxsize=256)
def _find_claims(text: str) -> tuple[Claim, ...]:
    if not text.strip():
        return ()
    sentences = Sentences(text)
    hedges = hedge_clauses(text)
    mentions = [
        _Mention(start, end, kind, _law_keys(text[start:end]) if kind == "statute" else ())
        for start, end, kind in (
            *find_cases(text),
            *find_laws(text),
            *(d for d in find_dates(text, hedges)),
            *(n for n in find_numbers(text) if not within(hedges, n[0])),
        )
    ]
    names = find_names(text, sentences)
    defined = join_definitions(text, names, sentences)
    for name in names:
        if not name.generic:
            keys = _name_keys(text, name, defined)
            mentions.append(_Mention(name.start, name.end, name.kind, keys, bool(name.acronym)))
    for name, acronym in acronym_mentions(text, defined):
        keys = _name_keys(text, name, defined) if len(name.words) > 1 else ()
        owner = defined.get(acronym)
        link = (_own_key(text, owner.start, owner.end),) if owner else _known_keys(acronym)
        mentions.append(_Mention(name.start, name.end, name.kind, (*keys, *link)))
    return _claims(text, sentences, _kept(text, sentences, mentions))


def _kept(text: str, sentences: Sentences, mentions: list[_Mention]) -> list[_Mention]:
    """The mentions that do not overlap a longer one (or one of a higher kind), within one
    sentence each, in text order."""
    mentions.sort(key=lambda m: (-(m.end - m.start), _RANK[m.kind], m.start))
    kept: list[_Mention] = []
    taken: list[tuple[int, int]] = []
    for mention in mentions:
        if not sentences.same(mention.start, mention.end):
            mention.start = _after_lead(text, sentences.spans[sentences.index(mention.end - 1)][0])
            if mention.start >= mention.end:
                continue
            mention.keys = ()
        if any(mention.start < end and start < mention.end for start, end in taken):
            continue
        kept.append(mention)
        taken.append((mention.start, mention.end))
    kept.sort(key=lambda m: m.start)
    return kept


def _claims(text: str, sentences: Sentences, mentions: list[_Mention]) -> tuple[Claim, ...]:
    """Mentions joined into claims: a mention joins the first claim one of its keys names."""
    groups: list[list[_Mention]] = []
    owner: dict[str, int] = {}
    for mention in mentions:
        keys = (_own_key(text, mention.start, mention.end), *mention.keys)
        index = next((owner[key] for key in keys if key in owner), None)
        if index is None or groups[index][0].kind != mention.kind:
            index = len(groups)
            groups.append([])
        groups[index].append(mention)
        for key in keys:
            owner.setdefault(key, index)
    claims = []
    for group in groups:
        first = next((m for m in group if m.defines), group[0])
        written = " ".join(text[first.start : first.end].split())
        claims.append(
            Claim(
                key=claim_key(written),
                text=written,
                kind=first.kind,
                start=first.start,
                end=first.end,
                sentence=sentences.around(first.start),
                mentions=tuple((m.start, m.end) for m in group),
                names=frozenset(
                    key for m in group for key in (_own_key(text, m.start, m.end), *m.keys)
                ),
            )
        )
    claims.sort(key=lambda claim: claim.mentions[0][0])
    return tuple(claims)


def _own_key(text: str, start: int, end: int) -> str:
    return claim_key(text[start:end])


def _after_lead(text: str, start: int) -> int:
    while text[start : start + 1].isspace():
        start += 1
    word = re.match(r"\S+", text[start:])
    if word and word.group() in LEAD_WORDS:
        return _after_lead(text, start + word.end())
    return start


_BILL = re.compile(
    r"\b(House|Senate|Assembly|[HSA])\.?\s?(?:Bills?|B\.?)?\s*(?:No\.\s*)?(\d+(?:[-–]\d+)?)\b"
)
_SECTION = re.compile(r"(\d+[A-Za-z0-9]*(?:[.:/-]\d+[A-Za-z0-9]*)*(?:\([A-Za-z0-9]{1,4}\))*)")
_NOT_A_SECTION = re.compile(
    r"\b(?:Bills?|Act|Order|Directive|Proposition|Prop\.|Measure|Initiative)\b"
)


def _law_keys(written: str) -> tuple[str, ...]:
    """Other forms of a statute written by number: a bill's chamber and number ("SB 54",
    "Senate Bill 54"), a section's number ("Section 1373", "8 U.S.C. 1373", "287(g)")."""
    bill = _BILL.search(written)
    if bill and not re.search(r"U\.?\s?S\.?\s?C|C\.?F\.?R", written):
        return (f"bill:{bill.group(1)[0].lower()}{bill.group(2)}",)
    head = written.split(" of ", 1)[0]
    if _NOT_A_SECTION.search(head):
        return ()
    sections = _SECTION.findall(head)
    return (f"section:{sections[-1]}",) if sections else ()


_STATE_PREFIX = re.compile(
    "^(?:the\\s+)?("
    + "|".join(sorted(map(re.escape, US_STATES), key=len, reverse=True))
    + r")(?:’s|'s)?\s+"
)
_US_PREFIX = re.compile(r"^(?:the\s+)?(?:U\.\s?S\.|US|United\s+States)\s+")
_DEFINITION_AT_END = re.compile(r"\s*\([^()]*\)$")
_YEAR_AT_END = re.compile(r"\s+of\s+(?:1[89]|20)\d\d$")
_CAPITAL = re.compile(r"[A-Z][\w’'&.-]*")


def _name_keys(text: str, name: Name, defined: dict[str, Name | None]) -> tuple[str, ...]:
    """The forms a later mention may name this name by: its acronym, its name without the
    acronym, the state, "U.S." or the year; the state with the name's initials."""
    written = " ".join(text[name.start : name.end].split())
    base = _DEFINITION_AT_END.sub("", written)
    forms = [base]
    if name.acronym:
        forms.append(name.acronym)
    if name.kind == "statute":
        forms.append(_YEAR_AT_END.sub("", base))
    bare = _US_PREFIX.sub("", base)
    forms.append(bare)
    state = _STATE_PREFIX.match(bare)
    known = tuple(bare.split()) in KNOWN_ACRONYMS_OF
    if state:
        rest = bare[state.end() :]
        if tuple(rest.split()) not in KNOWN_ACRONYMS_OF:
            forms.append(rest)
        initials = "".join(word[0] for word in _CAPITAL.findall(rest) if word[0].isupper())
        if len(initials) > 1:
            forms.append(f"{state.group(1)} {initials}")
    elif known:
        forms.extend(
            acronym for acronym in KNOWN_ACRONYMS_OF[tuple(bare.split())] if acronym not in defined
        )
    return tuple(dict.fromkeys(claim_key(form) for form in forms if form))


def _known_keys(acronym: str) -> tuple[str, ...]:
    """A listed acronym's name, so "FBI" and "Federal Bureau of Investigation" are one."""
    name = KNOWN_NAME_OF.get(acronym)
    return (claim_key(" ".join(name)),) if name else ()
