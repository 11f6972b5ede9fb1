"""Related answers beside an answer: ranked on the real seeds so contradictions are seen,
found in other documents through the full-text index, escaped, bounded in queries, and
only for those who may view answers."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from editorial import workflow
from editorial.importers import import_paths
from editorial.insights.related import excerpt, related_answers, stem, terms
from editorial.models import Answer
from editorial.templatetags.editorial_marks import render_excerpt
from tests.conftest import SEED_FILES, a_source, change_url, ma
from tests.insights.conftest import submit

pytestmark = pytest.mark.django_db
XSS = "<script>alert(1)</script>"


def positions(related) -> list[tuple[str, int]]:
    return [(item.answer.document.subject, item.answer.position) for item in related]


def test_massachusetts_q1_ranks_q2_among_the_first_three(seeds):
    # Q1: the DMV does not share data with ICE; Q2: it shares data with ICE daily.
    related = related_answers(ma(1), limit=3)
    assert ("Massachusetts", 2) in positions(related)
    # The other way round Q1 ranks ninth: Q2's question shares its words with most others,
    # and its text is closer to Q7's and Q4's. Still listed when asked for ten.
    assert ("Massachusetts", 1) in positions(related_answers(ma(2), limit=10))


def test_related_answers_are_of_the_document_or_the_same_question_elsewhere(seeds):
    related = related_answers(ma(3), limit=20)
    assert ma(3).pk not in [item.answer.pk for item in related]
    elsewhere = [item for item in related if not item.same_document]
    # Massachusetts Q3 asks what is shared; Mississippi Q8 asks the types of information.
    assert [(item.answer.document.subject, item.answer.position) for item in elsewhere] == [
        ("Mississippi", 8)
    ]
    assert {item.answer.document.subject for item in related if item.same_document} == {
        "Massachusetts"
    }
    scores = [item.score for item in related]
    assert scores == sorted(scores, reverse=True)


def test_the_same_question_in_another_document_is_found_by_the_index(seeds, tmp_path):
    # A third state's copy of the Massachusetts file, as the benchmark corpus makes them.
    text = SEED_FILES[0].read_text(encoding="utf-8").replace("Massachusetts", "Vermont")
    (tmp_path / "vermont.txt").write_text(text, encoding="utf-8")
    assert not import_paths([tmp_path]).failed
    vermont_q1 = Answer.objects.get(document__name="vermont.txt", position=1)
    related = related_answers(ma(1), limit=3)
    # The same question, answered word for word the same (but the state), comes first.
    assert related[0].answer == vermont_q1 and not related[0].same_document
    assert ("Massachusetts", 2) in positions(related)


def test_archived_answers_and_people_who_may_not_view_get_nothing(seeds, people):
    workflow.archive(ma(2), people["managing"])
    assert ("Massachusetts", 2) not in positions(related_answers(ma(1), limit=50))
    assert related_answers(ma(1), user=people["outsider"]) == []
    assert related_answers(ma(1), user=people["reviewer"])


def test_shared_words_are_marked_and_text_is_escaped(client, seeds, people):
    q2 = ma(2)
    workflow.edit(
        q2,
        user=people["editor"],
        question=f"{q2.question} <&>",
        text=q2.text.replace(" basis. ", f" basis. <b>{XSS}</b> ", 1),
    )
    item = next(item for item in related_answers(ma(1), limit=20) if item.answer == q2)
    assert XSS in "".join(part.text for part in item.excerpt)
    html = render_excerpt(item.excerpt)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<b>" not in html
    marked = re.findall(r"<mark>(.*?)</mark>", html)
    assert marked == [part.text for part in item.excerpt if part.marked]
    assert marked and {stem(word) for word in marked} <= {stem(word) for word in item.shared}
    # Only <mark> is markup; everything else was escaped.
    assert re.sub(r"</?mark>", "", html).count("<") == 0
    # And on the page: the question, the excerpt and the whole text.
    client.force_login(people["reviewer"])
    page = client.get(change_url(ma(1))).content.decode()
    panel = page.split('class="module related-panel"', 1)[1].split("</section>", 1)[0]
    assert XSS not in panel and "<b>" not in panel
    assert panel.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2  # excerpt, whole text
    assert "ICE? &lt;&amp;&gt;</a>" in panel


def test_excerpt_keeps_the_words_and_their_spacing():
    text = "Alpha (beta) gamma.\n\nDelta & epsilon <zeta>."
    parts = excerpt(text, {stem("gamma"), stem("zeta")}, width=40)
    assert [(part.text, part.marked) for part in parts] == [
        ("Alpha (beta) ", False),
        ("gamma", True),
        (". Delta & epsilon <", False),
        ("zeta", True),
        (">.", False),
    ]
    html = render_excerpt(parts)
    assert html == "Alpha (beta) <mark>gamma</mark>. Delta &amp; epsilon &lt;<mark>zeta</mark>&gt;."


def test_stop_words_and_numbers_are_not_terms():
    assert terms("What is the policy of the DMV in 2004 regarding sharing?") == [
        "policy",
        "dmv",
        "regard",
        "shar",
    ]
    assert stem("shares") == stem("sharing") == stem("shared") == stem("share") == "shar"


def test_queries_do_not_grow_with_the_corpus(seeds, tmp_path):
    q1 = ma(1)
    with CaptureQueriesContext(connection) as small:
        related_answers(q1)
    queries = len(small)
    for state in ("Vermont", "Ohio", "Texas", "Utah"):
        text = SEED_FILES[0].read_text(encoding="utf-8").replace("Massachusetts", state)
        (tmp_path / f"{state}.txt").write_text(text, encoding="utf-8")
    assert not import_paths([tmp_path]).failed
    q1 = ma(1)
    with CaptureQueriesContext(connection) as large:
        related = related_answers(q1)
    assert len(large) == queries <= 3
    assert len(related) == 5
    # Four word-for-word copies of the question elsewhere: two are shown, and this
    # document's answers keep their place beside them.
    assert sum(not item.same_document for item in related) == 2
    assert ("Massachusetts", 2) in positions(related[:3])


def test_the_answer_page_shows_the_related_answers_side_by_side(client, seeds, people):
    q1, q2 = ma(1), ma(2)
    client.force_login(people["reviewer"])
    page = client.get(change_url(q1)).content.decode()
    panel = page.split('class="module related-panel"', 1)[1].split("</section>", 1)[0]
    assert f'href="{change_url(q2)}"' in panel
    assert "Q2: How frequently does the Massachusetts DMV share data with ICE?" in panel
    # The whole answer is there to read beside this one.
    assert "on a daily basis" in panel and "<details" in panel
    linked = re.findall(r'href="(/admin/editorial/answer/\d+/change/)"', panel)
    assert change_url(q2) in linked[:3]


def test_the_review_page_shows_them_to_the_reviewer(client, seeds, people):
    q2 = ma(2)
    workflow.edit(q2, user=people["editor"], sources=[a_source()])
    submit(q2, people["editor"], reviewer=people["reviewer"])
    client.force_login(people["reviewer"])
    page = client.get(change_url(q2)).content.decode()
    assert 'class="module review-panel' in page
    panel = page.split('class="module related-panel"', 1)[1].split("</section>", 1)[0]
    expected = [change_url(item.answer) for item in related_answers(q2)]
    assert re.findall(r'href="(/admin/editorial/answer/\d+/change/)"', panel) == expected
    assert len(expected) == 5
