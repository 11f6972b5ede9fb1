"""The marked-text template filters: an answer's flagged passages as the admin shows them,
and a related answer's excerpt (on the page: tests/insights/test_related.py)."""

from django.contrib.admin import AdminSite

from editorial.admin.answers import AnswerAdmin
from editorial.flags import CLAIM_PASSAGE, HEDGE_PASSAGE, PLAIN_PASSAGE, Passage
from editorial.insights.related import ExcerptPart
from editorial.models import Answer
from editorial.templatetags.editorial_marks import render_excerpt, render_passages


def test_flagged_text_marks_hedges_and_claims_and_escapes_text():
    text = "<b>x</b> As of my last update, the 2004 law <script>."
    html = AnswerAdmin(Answer, AdminSite()).flagged_text(Answer(text=text))
    assert html == (
        '<div class="flagged-text">&lt;b&gt;x&lt;/b&gt; '
        '<mark class="flag-hedge">As of my last update</mark>, the '
        '<mark class="flag-claim">2004</mark> law &lt;script&gt;.</div>'
    )
    assert "<b>" not in html and "&lt;script&gt;" in html
    assert '<mark class="flag-hedge">As of my last update</mark>' in html
    assert '<mark class="flag-claim">2004</mark>' in html


def test_the_filters_escape_every_piece_and_mark_only_what_is_marked():
    passages = [
        Passage(PLAIN_PASSAGE, "<a> & "),
        Passage(HEDGE_PASSAGE, "as of my <update>"),
        Passage(CLAIM_PASSAGE, "2004"),
    ]
    assert render_passages(passages) == (
        '&lt;a&gt; &amp; <mark class="flag-hedge">as of my &lt;update&gt;</mark>'
        '<mark class="flag-claim">2004</mark>'
    )
    parts = [ExcerptPart("…<"), ExcerptPart("b&", marked=True), ExcerptPart('"')]
    assert render_excerpt(parts) == "…&lt;<mark>b&amp;</mark>&quot;"
    assert render_passages([]) == render_excerpt([]) == ""
