"""Quality flags on the real seed corpus and on made-up rephrasings."""

import pytest
from django.contrib.admin import AdminSite
from hypothesis import given, settings
from hypothesis import strategies as st

from editorial import flags
from editorial.admin.answers import AnswerAdmin
from editorial.models import Answer, FlagLevel

pytestmark = pytest.mark.django_db

# Read off the seed files by a person: the answers that speak of the model's own cutoff.
SEED_HEDGES = {
    ("Massachusetts", 1),
    ("Massachusetts", 10),
    ("Massachusetts", 15),
    ("Mississippi", 19),
}


def test_hedge_flag_fires_on_exactly_the_seed_answers_with_a_hedge(seeds):
    flagged = {
        (answer.document.subject, answer.position)
        for answer in Answer.objects.select_related("document")
        if "hedge" in answer.flag_codes
    }
    assert flagged == SEED_HEDGES


def test_every_seed_answer_is_blocked_until_it_has_a_source(seeds):
    assert Answer.objects.count() == 40
    assert all("no_source" in a.flag_codes for a in Answer.objects.all())
    assert set(Answer.objects.values_list("flag_level", flat=True)) == {FlagLevel.BLOCKING}


@pytest.mark.parametrize(
    "text",
    [
        "As of my knowledge cutoff in September 2021, the law says X.",
        "As of my knowledge cut-off, the law says X.",
        "as of my last knowledge update the agency shares data.",
        "As of my most recent training data, nothing changed.",
        "According to my latest information, the RMV shares nothing.",
        "Based on my training data, the RMV shares nothing.",
        "My knowledge cutoff is 2021, so check the RMV.",
        "My training data ends in 2023.",
        "As an AI language model, I cannot give legal advice.",
        "I'm an AI and cannot verify this.",
        "I don't have access to real-time information about the RMV.",
        "I cannot browse the internet to confirm this.",
        "This is accurate as of my previous update.",
        "As of my latest review, there have been no cases.",
    ],
)
def test_hedge_rephrasings_are_caught(text):
    assert flags.has_hedge(text)


@pytest.mark.parametrize(
    "text",
    [
        "As of September 2021, the Massachusetts RMV required a warrant.",
        "DMV staff undergo training to ensure compliance with data sharing protocols.",
        "The last update to the policy was published by the RMV in 2022.",
        "In my view the statute is clear.",
        "Training Programs: Implementing training programs for DMV staff.",
    ],
)
def test_ordinary_sentences_are_not_hedges(text):
    assert not flags.has_hedge(text)


def test_flags_for_empty_truncated_claim_and_duplicate():
    found = flags.evaluate(text="", source_count=1, is_duplicate=False)
    assert [f.code for f in found] == ["empty"]
    found = flags.evaluate(
        text="The REAL ID Act of 2005 requires the state to", source_count=0, is_duplicate=True
    )
    assert [f.code for f in found] == ["no_source", "unsourced_claim", "duplicate", "truncated"]
    found = flags.evaluate(
        text="Governor Baker signed an executive order.", source_count=1, is_duplicate=False
    )
    assert found == []


def test_duplicate_flag_follows_both_copies(seeds, editor):
    from editorial import workflow

    first, second = Answer.objects.filter(document__subject="Mississippi").order_by("position")[:2]
    workflow.edit(second, user=editor, text=first.text)
    first.refresh_from_db()
    second.refresh_from_db()
    assert "duplicate" in first.flag_codes and "duplicate" in second.flag_codes
    workflow.edit(second, user=editor, text="A different, finished answer.")
    first.refresh_from_db()
    assert "duplicate" not in first.flag_codes


def test_first_copies_reads_at_most_two_active_copies_of_each_text(seeds, editor):
    from editorial import workflow

    answers = list(Answer.objects.filter(document__subject="Mississippi").order_by("position"))
    text = answers[0].text
    for answer in answers[1:4]:
        workflow.edit(answer, user=editor, text=text)
    print_ = flags.fingerprint(text)
    single = answers[5]

    rows = flags.first_copies([print_, single.text_fingerprint, flags.fingerprint("nowhere")])

    ours = [row for row in rows if row[2] == print_]
    assert len(ours) == 2 and {pk for pk, *_ in ours} <= {a.pk for a in answers[:4]}
    assert all("duplicate" in flags for _, flags, _ in ours)
    assert [(pk, print_) for pk, _, print_ in rows if pk == single.pk] == [
        (single.pk, single.text_fingerprint)
    ]
    assert len(rows) == 3
    # Archived copies do not count.
    Answer.objects.filter(pk__in=[a.pk for a in answers[:3]]).update(status="archived")
    assert [pk for pk, _, _ in flags.first_copies([print_])] == [answers[3].pk]


def test_highlight_marks_hedges_and_escapes_text():
    text = "<b>x</b> As of my last update, the 2004 law <script>."
    passages = flags.highlight(text)
    assert "".join(passage.text for passage in passages) == text
    assert [(p.kind, p.text) for p in passages if p.kind != flags.PLAIN_PASSAGE] == [
        (flags.HEDGE_PASSAGE, "As of my last update"),
        (flags.CLAIM_PASSAGE, "2004"),
    ]
    html = AnswerAdmin(Answer, AdminSite()).flagged_text(Answer(text=text))
    assert html == (
        '<div class="flagged-text">&lt;b&gt;x&lt;/b&gt; '
        '<mark class="flag-hedge">As of my last update</mark>, the '
        '<mark class="flag-claim">2004</mark> law &lt;script&gt;.</div>'
    )
    assert "<b>" not in html and "&lt;script&gt;" in html
    assert '<mark class="flag-hedge">As of my last update</mark>' in html
    assert '<mark class="flag-claim">2004</mark>' in html


# The quick pre-checks in has_hedge / has_specific_claim must never change an answer.
_PIECES = [
    "As of my", "knowledge cutoff", "my last update", "As an AI", "I'm a language model",
    "I do not have real-time", "I cannot browse", "the Act", "Freedom of Information Act",
    "Coalition", "§ 12", "in 2004", "executive order", "ACLU", "my", "i can", "as a",
    "Massachusetts", "policy", "\n", "  ", ".", ",", "A", "i", "ai", "x", "_", "1", "19",
    "2018", "1799", "EXECUTIVE ORDERS", "Executive\nOrder", "Board", "Acts", "§§",
]  # fmt: skip


@given(
    st.lists(st.sampled_from(_PIECES), max_size=12),
    st.text(max_size=20),
    st.sampled_from([" ", "", "-"]),  # "" glues pieces into words: x2018, 192018
)
@settings(max_examples=300)
def test_the_quick_checks_agree_with_the_full_patterns(pieces, noise, glue):
    text = glue.join(pieces) + noise
    assert flags.has_hedge(text) == bool(flags.HEDGE_RE.search(text))
    assert flags.has_specific_claim(text) == bool(
        flags.CLAIM_RE.search(text) or flags.EXECUTIVE_ORDER_RE.search(text)
    )
