"""Quality flags: on the real seed corpus, and each flag evaluate() lists."""

import pytest

from editorial import flags
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


def test_flags_as_stored_with_or_without_the_duplicate_flag():
    found = [flags.HEDGE, flags.NO_SOURCE, flags.TRUNCATED]

    assert flags.stored(found) == ("hedge no_source truncated", FlagLevel.BLOCKING)
    assert flags.stored(found, duplicate=True) == (
        " ".join(flag.code for flag in flags.with_duplicate(found)),
        flags.level_of(flags.with_duplicate(found)),
    )
    assert flags.stored([flags.TRUNCATED], duplicate=True) == (
        "duplicate truncated",
        FlagLevel.WARNING,
    )
    assert flags.stored([]) == ("", FlagLevel.NONE)


def test_a_flag_comes_back_from_another_process_as_the_same_flag():
    import pickle

    # A file prepared in a second process (importers.batch) brings its flags back pickled.
    assert pickle.loads(pickle.dumps(flags.UNSOURCED_CLAIM)) is flags.UNSOURCED_CLAIM
    assert {flags.HEDGE, flags.HEDGE} == {flags.HEDGE} and flags.HEDGE != flags.EMPTY
