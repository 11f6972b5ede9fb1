"""/api/v1/answers and /api/v1/answers/{id}: approved records only, as the jsonl export
writes them, filtered, paged by a cursor that holds still while others approve."""

import json

import pytest

from editorial import workflow
from editorial.exporters import Export
from editorial.models import Answer
from tests.api.conftest import (
    MASSACHUSETTS,
    MISSISSIPPI,
    all_pages,
    approve,
    body,
    get,
    step,
)
from tests.exporters.conftest import answer_at

pytestmark = pytest.mark.django_db


def jsonl_export() -> dict[int, str]:
    """The jsonl export's lines by answer id, through the exporters as the command runs them."""
    chunks = Export("jsonl", channel="command").stream()
    lines = b"".join(chunks).decode().splitlines()
    return {json.loads(line)["id"]: line for line in lines}


def test_records_are_the_jsonl_exports_lines(client, approved, token):
    exported = jsonl_export()
    response = get(client, "answers", token)
    assert response.status_code == 200
    records = body(response)["answers"]
    assert sorted(record["id"] for record in records) == sorted(exported)
    for record in records:
        assert record == json.loads(exported[record["id"]])
        # Byte for byte: the API writes the export's own line.
        assert exported[record["id"]] in response.content.decode()
    single = get(client, f"answers/{approved['ma3'].pk}", token)
    assert single.status_code == 200
    assert single.content.decode() == exported[approved["ma3"].pk]


def test_only_approved_answers_and_their_approved_version(client, approved, token, people):
    # An edit after approval leaves the approved version the served one.
    ma2 = approved["ma2"]
    workflow.edit(ma2, user=people["editor"], text="A draft nobody approved.")
    ids = [record["id"] for record in body(get(client, "answers", token))["answers"]]
    assert ids == sorted(answer.pk for answer in approved.values())
    served = body(get(client, f"answers/{ma2.pk}", token))
    assert served["answer"] != "A draft nobody approved."
    assert served["answer"] == ma2.approved.text
    never = answer_at(MASSACHUSETTS, 4)
    missing = get(client, f"answers/{never.pk}", token)
    assert missing.status_code == 404
    assert body(missing)["error"] == "not_found"
    assert "never approved" in body(missing)["reason"]


def test_archived_answers_leave_the_api(client, approved, token, people):
    step(workflow.archive, approved["ma3"], people["managing"])
    ids = [record["id"] for record in body(get(client, "answers", token))["answers"]]
    assert approved["ma3"].pk not in ids
    assert get(client, f"answers/{approved['ma3'].pk}", token).status_code == 404


def test_filters(client, approved, token):
    by_document = body(get(client, "answers", token, document=MISSISSIPPI))["answers"]
    assert {record["document"] for record in by_document} == {MISSISSIPPI}
    assert len(by_document) == 2
    by_subject = body(get(client, "answers", token, subject="Massachusetts"))["answers"]
    assert {record["subject"] for record in by_subject} == {"Massachusetts"}
    assert len(by_subject) == 3
    latest = approved["ms20"].approved.approved_at
    since = body(get(client, "answers", token, approved_since=latest.isoformat()))["answers"]
    assert [record["id"] for record in since] == [approved["ms20"].pk]
    unknown = get(client, "answers", token, document="nothing.txt")
    assert unknown.status_code == 404
    assert "nothing.txt" in body(unknown)["reason"]
    bad = get(client, "answers", token, approved_since="yesterday")
    assert bad.status_code == 400
    assert body(bad)["error"] == "invalid_request"
    assert "approved_since" in body(bad)["reason"]


def test_pages_follow_the_cursor(client, approved, token):
    pages = all_pages(client, "answers", token, limit=2)
    assert [len(page["answers"]) for page in pages] == [2, 2, 1]
    ids = [record["id"] for page in pages for record in page["answers"]]
    assert ids == sorted(answer.pk for answer in approved.values())
    # The cursor is opaque and signed: changed, it is refused with a reason.
    forged = get(client, "answers", token, limit=2, cursor=pages[0]["next"][:-2] + "xx")
    assert forged.status_code == 400
    assert body(forged)["error"] == "invalid_token"
    # A cursor carries its filters: another filter cannot reuse it.
    other = get(client, "answers", token, limit=2, cursor=pages[0]["next"], subject="Mississippi")
    assert other.status_code == 400


def test_cursor_holds_still_while_answers_are_approved(client, approved, token, people):
    editor, reviewer = people["editor"], people["reviewer"]
    first = body(get(client, "answers", token, limit=2))
    seen = [record["id"] for record in first["answers"]]
    # Between the pages: an answer of the first page re-approved, one not yet reached
    # re-approved, and a new one approved.
    behind = Answer.objects.get(pk=seen[0])
    ahead = Answer.objects.get(pk=sorted(a.pk for a in approved.values())[3])
    for answer in (behind, ahead):
        approve(answer, editor, reviewer, text=answer.approved.text + " Checked again.")
    new = approve(answer_at(MASSACHUSETTS, 5), editor, reviewer)
    rest = []
    cursor = first["next"]
    while cursor:
        page = body(get(client, "answers", token, limit=2, cursor=cursor))
        rest += page["answers"]
        cursor = page["next"]
    ids = seen + [record["id"] for record in rest]
    # Every answer approved when paging began, once; the new one too (its id is later).
    assert sorted(ids) == sorted([answer.pk for answer in approved.values()] + [new.pk])
    assert len(ids) == len(set(ids))
    # The one ahead is served as re-approved.
    assert next(r for r in rest if r["id"] == ahead.pk)["answer"].endswith("Checked again.")
