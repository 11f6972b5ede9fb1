"""/api/v1/sync: everything with a token, then what was approved, re-approved or withdrawn
since, withdrawals as tombstones; tokens tied to the key and its scope."""

import json

import pytest

from editorial import workflow
from editorial.exporters import Export
from tests.api.conftest import MASSACHUSETTS, approve, body, get, make_key, step
from tests.exporters.conftest import answer_at

pytestmark = pytest.mark.django_db


def full_sync(client, token: str, **params) -> tuple[list[dict], str]:
    """Every page of an initial sync: the records, and the sync token of the last page."""
    page = body(get(client, "sync", token, **params))
    records = page["answers"]
    while page["next_page"]:
        assert page["next_sync_token"] is None
        page = body(get(client, "sync", token, token=page["next_page"], **params))
        records += page["answers"]
    assert page["next_sync_token"]
    return records, page["next_sync_token"]


def delta(client, token: str, sync_token: str, **params) -> tuple[list, list, str]:
    page = body(get(client, "sync", token, token=sync_token, **params))
    records, deleted = page["answers"], page["deleted"]
    while page["next_page"]:
        page = body(get(client, "sync", token, token=page["next_page"], **params))
        records += page["answers"]
        deleted += page["deleted"]
    return records, deleted, page["next_sync_token"]


def test_initial_sync_is_the_export_in_pages(client, approved, token):
    records, _ = full_sync(client, token, limit=2)
    exported = [
        json.loads(line) for line in b"".join(Export("jsonl", channel="x").stream()).splitlines()
    ]
    assert sorted(records, key=lambda r: r["id"]) == sorted(exported, key=lambda r: r["id"])


def test_delta_holds_approvals_reapprovals_and_tombstones(client, approved, token, people):
    editor, reviewer, managing = people["editor"], people["reviewer"], people["managing"]
    _, sync_token = full_sync(client, token)
    # Nothing happened: an empty delta, and a token that still works.
    records, deleted, same = delta(client, token, sync_token)
    assert (records, deleted) == ([], [])

    again = approve(approved["ma2"], editor, reviewer, text=approved["ma2"].approved.text + " Yes.")
    new = approve(answer_at(MASSACHUSETTS, 5), editor, reviewer)
    step(workflow.archive, approved["ms1"], managing)
    # An edit is no change to what is exported: not in the delta.
    workflow.edit(approved["ma3"], user=editor, text="Work in progress.")
    # An answer never approved, archived: it was never exported, so no tombstone either.
    step(workflow.archive, answer_at(MASSACHUSETTS, 7), managing)

    records, deleted, next_token = delta(client, token, same)
    assert {record["id"]: record["answer"] for record in records} == {
        again.pk: again.approved.text,
        new.pk: new.approved.text,
    }
    assert again.approved.text.endswith(" Yes.")
    assert [tombstone["id"] for tombstone in deleted] == [approved["ms1"].pk]
    archived_at = approved["ms1"].events.get(action="archive").created_at
    assert deleted[0] == {"id": approved["ms1"].pk, "deleted_at": archived_at.isoformat(),
                          "reason": "archived"}  # fmt: skip
    # The records are the export's.
    exported = {
        json.loads(line)["id"]: json.loads(line)
        for line in b"".join(Export("jsonl", channel="x").stream()).splitlines()
    }
    assert all(record == exported[record["id"]] for record in records)

    # Restored, it comes back as a record.
    step(workflow.restore, approved["ms1"], managing)
    records, deleted, _ = delta(client, token, next_token)
    assert [record["id"] for record in records] == [approved["ms1"].pk]
    assert deleted == []


def test_delta_pages_hold_every_change_once_in_order(client, approved, token, people):
    editor, reviewer = people["editor"], people["reviewer"]
    _, sync_token = full_sync(client, token)
    changed = [
        approve(answer_at(MASSACHUSETTS, position), editor, reviewer) for position in (5, 6, 8)
    ]
    pages = []
    page = body(get(client, "sync", token, token=sync_token, limit=1))
    pages.append(page)
    while page["next_page"]:
        page = body(get(client, "sync", token, token=page["next_page"], limit=1))
        pages.append(page)
    assert [[r["id"] for r in p["answers"]] for p in pages] == [[a.pk] for a in changed]


def test_tokens_belong_to_their_key_and_scope(client, approved, token, managing, seeds):
    _, sync_token = full_sync(client, token)
    other_key, other = make_key(managing, everything=True, name="other")
    refused = get(client, "sync", other, token=sync_token)
    assert refused.status_code == 400
    assert body(refused)["error"] == "invalid_token"

    scoped_key, scoped = make_key(managing, subjects=["Massachusetts"], name="ma")
    records, scoped_token = full_sync(client, scoped)
    assert {record["subject"] for record in records} == {"Massachusetts"}
    scoped_key.subjects = ["Mississippi"]
    scoped_key.save()
    gone = get(client, "sync", scoped, token=scoped_token)
    assert gone.status_code == 410
    assert body(gone)["error"] == "scope_changed"
    assert "initial sync" in body(gone)["reason"]
    garbage = get(client, "sync", token, token="not-a-token")
    assert garbage.status_code == 400


def test_a_scoped_delta_holds_only_its_answers(client, approved, managing, people):
    _, scoped = make_key(managing, subjects=["Mississippi"], name="ms")
    _, sync_token = full_sync(client, scoped)
    approve(answer_at(MASSACHUSETTS, 5), people["editor"], people["reviewer"])
    step(workflow.archive, approved["ma2"], managing)
    step(workflow.archive, approved["ms20"], managing)
    records, deleted, _ = delta(client, scoped, sync_token)
    assert records == []
    assert [tombstone["id"] for tombstone in deleted] == [approved["ms20"].pk]
