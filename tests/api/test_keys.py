"""API keys: hashed, scoped, revocable, last use recorded, rate-limited; every refusal JSON
with a reason."""

import hashlib
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from editorial.api import keys, rate
from editorial.models import ApiKey
from tests.api.conftest import MASSACHUSETTS, MISSISSIPPI, body, documents_named, get, make_key

pytestmark = pytest.mark.django_db


def test_a_key_is_stored_only_as_its_hash(managing):
    key, token = make_key(managing, everything=True)
    stored = ApiKey.objects.get(pk=key.pk)
    assert token.startswith(f"ed_{stored.prefix}_")
    assert stored.key_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {str(value) for value in stored.__dict__.values()}
    assert stored.created_by == managing


@pytest.mark.parametrize(
    ("header", "error"),
    [
        (None, "missing_key"),
        ("Token abc", "missing_key"),
        ("Bearer nonsense", "invalid_key"),
        ("Bearer ed_000000000000_wrong", "invalid_key"),
    ],
)
def test_without_a_valid_key_401(client, approved, header, error):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/answers", headers=headers)
    assert response.status_code == 401
    assert body(response)["error"] == error
    assert body(response)["reason"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_secret_with_a_real_prefix_401(client, approved, token):
    forged = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
    response = get(client, "answers", forged)
    assert response.status_code == 401
    assert body(response)["error"] == "invalid_key"


def test_a_revoked_key_403(client, approved, managing):
    key, token = make_key(managing, everything=True)
    assert get(client, "answers", token).status_code == 200
    assert keys.revoke(key=key, user=managing)
    assert not keys.revoke(key=key, user=managing)  # the first revocation stands
    response = get(client, "answers", token)
    assert response.status_code == 403
    assert body(response)["error"] == "revoked_key"
    assert "revoked on" in body(response)["reason"]


def test_scope_by_document_and_by_subject(client, approved, managing):
    _, by_document = make_key(managing, documents=documents_named(MISSISSIPPI))
    _, by_subject = make_key(managing, subjects=["Massachusetts"])
    for token, document, answer in (
        (by_document, MISSISSIPPI, approved["ms1"]),
        (by_subject, MASSACHUSETTS, approved["ma2"]),
    ):
        records = body(get(client, "answers", token))["answers"]
        assert {record["document"] for record in records} == {document}
        assert get(client, f"answers/{answer.pk}", token).status_code == 200
        names = [item["name"] for item in body(get(client, "documents", token))["documents"]]
        assert names == [document]
    # Out of scope: 403 with the reason, whatever the way asked.
    for response in (
        get(client, f"answers/{approved['ma2'].pk}", by_document),
        get(client, "answers", by_document, document=MASSACHUSETTS),
        get(client, "answers", by_document, subject="Massachusetts"),
        get(client, f"answers/{approved['ms1'].pk}", by_subject),
    ):
        assert response.status_code == 403
        assert body(response)["error"] == "out_of_scope"


def test_last_use_is_written_at_most_once_a_minute(client, approved, managing):
    key, token = make_key(managing, everything=True)
    assert key.last_used_at is None
    get(client, "answers", token)
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    assert first is not None
    get(client, "answers", token)
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    get(client, "answers", token)
    assert ApiKey.objects.get(pk=key.pk).last_used_at > first


def test_rate_limited_per_key(client, approved, managing):
    _, limited = make_key(managing, everything=True, requests_per_minute=3)
    _, other = make_key(managing, everything=True, name="other")
    assert [get(client, "documents", limited).status_code for _ in range(3)] == [200] * 3
    refused = get(client, "documents", limited)
    assert refused.status_code == 429
    assert body(refused)["error"] == "rate_limited"
    assert "3 requests a minute" in body(refused)["reason"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Another key has its own count.
    assert get(client, "documents", other).status_code == 200


def _a_fresh_minute() -> int:
    """The current minute, waited for if this one is nearly over (the count starts anew)."""
    if rate.wait() < 10:
        time.sleep(rate.wait())
    return int(time.time() // 60)


def test_a_busy_key_is_counted_in_blocks_shared_by_workers(managing):
    """Each worker takes numbers from the shared count a block at a time: no number is
    handed out twice, and past the rate every worker refuses."""
    key, _ = make_key(managing, everything=True, requests_per_minute=200)
    block = rate.block_for(200)
    assert block == 4 and rate.block_for(100) == 2 and rate.block_for(99) == 1
    minute = _a_fresh_minute()
    first, second = rate.KeyRates(), rate.KeyRates()  # two workers' processes
    numbers = [worker.number(key) for _ in range(30) for worker in (first, second)]
    assert len(set(numbers)) == len(numbers) == 60
    # Each worker's numbers run on within its block, then jump past the other's.
    assert numbers[:4] == [1, 5, 2, 6]
    counted = cache.get(f"editorial-api-rate:{key.pk}:{minute}")
    assert counted == 64  # each worker is into its eighth block of 4
    allowed = [first.allows(key) for _ in range(250)]
    # All the numbers up to 200 but the 60 used and the 2 the second worker holds unspent.
    assert allowed == [True] * (200 - 60 - 2) + [False] * (250 - 138)


def test_a_busy_key_is_refused_past_its_rate_over_http(client, approved, managing):
    _, busy = make_key(managing, everything=True, requests_per_minute=120)
    _a_fresh_minute()
    statuses = [get(client, "documents", busy).status_code for _ in range(121)]
    assert statuses[:120] == [200] * 120 and statuses[120] == 429


def test_unknown_paths_are_json_404(client, token):
    response = get(client, "answerz", token)
    assert response.status_code == 404
    assert body(response)["error"] == "not_found"
