"""Finding claims in the seed answers: each with its sentence and a key that survives rewording."""

from __future__ import annotations

import pytest

from editorial import flags
from editorial.models import Answer
from tests.conftest import keys, ma

pytestmark = pytest.mark.django_db


def ms(position: int) -> Answer:
    return Answer.objects.get(document__subject="Mississippi", position=position)


def test_claims_found_in_the_massachusetts_seed(seeds):
    # The 2021 of the knowledge-cutoff hedge is not a claim: the hedge goes, and it with it.
    assert keys(ma(1).text) == ["2004"]
    assert keys(ma(2).text) == []
    assert keys(ma(5).text) == ["REAL ID Act of 2005", "REAL ID Act"]
    assert keys(ma(13).text) == [
        "Massachusetts Public Records Law",
        "Data Integrity Board",
        "executive order",
        "2018",
    ]
    assert keys(ma(19).text) == ["American Civil Liberties Union", "ACLU", "2018"]


def test_claims_found_in_the_mississippi_seed(seeds):
    assert keys(ms(3).text) == ["Driver’s Privacy Protection Act"]
    assert keys(ms(15).text) == [
        "Mississippi Public Records Act",
        "Privacy Act of 1974",
        "Driver’s Privacy Protection Act",
    ]
    # Noise stays low: 18 claims in the 40 answers, in 8 of them.
    found = [flags.find_claims(answer.text) for answer in Answer.objects.all()]
    assert sum(map(len, found)) == 18 and sum(1 for claims in found if claims) == 8


def test_a_claim_carries_its_sentence_and_a_key_that_survives_rewording():
    text = "Massachusetts enacted legislation in 2004 restricting releases. Nothing else."
    (claim,) = flags.find_claims(text)
    assert (claim.text, claim.kind, text[claim.start : claim.end]) == ("2004", "year", "2004")
    assert claim.sentence == "Massachusetts enacted legislation in 2004 restricting releases."
    assert flags.find_claims("A law passed in 2004.")[0].key == claim.key
    (organisation,) = flags.find_claims("It was set up by the Department of Homeland Security.")
    assert organisation.kind == "organisation"
    (order,) = flags.find_claims("Under Executive Order 13768 the agency acts.")
    assert order.text == "Executive Order 13768"
    assert flags.find_claims("Ask the National Immigration Law Center.")[0].text == (
        "National Immigration Law Center"
    )
