"""Quality flags: what an editor must fix (blocking) or look at (warning) before approval.

Each flag is a small named check over the answer's text and sources; `evaluate` lists
those an answer carries, most serious first.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from editorial.flags.claims import has_specific_claim
from editorial.flags.patterns import has_hedge
from editorial.models import Answer, FlagLevel


@dataclass(frozen=True)
class Flag:
    code: str
    level: FlagLevel
    label: str
    short: str  # for a list column, where the label does not fit

    def __hash__(self) -> int:
        # By its code alone (codes are unique): a set of flags is made per imported answer.
        return hash(self.code)

    def __reduce__(self):
        # By its code: a file prepared in another process (importers.batch) brings back
        # these very flags, not copies.
        return _flag_named, (self.code,)


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


def _flag_named(code: str) -> Flag:
    return FLAGS[code]


_SENTENCE_END = tuple(".!?:;…)]\"'”’»")


def ends_mid_sentence(text: str) -> bool:
    stripped = text.rstrip()
    return bool(stripped) and not stripped.endswith(_SENTENCE_END)


def stale_before(on: datetime.date | None = None) -> datetime.date:
    """Sources accessed before this day are stale for an approval on `on` (today by default):
    more than EDITORIAL_SOURCE_STALE_DAYS before it."""
    on = on if on is not None else timezone.localdate()
    return on - datetime.timedelta(days=settings.EDITORIAL_SOURCE_STALE_DAYS)


def is_stale(accessed_on: datetime.date | None, on: datetime.date | None = None) -> bool:
    """Whether a source read on accessed_on is too old to back an approval on `on`."""
    return accessed_on is not None and accessed_on < stale_before(on)


def evaluate(
    *,
    text: str,
    source_count: int,
    is_duplicate: bool,
    oldest_source: datetime.date | None = None,
    folded: str | None = None,
) -> list[Flag]:
    """The flags an answer carries, most serious first; oldest_source is the earliest date
    a source of it was accessed (a warning, not a refusal: the reviewer judges the source);
    folded, if given, is patterns.fold(text)."""
    flags: list[Flag] = []
    if not text.strip():
        flags.append(EMPTY)
    if has_hedge(text, folded=folded):
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


def stored(flags: Iterable[Flag], *, duplicate: bool = False) -> tuple[str, FlagLevel]:
    """The flags as an answer stores them (codes, level), with the duplicate flag added if
    `duplicate`: an import stores a handful of distinct sets for thousands of answers."""
    return _stored(tuple(flags), duplicate)


@functools.lru_cache(maxsize=256)
def _stored(flags: tuple[Flag, ...], duplicate: bool) -> tuple[str, FlagLevel]:
    found = with_duplicate(flags) if duplicate else flags
    return " ".join(flag.code for flag in found), level_of(found)


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
