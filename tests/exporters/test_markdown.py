"""Markdown: reads back as the approved versions, and shows hostile text as text."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from markdown_it import MarkdownIt

from editorial.exporters import markdown_block, markdown_inline
from editorial.models import Document
from tests.exporters.conftest import (
    HOSTILE_QUESTION,
    HOSTILE_SOURCE,
    HOSTILE_TEXT,
    MASSACHUSETTS,
    MISSISSIPPI,
    expected_records,
    export,
)

pytestmark = pytest.mark.django_db


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
            documents[-1]["document"] = text.removeprefix("File: ")
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


def in_words(iso: str) -> str:
    """A time or a date as people write it, from the ISO text the machine formats carry."""
    moment = datetime.datetime.fromisoformat(iso)
    day = f"{moment.day} {moment:%B %Y}"
    return f"{day}, {moment.astimezone(datetime.UTC):%H:%M} UTC" if "T" in iso else day


def test_markdown_reads_back_as_the_approved_versions(approved, editor, reviewer):
    # People are named as people read them; the machine formats keep the accounts.
    editor.first_name, editor.last_name = "Ed", "Itor"
    reviewer.first_name, reviewer.last_name = "Rita", "Vue"
    editor.save()
    reviewer.save()
    Document.objects.filter(name=MISSISSIPPI).update(title="Mississippi DPS and ICE")
    documents = parse_markdown(export("md"))
    expected = expected_records()
    assert [(d["subject"], d["document"]) for d in documents] == [
        ("Massachusetts", MASSACHUSETTS),
        ("Mississippi DPS and ICE", MISSISSIPPI),
    ]
    names = {"editor": "Ed Itor", "reviewer": "Rita Vue"}
    answers = [answer for document in documents for answer in document["answers"]]
    assert len(answers) == len(expected)
    for answer, record in zip(answers, expected, strict=True):
        assert answer["position"] == record["position"]
        assert answer["question"] == " ".join(record["question"].split())
        assert "\n".join(answer["body"]).splitlines() == lines_of(record["answer"])
        assert [s["hrefs"] for s in answer["sources"]] == [[s["url"]] for s in record["sources"]]
        assert [s["text"] for s in answer["sources"]] == [
            f"{s['title']}, {s['publisher']}, accessed {in_words(s['accessed'])}"
            for s in record["sources"]
        ]
        assert answer["claims"] == [
            f"{c['text']}: {c['source_url']}, “{c['excerpt']}”" for c in record["claims"]
        ]
        assert answer["approval"] == (
            f"Approved by {names[record['approved_by']]} on {in_words(record['approved_at'])}, "
            f"version {record['version']}; review by {in_words(record['review_by'])}."
        )
        assert re.fullmatch(r"Approved by Rita Vue on \d+ [A-Z][a-z]+ 20\d\d, \d\d:\d\d UTC, .*",
                            answer["approval"])  # fmt: skip
        unchanged = record["digitalSourceType"].endswith("/trainedAlgorithmicMedia")
        assert answer["made"] == (
            "Machine-written text, "
            + ("its words approved unchanged" if unchanged else "corrected by people")
            + f"; worked on by {', '.join(names[e] for e in record['editors'])}."
        )
    # The machine formats name accounts, as the records always have.
    jsonl = [json.loads(line) for line in export("jsonl").decode().splitlines()]
    assert {record["approved_by"] for record in jsonl} == {"reviewer"}
    assert {record["document"] for record in jsonl} == {MASSACHUSETTS, MISSISSIPPI}


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
    # The text's web addresses as autolinks, each as written (up to the quote that ends it,
    # without the bracket after it), then the source, encoded. javascript: stays text.
    assert hrefs == [
        "http://evil.example/?leak=",
        "http://evil.example/x.png",
        "https://evil.example/a_%28b%29?x=%3Cscript%3E",
    ]
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
        f"{HOSTILE_SOURCE['title']}, {HOSTILE_SOURCE['publisher']}, accessed 2 January 2026"
    )


def test_markdown_escaping_of_line_starts():
    assert markdown_block("# a\n- b\n+ c\n= d\n12. e\n3) f\n> g") == (
        "\\# a  \n\\- b  \n\\+ c  \n\\= d  \n12\\. e  \n3\\) f  \n&gt; g"
    )
    assert markdown_block("one\n\n\ntwo") == "one\n\ntwo"


def test_web_addresses_in_text_are_autolinks_read_back_as_written():
    md = MarkdownIt("gfm-like")  # GitHub-flavoured: bare links are found (linkify)
    text = (
        "See https://example.org/?a=1&b=2. And (https://example.org/a_(b)_c), "
        "https://example.org/x*y*, ftp://example.org/f and <https://example.org/q>."
    )
    written = markdown_inline(text)
    assert written == (
        "See <https://example.org/?a=1&b=2>. And (<https://example.org/a_(b)_c>), "
        "<https://example.org/x*y>\\*, ftp://example.org/f and "
        "&lt;<https://example.org/q>&gt;."
    )
    (inline,) = [token for token in md.parse(written) if token.type == "inline"]
    assert [t.attrGet("href") for t in inline.children if t.type == "link_open"] == [
        "https://example.org/?a=1&b=2",
        "https://example.org/a_(b)_c",
        "https://example.org/x*y",  # a trailing * ends it, as in GitHub's reading
        "ftp://example.org/f",  # not a web address: left as text, which linkify links
        "https://example.org/q",
    ]
    assert _inline_text(inline) == text
    assert "&amp;amp;" not in md.render(written)
    # Inside a link's own text (a source's title) no link can be: the address is text.
    assert markdown_inline("https://example.org/a_b", links=False) == ("https://example.org/a\\_b")
