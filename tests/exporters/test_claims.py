"""Exports carry the claims of the approved version; a CSV claims cell cannot start a formula."""

from __future__ import annotations

import csv
import json

import pytest

from editorial import workflow
from tests.conftest import (
    EXCERPT,
    Q1_AGENCIES,
    Q1_AGENCIES_PINNED,
    Q1_AGENCIES_REASON,
    RMV_SOURCE,
    export,
    settle_2004,
)

pytestmark = pytest.mark.django_db


def test_the_export_carries_the_claims_of_the_approved_version_only(q1, people):
    editor, reviewer = people["editor"], people["reviewer"]
    settle_2004(q1, editor)
    workflow.submit(q1, editor, reviewer=reviewer)
    workflow.approve(q1, reviewer)
    # Later work on the draft (new evidence, a new claim) is not exported until approved.
    workflow.settle_claim(q1, user=editor, claim="2004", kind="common_knowledge", reason="Draft.")
    workflow.edit(q1, user=editor, text=q1.text + " The ACLU agreed.")

    (record,) = [json.loads(line) for line in export("jsonl").splitlines()]
    agencies = [
        {key: claim[key] for key in ("text", "source_url", "excerpt", "reason")}
        for claim in Q1_AGENCIES_PINNED
    ]
    assert record["claims"] == [
        *agencies,
        {"text": "2004", "source_url": RMV_SOURCE["url"], "excerpt": EXCERPT, "reason": ""},
    ]
    assert json.loads(export("json"))[0]["claims"] == record["claims"]
    assert "2004: <https://www.mass.gov" in export("md")  # an autolink
    assert "Draft." not in export("csv") and "ACLU" not in export("csv")


def test_a_csv_claims_cell_cannot_start_a_formula(q1, people):
    editor = people["editor"]
    workflow.edit(q1, user=editor, text="=2004 HYPERLINK. " + q1.text)
    workflow.settle_claim(q1, user=editor, claim="2004", kind="common_knowledge", reason="=1+1")
    workflow.submit(q1, editor, reviewer=people["reviewer"])
    workflow.approve(q1, people["reviewer"])

    rows = list(csv.DictReader(export("csv").splitlines()))
    agencies = [
        {"excerpt": "", "reason": Q1_AGENCIES_REASON, "source_url": "", "text": text}
        for text in Q1_AGENCIES
    ]
    assert json.loads(rows[0]["claims"]) == [
        {"excerpt": "", "reason": "=1+1", "source_url": "", "text": "2004"},
        *agencies,
    ]
    assert rows[0]["answer"].startswith("'=")
