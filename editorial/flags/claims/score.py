"""The finder scored on the labelled corpus (tests/data/claims/): precision and recall,
overall and per kind, and every miss and false positive.

How a found claim matches a label: within one answer, a found claim and a label match when
they are of the same kind and the label's span overlaps any place the claim is named (its
first mention or a later one: "ICE" after "Immigration and Customs Enforcement (ICE)").
Each label matches at most one found claim and each found claim at most one label, chosen
to match as many as possible (augmenting paths). A label's span is its text at its first
occurrence in the answer, or at its `occurrence`-th. Matched labels are true positives,
unmatched labels misses, unmatched found claims false positives; precision is matched /
found, recall matched / labelled.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from editorial.flags.claims.finder import KINDS, find_claims

TUNED = ("seeds.jsonl", "written.jsonl")
HELD_OUT = ("held_out.jsonl",)

# What a finder gives for a text: (kind, [(start, end) of each mention], text) per claim.
Found = tuple[str, list[tuple[int, int]], str]
Finder = Callable[[str], list[Found]]


@dataclass(frozen=True)
class Label:
    text: str
    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Entry:
    """One labelled answer."""

    id: str
    text: str
    labels: tuple[Label, ...]


def load(folder: Path, files: Iterable[str]) -> list[Entry]:
    """The labelled answers of these files; a label that is not in its text is refused."""
    entries = []
    for name in files:
        with open(folder / name, encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                row = json.loads(line)
                labels = tuple(_label(row, claim, f"{name}:{number}") for claim in row["claims"])
                entries.append(Entry(row["id"], row["text"], labels))
    return entries


def _label(row: dict, claim: dict, where: str) -> Label:
    if claim["kind"] not in KINDS:
        raise ValueError(f"{where}: unknown kind {claim['kind']!r}")
    start = -1
    for _ in range(claim.get("occurrence", 1)):
        start = row["text"].find(claim["text"], start + 1)
        if start == -1:
            raise ValueError(f"{where}: {claim['text']!r} is not in the answer's text")
    return Label(claim["text"], claim["kind"], start, start + len(claim["text"]))


def finder_claims(text: str) -> list[Found]:
    return [(claim.kind, list(claim.mentions), claim.text) for claim in find_claims(text)]


@dataclass
class Score:
    """Counts per kind, and what was missed and wrongly found (answer id, kind, text)."""

    labelled: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    found: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    matched: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    false_positives: list[tuple[str, str, str]] = field(default_factory=list)

    def precision(self, kind: str | None = None) -> float:
        found = self.found[kind] if kind else sum(self.found.values())
        matched = self.matched[kind] if kind else sum(self.matched.values())
        return matched / found if found else 1.0

    def recall(self, kind: str | None = None) -> float:
        labelled = self.labelled[kind] if kind else sum(self.labelled.values())
        matched = self.matched[kind] if kind else sum(self.matched.values())
        return matched / labelled if labelled else 1.0

    def table(self) -> list[str]:
        """The per-kind table as lines of text."""
        lines = [f"{'kind':<14}{'labelled':>9}{'found':>7}{'matched':>9}{'precision':>11}"
                 f"{'recall':>8}"]  # fmt: skip
        for kind in (*KINDS, None):
            labelled = self.labelled[kind] if kind else sum(self.labelled.values())
            found = self.found[kind] if kind else sum(self.found.values())
            matched = self.matched[kind] if kind else sum(self.matched.values())
            lines.append(
                f"{kind or 'all':<14}{labelled:>9}{found:>7}{matched:>9}"
                f"{self.precision(kind):>11.3f}{self.recall(kind):>8.3f}"
            )
        return lines


def score(entries: Iterable[Entry], finder: Finder = finder_claims) -> Score:
    """The finder's score on these labelled answers (matching as the module says)."""
    result = Score()
    for entry in entries:
        found = finder(entry.text)
        for label in entry.labels:
            result.labelled[label.kind] += 1
        for kind, _, _ in found:
            result.found[kind] += 1
        pairs = _matching(entry.labels, found)
        for label_index in pairs:
            result.matched[entry.labels[label_index].kind] += 1
        taken = set(pairs.values())
        result.misses.extend(
            (entry.id, label.kind, label.text)
            for index, label in enumerate(entry.labels)
            if index not in pairs
        )
        result.false_positives.extend(
            (entry.id, kind, text)
            for index, (kind, _, text) in enumerate(found)
            if index not in taken
        )
    return result


def _matching(labels: tuple[Label, ...], found: list[Found]) -> dict[int, int]:
    """A largest one-to-one matching of labels to found claims (label index: found index)."""
    fits = [
        [
            index
            for index, (kind, spans, _) in enumerate(found)
            if kind == label.kind and any(s < label.end and label.start < e for s, e in spans)
        ]
        for label in labels
    ]
    owner: dict[int, int] = {}  # found index: label index

    def assign(label_index: int, seen: set[int]) -> bool:
        for found_index in fits[label_index]:
            if found_index in seen:
                continue
            seen.add(found_index)
            if found_index not in owner or assign(owner[found_index], seen):
                owner[found_index] = label_index
                return True
        return False

    for label_index in range(len(labels)):
        assign(label_index, set())
    return {label_index: found_index for found_index, label_index in owner.items()}
