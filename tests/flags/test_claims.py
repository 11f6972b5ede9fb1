"""Finding claims: the seed answers, every example of issue 19 (found, or rightly not), one
claim per acronym and its expansion, hedges whose clause runs on, and sentences that hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from editorial import flags
from editorial.flags.claims import score
from editorial.models import Answer
from tests.conftest import keys, ma

CORPUS = Path(__file__).resolve().parent.parent / "data" / "claims"


def ms(position: int) -> Answer:
    return Answer.objects.get(document__subject="Mississippi", position=position)


def found(text: str) -> list[tuple[str, str]]:
    return [(claim.kind, claim.text) for claim in flags.find_claims(text)]


@pytest.mark.django_db
def test_claims_found_in_the_massachusetts_seed(seeds):
    # The September 2021 of the knowledge-cutoff hedge is not a claim; the agencies named in
    # the hedge's sentence are.
    assert keys(ma(1).text) == [
        "Massachusetts Department of Motor Vehicles (DMV)",
        "U.S. Immigration and Customs Enforcement (ICE)",
        "2004",
    ]
    assert keys(ma(2).text) == [
        "Massachusetts Registry of Motor Vehicles (RMV)",
        "Immigration and Customs Enforcement (ICE)",
        "Massachusetts DMV",
    ]
    # "REAL ID Act" after "REAL ID Act of 2005", "Massachusetts DMV" after the definition of
    # DMV: later mentions of the same claims.
    assert keys(ma(5).text) == [
        "Massachusetts Department of Motor Vehicles (DMV)",
        "Immigration and Customs Enforcement (ICE)",
        "REAL ID Act of 2005",
    ]
    # The unnamed "executive order" of 2018 is no claim; its year is.
    assert keys(ma(13).text) == [
        "Department of Motor Vehicles (DMV)",
        "Immigration and Customs Enforcement (ICE)",
        "Massachusetts Public Records Law",
        "Massachusetts RMV",
        "Data Integrity Board (DIB)",
        "2018",
    ]
    assert keys(ma(19).text) == [
        "Massachusetts DMV", "ICE", "American Civil Liberties Union (ACLU)", "2018"
    ]  # fmt: skip


@pytest.mark.django_db
def test_claims_found_in_the_mississippi_seed(seeds):
    assert keys(ms(3).text) == [
        "Department of Motor Vehicles (DMV)",
        "U.S. Immigration and Customs Enforcement (ICE)",
        "Driver’s Privacy Protection Act (DPPA)",
    ]
    assert keys(ms(15).text) == [
        "Mississippi Department of Public Safety",
        "Immigration and Customs Enforcement (ICE)",
        "Mississippi Public Records Act",
        "Privacy Act of 1974",
        "Driver’s Privacy Protection Act (DPPA)",
    ]
    # A generic "state Department of Motor Vehicles (DMV)" (Massachusetts Q11) is no claim.
    assert keys(ma(11).text) == ["Immigration and Customs Enforcement (ICE)"]


@pytest.mark.django_db
def test_the_corpus_seed_answers_are_the_seeds_and_their_claims_are_found_exactly(seeds):
    """tests/data/claims/seeds.jsonl holds the imported seed answers; on them the finder finds
    exactly the labelled claims, each where it is labelled."""
    entries = score.load(CORPUS, ["seeds.jsonl"])
    answers = Answer.objects.order_by("document__name", "position")
    assert [entry.text for entry in entries] == [answer.text for answer in answers]
    for entry in entries:
        in_order = sorted(entry.labels, key=lambda label: label.start)
        labelled = [(label.kind, label.text) for label in in_order]
        assert found(entry.text) == labelled, entry.id


def test_a_claim_carries_its_sentence_and_a_key_that_survives_rewording():
    text = "Massachusetts enacted legislation in 2004 restricting releases. Nothing else."
    (claim,) = flags.find_claims(text)
    assert (claim.text, claim.kind, text[claim.start : claim.end]) == ("2004", "date", "2004")
    assert claim.sentence == "Massachusetts enacted legislation in 2004 restricting releases."
    assert flags.find_claims("A law passed in 2004.")[0].key == claim.key
    (organisation,) = flags.find_claims("It was set up by the Department of Homeland Security.")
    assert organisation.kind == "organisation"
    (order,) = flags.find_claims("Under Executive Order 13768 the agency acts.")
    assert (order.text, order.kind) == ("Executive Order 13768", "statute")
    assert flags.find_claims("Ask the National Immigration Law Center.")[0].text == (
        "National Immigration Law Center"
    )


# Issue 19's examples of what the finder missed: each is found, as this kind.
FOUND = [
    ("The RMV reports to Immigration and Customs Enforcement (ICE) daily.",
     "organisation", "Immigration and Customs Enforcement (ICE)"),
    ("The Massachusetts Registry of Motor Vehicles (RMV) shares data.",
     "organisation", "Massachusetts Registry of Motor Vehicles (RMV)"),
    ("The Mississippi Department of Public Safety (DPS) issues licenses.",
     "organisation", "Mississippi Department of Public Safety (DPS)"),
    ("The measure passed with about 54% of the vote.", "number", "54%"),
    ("Cities can be fined up to $25,500 per day.", "number", "$25,500 per day"),
    ("The agency must answer within 30 days.", "number", "30 days"),
    ("The Legislature passed H.4805 over the veto.", "statute", "H.4805"),
    ("Arizona's SB 1070 required status checks.", "statute", "SB 1070"),
    ("California's Assembly Bill 60 opened licenses to all residents.",
     "statute", "Assembly Bill 60"),
    ("Court proceedings are a permissible use under 18 U.S.C. 2721(b)(4).",
     "statute", "18 U.S.C. 2721(b)(4)"),
    ("Commercial licenses follow 49 CFR Part 383.", "statute", "49 CFR Part 383"),
    ("The sheriff signed a 287(g) agreement.", "statute", "287(g)"),
    ("Detainers were rejected in Lunn v. Commonwealth, decided that summer.",
     "case", "Lunn v. Commonwealth"),
    ("The Massachusetts Supreme Judicial Court ruled on detainers.",
     "organisation", "Massachusetts Supreme Judicial Court"),
    ("A vote is expected by mid-2025.", "date", "mid-2025"),
]  # fmt: skip


@pytest.mark.parametrize("text, kind, claim", FOUND, ids=[claim for _, _, claim in FOUND])
def test_each_example_the_issue_names_is_found(text, kind, claim):
    assert (kind, claim) in found(text)


def test_a_second_date_of_the_same_year_is_a_claim_of_its_own():
    text = "The bill passed in June 2022, and voters upheld it in November 2022."
    assert found(text) == [("date", "June 2022"), ("date", "November 2022")]


# Issue 19's examples of what the finder reported wrongly: none of these is a claim.
NOT_FOUND = [
    ("The Act limits what the agency may share.", "Act"),
    ("The governor signed an executive order.", "executive order"),
    ("Evictions follow §§ 1923.02 and 1923.06.", "1923"),
    ("The Immigrant Trust Directive, formally Directive No. 2018-6, applies.", "2018"),
    ("Based on my training data, which runs through early 2022, the state issues licenses.",
     "2022"),
]  # fmt: skip


@pytest.mark.parametrize("text, wrong", NOT_FOUND, ids=[wrong for _, wrong in NOT_FOUND])
def test_what_the_issue_says_was_reported_wrongly_is_not(text, wrong):
    assert all(claim != wrong and claim.rsplit(" ", 1)[-1] != wrong for _, claim in found(text))


def test_dates_in_a_hedge_are_not_claims_however_long_its_clause_runs():
    assert found("As of my knowledge cutoff in September 2021, the RMV shares nothing.") == []
    assert found(
        "As of my last update in April 2023, which covers changes through the 2022 "
        "legislative session, the card costs $22.25."
    ) == [("number", "$22.25")]
    assert found("My knowledge cutoff is September 2021, so check the RMV.") == []
    # After the hedge's clause ends, a date is the text's own; "As of 2023" is no hedge.
    assert found("As of my last update, the law passed in 2019 applies.") == [("date", "2019")]
    assert found("As of 2023, the state had issued 80,000 cards.") == [
        ("date", "2023"), ("number", "80,000")
    ]  # fmt: skip


def test_sentences_hold_code_sections_and_claims_stop_at_a_sentence_end():
    text = (
        "Under Ohio Revised Code 5321.05, tenants must keep the premises safe. Help is "
        "available in Toledo. The Ohio State Legal Services Association takes cases."
    )
    code, association = flags.find_claims(text)
    assert (code.text, code.sentence) == (
        "Ohio Revised Code 5321.05",
        "Under Ohio Revised Code 5321.05, tenants must keep the premises safe.",
    )
    assert (association.text, association.sentence) == (
        "Ohio State Legal Services Association",
        "The Ohio State Legal Services Association takes cases.",
    )


def test_an_acronym_defined_in_parentheses_is_one_claim_with_its_expansion():
    text = (
        "The Massachusetts Department of Motor Vehicles (DMV) shares data with U.S. Immigration "
        "and Customs Enforcement (ICE). ICE then asks the Massachusetts DMV again. The FBI "
        "and the Federal Bureau of Investigation are one agency."
    )
    dmv, ice, fbi = flags.find_claims(text)
    assert (dmv.text, ice.text, fbi.text) == (
        "Massachusetts Department of Motor Vehicles (DMV)",
        "U.S. Immigration and Customs Enforcement (ICE)",
        "FBI",
    )
    # Every mention is marked, and each form it is written in names it.
    assert [text[s:e] for s, e in ice.mentions] == [
        "U.S. Immigration and Customs Enforcement (ICE)", "ICE"
    ]  # fmt: skip
    assert [text[s:e] for s, e in dmv.mentions] == [
        "Massachusetts Department of Motor Vehicles (DMV)", "Massachusetts DMV"
    ]  # fmt: skip
    assert {"ice", "u.s. immigration and customs enforcement (ice)"} <= ice.names
    assert len(fbi.mentions) == 2
    # A program's acronym is not an organisation, nor its later uses.
    assert found("The Supplemental Nutrition Assistance Program (SNAP) helps. SNAP pays.") == []


def test_the_end_to_end_example_finds_all_seven_claims():
    assert found(END_TO_END) == [
        ("statute", "8 U.S.C. 1373"),
        ("statute", "Section 287(g)"),
        ("organisation", "Immigration and Customs Enforcement"),
        ("organisation", "Federal Bureau of Investigation"),
        ("case", "Smith v. Jones"),
        ("number", "87%"),
        ("statute", "H.4805"),
    ]


# The text issue 19 saw approved with `claims: []`; tests/workflow/test_claims.py approves it.
END_TO_END = (
    "Federal law at 8 U.S.C. 1373 bars limits on sharing status information, and Section "
    "287(g) lets local officers act for Immigration and Customs Enforcement. Fingerprints go "
    "to the Federal Bureau of Investigation. In Smith v. Jones, a court held that detainers "
    "need a warrant. About 87% of sheriffs agreed. Massachusetts passed H.4805 later."
)


def test_the_quick_test_agrees_with_the_finder_on_the_corpus():
    for name in ("seeds.jsonl", "written.jsonl", "held_out.jsonl"):
        for line in (CORPUS / name).read_text().splitlines():
            text = json.loads(line)["text"]
            assert flags.has_specific_claim(text) == bool(flags.find_claims(text))
            for sentence in text.split(". "):
                assert flags.has_specific_claim(sentence) == bool(flags.find_claims(sentence))


def test_every_listed_acronym_is_a_word_the_quick_test_looks_at():
    # has_specific_claim looks at the words of capitals, then for the listed ones among them.
    from editorial.flags.claims.names import KNOWN_NAME_OF
    from editorial.flags.claims.quick import MAYBE_SURE

    assert [acronym for acronym in KNOWN_NAME_OF if not MAYBE_SURE.fullmatch(acronym)] == []
