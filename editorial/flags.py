"""Quality flags: what an editor must fix (blocking) or look at (warning) before approval.

Each flag is a small named function over the answer's text; `refresh_flags` stores the
result on the answer so the admin list can filter and sort by it.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from editorial.models import Answer, FlagLevel


@dataclass(frozen=True)
class Flag:
    code: str
    level: FlagLevel
    label: str
    short: str  # for a list column, where the label does not fit


HEDGE = Flag("hedge", FlagLevel.BLOCKING, "LLM self-reference or knowledge-cutoff hedge", "Hedge")
EMPTY = Flag("empty", FlagLevel.BLOCKING, "Empty answer", "Empty")
NO_SOURCE = Flag("no_source", FlagLevel.BLOCKING, "No source", "No source")
UNSOURCED_CLAIM = Flag(
    "unsourced_claim", FlagLevel.WARNING, "Specific claim with no source", "Unsourced claim"
)
DUPLICATE = Flag("duplicate", FlagLevel.WARNING, "Same answer text as another answer", "Duplicate")
TRUNCATED = Flag("truncated", FlagLevel.WARNING, "Ends mid-sentence", "Ends mid-sentence")
STALE_SOURCE = Flag(
    "stale_source",
    FlagLevel.WARNING,
    "A source was read too long ago; check it again",
    "Stale source",
)

# The order evaluate() lists flags in: most serious first.
_IN_ORDER = (EMPTY, HEDGE, NO_SOURCE, UNSOURCED_CLAIM, DUPLICATE, TRUNCATED, STALE_SOURCE)

FLAGS: dict[str, Flag] = {
    flag.code: flag
    for flag in (HEDGE, EMPTY, NO_SOURCE, UNSOURCED_CLAIM, DUPLICATE, TRUNCATED, STALE_SOURCE)
}

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

_ORG_WORDS = (
    "Coalition|Institute|Union|Association|Council|Foundation|Center|Centre|Society|"
    "Alliance|League|Network|Committee|Commission|Board|Project|Fund"
)
CLAIM_RE = re.compile(
    r"\b(?:1[89]|20)\d{2}\b"  # a year
    r"|§+\s*\d"  # a section sign
    r"|\b(?:[A-Z][\w’'.-]*\s+){1,6}(?:Act|Law|Code|Statute|Amendment)\b"  # a named statute
    r"|\bexecutive\s+orders?\b"
    r"|\b(?:[A-Z][\w’'.-]*\s+){1,6}(?:" + _ORG_WORDS + r")\b"  # a named organisation
    r"|\bACLU\b"
)
_EXECUTIVE_ORDER_RE = re.compile(r"\bexecutive\s+orders?\b", re.IGNORECASE)

_SENTENCE_END = tuple(".!?:;…)]\"'”’»")


# Words without which no hedge pattern can match, checked as plain substrings of the text
# lowercased with its whitespace folded: most answers are ruled out without the regex
# (an import checks every answer; the regex alone ran at about 11,000 answers a second).
_HEDGE_NEEDS_ANY = ("my", "i do", "i can")
_HEDGE_SELF = ("a ai", "an ai", "a a.i.", "an a.i.", "artificial intelligence", "language model",
               "a llm", "an llm")  # fmt: skip

# Claim patterns other than a year need one of these words (or the section sign). The
# year has no \b in front, so the engine can skip to a 1 or 2: has_year() checks it.
_YEAR_RE = re.compile(r"(?:1[89]|20)\d{2}\b")
_CLAIM_WORDS = ("Act", "Law", "Code", "Statute", "Amendment", "ACLU", "§", *_ORG_WORDS.split("|"))


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
        or ("executive" in text.lower() and _EXECUTIVE_ORDER_RE.search(text))
    )


def ends_mid_sentence(text: str) -> bool:
    stripped = text.rstrip()
    return bool(stripped) and not stripped.endswith(_SENTENCE_END)


def fingerprint(text: str) -> str:
    """Equal for texts that differ only in case and spacing, so copies are found."""
    normalised = " ".join(text.split()).casefold()
    return hashlib.sha1(normalised.encode("utf-8")).hexdigest() if normalised else ""


def stale_before(on: datetime.date | None = None) -> datetime.date:
    """Sources accessed before this day are stale for an approval on `on` (today by default):
    more than EDITORIAL_SOURCE_STALE_DAYS before it."""
    on = on if on is not None else timezone.localdate()
    return on - datetime.timedelta(days=settings.EDITORIAL_SOURCE_STALE_DAYS)


def is_stale(accessed_on: datetime.date | None, on: datetime.date | None = None) -> bool:
    """Whether a source read on accessed_on is too old to back an approval on `on`."""
    return accessed_on is not None and accessed_on < stale_before(on)


def evaluate(
    *, text: str, source_count: int, is_duplicate: bool, oldest_source: datetime.date | None = None
) -> list[Flag]:
    """The flags an answer carries, most serious first; oldest_source is the earliest date
    a source of it was accessed (a warning, not a refusal: the reviewer judges the source)."""
    flags: list[Flag] = []
    if not text.strip():
        flags.append(EMPTY)
    if has_hedge(text):
        flags.append(HEDGE)
    if source_count == 0:
        flags.append(NO_SOURCE)
        if has_specific_claim(text):
            flags.append(UNSOURCED_CLAIM)
    if is_duplicate:
        flags.append(DUPLICATE)
    if ends_mid_sentence(text):
        flags.append(TRUNCATED)
    if is_stale(oldest_source):
        flags.append(STALE_SOURCE)
    return flags


def with_duplicate(flags: Iterable[Flag]) -> list[Flag]:
    """These flags and the duplicate flag, in evaluate()'s order.

    Only the duplicate flag depends on other answers, so flags can be checked once from
    the text alone and this added when the database shows a copy.
    """
    present = set(flags) | {DUPLICATE}
    return [flag for flag in _IN_ORDER if flag in present]


def level_of(flags: Iterable[Flag]) -> FlagLevel:
    return max((flag.level for flag in flags), default=FlagLevel.NONE)


def blocking_flags(answer: Answer) -> list[Flag]:
    return [FLAGS[code] for code in answer.flag_codes if FLAGS[code].level == FlagLevel.BLOCKING]


def refresh_flags(answer_ids: Iterable[int]) -> None:
    """Recompute and store the flags of these answers and of any answer they duplicate.

    Writes with bulk_update: flags are derived from the versioned content, so storing
    them is not itself an edit and must not add a version.
    """
    ids = set(answer_ids)
    if not ids:
        return
    targets = list(Answer.objects.filter(pk__in=ids).only("id", "text", "text_fingerprint"))
    affected_prints = {answer.text_fingerprint for answer in targets}
    for answer in targets:
        answer.text_fingerprint = fingerprint(answer.text)
        affected_prints.add(answer.text_fingerprint)
    affected_prints.discard("")
    Answer.objects.bulk_update(targets, ["text_fingerprint"])

    partners = list(
        Answer.objects.active()
        .order_by()
        .filter(text_fingerprint__in=affected_prints)
        .values_list("pk", "text_fingerprint")
    )
    copies = Counter(print_ for _, print_ in partners)
    all_ids = ids | {pk for pk, _ in partners}
    answers = list(
        Answer.objects.filter(pk__in=all_ids)
        .annotate(source_count=Count("sources"), oldest_source=Min("sources__accessed_on"))
        .only("id", "text", "status", "text_fingerprint", "flags", "flag_level")
    )
    changed = []
    for answer in answers:
        is_duplicate = answer.status != "archived" and copies.get(answer.text_fingerprint, 0) > 1
        flags = evaluate(
            text=answer.text,
            source_count=answer.source_count,
            is_duplicate=is_duplicate,
            oldest_source=answer.oldest_source,
        )
        codes = " ".join(flag.code for flag in flags)
        level = level_of(flags)
        if codes != answer.flags or level != answer.flag_level:
            answer.flags, answer.flag_level = codes, level
            changed.append(answer)
    Answer.objects.bulk_update(changed, ["flags", "flag_level"])


def first_copies(prints: Iterable[str]) -> list[tuple[int, str, str]]:
    """Up to two active answers per fingerprint, as (pk, flags, fingerprint).

    Enough to know whether a text is already in use, and to find its one copy that lacks
    the duplicate flag (two or more copies all carry it). In a large corpus a text repeats
    thousands of times: reading every copy made each import slower as the database grew,
    so each fingerprint is one index lookup with a LIMIT, all in one statement.
    """
    prints = sorted({print_ for print_ in prints if print_})
    # The lookup is built once by the ORM; each fingerprint takes its place in the params.
    sql, template = (
        Answer.objects.active()
        .order_by()
        .filter(text_fingerprint=_PLACEHOLDER)
        .values_list("pk", "flags", "text_fingerprint")[:2]
        .query.sql_with_params()
    )
    rows: list[tuple[int, str, str]] = []
    if connection.vendor == "postgresql" and prints:
        # One lookup per fingerprint of an array, joined LATERAL: a UNION ALL of 200
        # lookups cost PostgreSQL 30 ms to plan, a fifth of an import's time there.
        pieces = sql.split("%s")
        slot = template.index(_PLACEHOLDER)
        lookup = "".join(
            piece + ("" if index == len(pieces) - 1 else "wanted.print" if index == slot else "%s")
            for index, piece in enumerate(pieces)
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT copy.* FROM unnest(%s::text[]) AS wanted(print) "
                f"CROSS JOIN LATERAL ({lookup}) AS copy",
                [prints, *(value for value in template if value != _PLACEHOLDER)],
            )
            return cursor.fetchall()
    for start in range(0, len(prints), _LOOKUPS_PER_STATEMENT):
        chunk = prints[start : start + _LOOKUPS_PER_STATEMENT]
        statement = " UNION ALL ".join(
            f"SELECT * FROM ({sql}) AS copy_{index}" for index in range(len(chunk))
        )
        params = [
            print_ if value == _PLACEHOLDER else value for print_ in chunk for value in template
        ]
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            rows.extend(cursor.fetchall())
    return rows


_PLACEHOLDER = "fingerprint placeholder"
# SQLite allows 500 terms in a compound SELECT.
_LOOKUPS_PER_STATEMENT = 200


def add_duplicate_flag(rows: Iterable[tuple[int, str]]) -> None:
    """Add the duplicate flag to these answers, given as (pk, flags as read).

    Only that flag can change when a copy of their text appears elsewhere, so their other
    flags are kept as stored instead of re-checking their text.
    """
    # One UPDATE per distinct value (a handful), not a CASE per row as bulk_update; each
    # applies only where the flags are still the ones read, so an edit's own refresh of
    # them meanwhile is not overwritten.
    updates: dict[tuple[str, str, int], list[int]] = defaultdict(list)
    for pk, stored in rows:
        if DUPLICATE.code in stored.split():
            continue
        flags = with_duplicate(FLAGS[code] for code in stored.split())
        updates[stored, " ".join(flag.code for flag in flags), level_of(flags)].append(pk)
    for (stored, codes, level), pks in updates.items():
        Answer.objects.filter(pk__in=pks, flags=stored).update(flags=codes, flag_level=level)


def highlight(text: str) -> SafeString:
    """The answer text, escaped, with hedges and unsourced claims marked for the editor."""
    marks: list[tuple[int, int, str]] = []
    for match in HEDGE_RE.finditer(text):
        marks.append((match.start(), match.end(), "flag-hedge"))
    for pattern in (CLAIM_RE, _EXECUTIVE_ORDER_RE):
        for match in pattern.finditer(text):
            marks.append((match.start(), match.end(), "flag-claim"))
    marks.sort()
    pieces: list[str] = []
    cursor = 0
    for start, end, css_class in marks:
        if start < cursor:
            continue
        pieces.append(escape(text[cursor:start]))
        pieces.append(f'<mark class="{css_class}">{escape(text[start:end])}</mark>')
        cursor = end
    pieces.append(escape(text[cursor:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece above is escaped


# --- claims: what an editor settles one by one before approval ---------------------------


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
        tuple(_ORG_WORDS.split("|")),
        re.compile(_NAME + r"(?:" + _ORG_WORDS + r")\b"),
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
