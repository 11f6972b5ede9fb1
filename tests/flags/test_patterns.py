"""Hedges and specific claims in a text: made-up rephrasings, and the quick checks against
the full patterns."""

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from editorial import flags


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


def test_highlight_marks_hedges_and_claims():
    text = "<b>x</b> As of my last update, the 2004 law <script>."
    passages = flags.highlight(text)
    assert "".join(passage.text for passage in passages) == text
    assert [(p.kind, p.text) for p in passages if p.kind != flags.PLAIN_PASSAGE] == [
        (flags.HEDGE_PASSAGE, "As of my last update"),
        (flags.CLAIM_PASSAGE, "2004"),
    ]


def test_highlight_marks_every_mention_of_a_claim():
    text = "Immigration and Customs Enforcement (ICE) asked. ICE asked again."
    marked = [p.text for p in flags.highlight(text) if p.kind == flags.CLAIM_PASSAGE]
    assert marked == ["Immigration and Customs Enforcement (ICE)", "ICE"]


# The quick pre-checks in has_hedge / has_specific_claim must never change an answer.
_PIECES = [
    "As of my", "knowledge cutoff", "my last update", "As an AI", "I'm a language model",
    "I do not have real-time", "I cannot browse", "the Act", "Freedom of Information Act",
    "Coalition", "§ 12", "in 2004", "executive order", "ACLU", "my", "i can", "as a",
    "Massachusetts", "policy", "\n", "  ", ".", ",", "A", "i", "ai", "x", "_", "1", "19",
    "2018", "1799", "EXECUTIVE ORDERS", "Executive\nOrder", "Board", "Acts", "§§", "ICE",
    "(ICE)", "Immigration and Customs Enforcement", "FBI", "(", ")", "Internal Combustion Engine",
    "Department of", "state", "DMV", "30 days", "$5", "54%", "SB 1070", "v.", "Smith",
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
    assert flags.has_specific_claim(text) == bool(flags.find_claims(text))


# Case or space folded unlike lower(), and spacing fold() takes apart from spaces and breaks.
_FOLDING = ["ß", "ſ", "ﬁ", "İ", "K", "\u00a0", "\u2028", "\u3000", "\t", "\r\n", "\n\n", "   "]


@given(st.lists(st.sampled_from(_PIECES + _FOLDING)), st.text())
@settings(max_examples=300)
def test_an_answer_folded_once_checks_as_it_checks_alone(pieces, noise):
    # An import folds each answer once for the hedge test and the copy fingerprint.
    text = " ".join(pieces) + noise
    folded = flags.fold(text)
    assert flags.has_hedge(text, folded=folded) == bool(flags.HEDGE_RE.search(text))
    assert flags.fingerprint(text, folded=folded) == flags.fingerprint(text)
    assert flags.evaluate(text=text, source_count=0, is_duplicate=False, folded=folded) == (
        flags.evaluate(text=text, source_count=0, is_duplicate=False)
    )


@given(st.lists(st.sampled_from(_PIECES + _FOLDING)), st.text())
@settings(max_examples=300)
def test_a_folded_text_is_its_words_case_folded_whether_ascii_or_not(pieces, noise):
    # Copies are found by the fingerprint of this: it must not change for stored answers.
    text = " ".join(pieces) + noise
    assert flags.fold(text) == " ".join(text.split()).casefold()


def test_every_spacing_but_the_space_is_unprintable():
    # fold() takes a printable text (its line breaks made spaces) to have no other spacing
    # than spaces: true of every character str.split() splits on, in this Python's Unicode.
    spacing = [c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace() and c != " "]
    assert "\u3000" in spacing and "\t" in spacing
    assert [c for c in spacing if c.isprintable()] == []


@pytest.mark.parametrize(
    "text",
    ["a\tb", "a\r\nb", "a\u00a0b", "a\u2028b", "a\u3000b", "a\x1fb", "A\u200bB  c", " Ünï \n\n ß "],
)
def test_unusual_spacing_is_folded_as_split_folds_it(text):
    assert flags.fold(text) == " ".join(text.split()).casefold()
