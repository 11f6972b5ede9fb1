"""What the diff tests share: two versions of a seed answer, sources in the two shapes a
snapshot holds them in, and readers of segments."""

from __future__ import annotations

from datetime import date

from editorial.diffs import Segment

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
