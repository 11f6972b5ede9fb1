"""Two versions of an answer compared part by part: question, text, sources and claims.

Sources and settled claims are written one line each (`sources_text`, `claims_text`), so a
list of them diffs like text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from editorial.diffs.alignment import DELETE, EQUAL, INSERT
from editorial.diffs.words import WORD_RE, Segment, diff_words, has_changes

_WHITESPACE = re.compile(r"\s+")


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
            counts[segment.op] += len(WORD_RE.findall(segment.text))
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
