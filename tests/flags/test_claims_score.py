"""The finder scored on the labelled corpus (tests/data/claims/): it must meet issue 19's
targets on the part it was tuned on and on the part held out, and the scorer must count a
match as its docstring says."""

from __future__ import annotations

import gc
import io
import statistics
import time

import pytest
from django.core.management import call_command

from editorial.flags.claims import KINDS, find_claims, score
from editorial.flags.claims.score import Entry, Label
from tests.flags.test_claims import CORPUS

TUNED = score.load(CORPUS, score.TUNED)
HELD_OUT = score.load(CORPUS, score.HELD_OUT)


def test_the_corpus_is_as_large_as_the_issue_asks():
    written = [entry for entry in TUNED + HELD_OUT if not entry.id.startswith("seed-")]
    assert len([e for e in TUNED if e.id.startswith("seed-")]) == 40
    assert len(written) >= 60 and len(HELD_OUT) >= 20
    labels = [label for entry in TUNED + HELD_OUT for label in entry.labels]
    assert len(labels) >= 400
    assert {label.kind for label in labels} == set(KINDS)


def test_the_finder_meets_its_targets_on_the_tuned_part():
    result = score.score(TUNED)
    assert result.precision() >= 0.95, "\n".join(result.table())
    assert result.recall() >= 0.95, "\n".join(result.table())
    for kind in KINDS:
        assert result.recall(kind) >= 0.9, (kind, "\n".join(result.table()))


def test_the_finder_meets_its_targets_on_the_held_out_part():
    result = score.score(HELD_OUT)
    assert result.precision() >= 0.9, "\n".join(result.table())
    assert result.recall() >= 0.9, "\n".join(result.table())


def test_the_finder_costs_well_under_a_millisecond_an_answer():
    """Median over the corpus; a generous bound on a shared machine, to catch a pattern that
    backtracks, not to measure (README gives the figures). This process's CPU time, with
    Python's cycle collector held off meanwhile: a full collection late in a test session,
    or another process taking the core, once made one text seem to take 0.36 s (CI)."""
    texts = [entry.text + "\n" for entry in TUNED + HELD_OUT]  # texts the cache has not seen
    times = []
    collecting = gc.isenabled()
    gc.disable()
    try:
        for text in texts:
            start = time.process_time()
            find_claims(text)
            times.append(time.process_time() - start)
    finally:
        if collecting:
            gc.enable()
    assert statistics.median(times) < 0.005 and max(times) < 0.1


def entry(text: str, *labels: tuple[str, str]) -> Entry:
    return Entry(
        "e",
        text,
        tuple(Label(t, kind, text.index(t), text.index(t) + len(t)) for kind, t in labels),
    )


def test_a_match_is_the_same_kind_overlapping_a_mention_one_to_one():
    text = "Immigration and Customs Enforcement (ICE) asked. Later ICE asked the FBI."
    labelled = entry(text, ("organisation", "ICE asked the"), ("organisation", "FBI"))
    found = [
        ("organisation", [(0, 41), (55, 58)], "Immigration and Customs Enforcement (ICE)"),
        ("date", [(69, 72)], "FBI"),  # the right place, the wrong kind
    ]
    result = score.score([labelled], finder=lambda _: found)
    assert (result.matched["organisation"], result.found["date"]) == (1, 1)
    assert result.misses == [("e", "organisation", "FBI")]
    assert result.false_positives == [("e", "date", "FBI")]
    # One found claim covering two labels matches one of them only.
    two = entry("June 2022 and November 2022", ("date", "June 2022"), ("date", "November 2022"))
    result = score.score([two], finder=lambda _: [("date", [(0, 27)], "all")])
    assert (result.matched["date"], len(result.misses)) == (1, 1)


def test_a_label_not_in_its_text_is_refused(tmp_path):
    (tmp_path / "bad.jsonl").write_text(
        '{"id": "x", "text": "In 2004.", "claims": [{"text": "2005", "kind": "date"}]}\n'
    )
    with pytest.raises(ValueError, match="bad.jsonl:1: '2005' is not in the answer's text"):
        score.load(tmp_path, ["bad.jsonl"])


def test_the_command_prints_the_table_and_every_miss_and_false_positive():
    out = io.StringIO()
    call_command("score_claims", stdout=out)
    printed = out.getvalue()
    assert printed.startswith("seeds.jsonl, written.jsonl: 84 answers")
    assert "kind           labelled  found  matched  precision  recall" in printed
    result = score.score(TUNED)
    assert f"Misses ({len(result.misses)}):" in printed
    for answer, kind, text in result.misses + result.false_positives:
        assert f"  {answer}  {kind:<12}  {text}" in printed
    held = io.StringIO()
    call_command("score_claims", "--held-out", stdout=held)
    assert held.getvalue().startswith("held_out.jsonl: 24 answers")
