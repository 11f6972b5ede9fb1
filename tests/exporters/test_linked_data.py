"""Linked data: faq is one FAQPage per document, safe inside a script block (prov is
read as JSON-LD in tests/test_provenance.py)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

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


def test_faq_is_one_faqpage_per_document_with_accepted_answers(approved):
    get_user_model().objects.update(first_name="Rita", last_name="Vue")
    pages = json.loads(export("faq"))
    expected = expected_records()
    assert [page["identifier"] for page in pages] == [MASSACHUSETTS, MISSISSIPPI]
    assert [page["name"] for page in pages] == ["Massachusetts", "Mississippi"]
    questions = []
    for page in pages:
        # schema.org's terms under https://schema.org/, embedded: it parses offline.
        assert page["@context"] == {
            "@vocab": "https://schema.org/",
            "url": {"@id": "https://schema.org/url", "@type": "@id"},
        }
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
        # People by the names readers know them by; usernames stay in machine fields.
        approver = get_user_model().objects.get(username=record["approved_by"])
        assert answer["editor"] == {"@type": "Person", "name": "Rita Vue"}
        assert approver.get_username() != "Rita Vue"
        editors = record["editors"]
        assert answer.get("contributor", []) == [
            {"@type": "Person", "name": "Rita Vue"} for _ in editors
        ]
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


def test_json_ld_is_safe_inside_a_script_block(hostile):
    data = export("faq")
    assert b"<" not in data and b">" not in data and b"&" not in data
    assert b"\\u003c/script\\u003e" in data
    (page,) = json.loads(data)
    (question,) = page["mainEntity"]
    assert question["name"] == HOSTILE_QUESTION
    assert question["acceptedAnswer"]["text"] == HOSTILE_TEXT
    # The link as entered, made a URI: its angle brackets percent-encoded on entry.
    assert HOSTILE_SOURCE["url"] == "https://evil.example/a_(b)?x=<script>"
    assert question["acceptedAnswer"]["citation"][0]["url"] == (
        "https://evil.example/a_(b)?x=%3Cscript%3E"
    )
    # Embedded in a page, the block ends only where the page ends it.
    page_html = f'<script type="application/ld+json">{data.decode()}</script>'
    assert page_html.count("</script") == 1
