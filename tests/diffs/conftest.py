"""What the diff tests share: two versions of a seed answer, sources in the two shapes a
snapshot holds them in, readers of segments, and for the merge a seed answer's sentences and
the library's own merge to compare with."""

from __future__ import annotations

from datetime import date

from editorial.diffs import Segment
from editorial.diffs.merge import merge_engine, sentences

OLD_ANSWER = (
    "As of my knowledge cutoff in September 2021, the current policy of the Massachusetts "
    "Department of Motor Vehicles (DMV) is to not share personal information, such as "
    "driver’s license data, with U.S. Immigration and Customs Enforcement (ICE) unless "
    "required by law. Massachusetts enacted legislation in 2004 restricting the release of "
    "information to federal immigration authorities unless presented with a criminal warrant."
)
NEW_ANSWER = (
    "The current policy of the Massachusetts "
    "Department of Motor Vehicles (DMV) is to not share personal information, such as "
    "driver’s license data, with U.S. Immigration and Customs Enforcement (ICE) unless "
    "required by law. The Work and Family Mobility Act took effect on July 1, 2023. "
    "Massachusetts enacted legislation in 2004 restricting the release of "
    "information to federal immigration authorities unless presented with a criminal warrant."
)

EXPORT_SHAPE = [
    {
        "url": "https://www.mass.gov/rmv",
        "title": "Registry of Motor Vehicles",
        "publisher": "Commonwealth of Massachusetts",
        "accessed": "2026-11-01",
        "excerpt": "The RMV\nissues licences.",
    },
    {
        "url": "https://example.org/act",
        "title": "Work and Family Mobility Act",
        "publisher": "",
        "accessed": "2026-11-02",
        "excerpt": "",
    },
]
REVERSION_SHAPE = [
    {
        "id": 11,
        "answer": 3,
        "url": "https://www.mass.gov/rmv",
        "title": "Registry of Motor Vehicles",
        "publisher": "Commonwealth of Massachusetts",
        "accessed_on": date(2026, 11, 1),
        "excerpt": "The RMV\nissues licences.",
    },
    {
        "id": 12,
        "answer_id": 3,
        "url": "https://example.org/act",
        "title": "Work and Family Mobility Act",
        "publisher": "",
        "accessed_on": "2026-11-02",
        "excerpt": "",
    },
]


def changes(segments: list[Segment]) -> list[tuple[str, str]]:
    return [(s.op, s.text) for s in segments if s.op != "equal"]


def rebuilt_new(segments: list[Segment]) -> str:
    return "".join(s.text for s in segments if s.op != "delete")


def rebuilt_old(segments: list[Segment]) -> str:
    return "".join(s.text for s in segments if s.op != "insert")


# Massachusetts Q2 as imported: four sentences.
Q2 = (
    "The Massachusetts Registry of Motor Vehicles (RMV) shares data with Immigration and "
    "Customs Enforcement (ICE) on a daily basis. This data sharing is part of an agreement "
    "between the state and federal agencies to cooperate on immigration enforcement efforts. "
    "The RMV provides information such as driver’s license records and vehicle registration "
    "data to ICE for purposes that include identifying individuals who may be in the country "
    "unlawfully. The frequency of data sharing between the Massachusetts DMV and ICE is "
    "ongoing and occurs regularly as part of their collaboration in enforcing immigration laws."
)
FIRST, SECOND, THIRD, FOURTH = (
    "on a daily basis.",
    "This data sharing is part of an agreement",
    "The RMV provides information",
    "in enforcing immigration laws.",
)


def edited(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def library_merge(base: str, theirs: str, yours: str) -> str:
    """diff-match-patch by hand: each sentence one symbol, your patches applied to theirs."""
    table: dict[str, str] = {}

    def encode(text: str) -> str:
        return "".join(table.setdefault(s, chr(0x1000 + len(table))) for s in sentences(text))

    engine = merge_engine()
    base_s, theirs_s, yours_s = encode(base), encode(theirs), encode(yours)
    merged, applied = engine.patch_apply(engine.patch_make(base_s, yours_s), theirs_s)
    back = {symbol: piece for piece, symbol in table.items()}
    return "".join(back[symbol] for symbol in merged)
