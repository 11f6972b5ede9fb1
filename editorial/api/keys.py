"""API keys: made with a secret shown once, stored as a SHA-256, checked, revoked.

A key reads `ed_<prefix>_<secret>`. The prefix (not secret) finds the row through a unique
index; the SHA-256 of the whole key, compared in constant time, decides. A plain hash, not
a password hasher: the secret is 256 random bits, so there is nothing to stretch, and a
request must not pay a key-derivation function. Not keyed with SECRET_KEY either, so
rotating that key leaves every consumer's key working.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from editorial.api.errors import ApiRefusal
from editorial.models import ApiKey, Document
from editorial.storage import chain

PREFIX = "ed"
# Last use is written at most this often per key: a request need not write.
LAST_USE_EVERY = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(*, key: ApiKey, created_by, documents: Iterable[Document] = ()) -> tuple[ApiKey, str]:
    """Save this new key (its name and scope filled in) and return it with its secret, which
    is stored only as a hash and never shown again."""
    if key.pk is not None:
        raise ValueError("A key is issued once; make a new one instead.")
    key.created_by = created_by
    key.subjects = sorted(set(key.subjects))
    key.prefix = secrets.token_hex(6)
    token = f"{PREFIX}_{key.prefix}_{secrets.token_urlsafe(32)}"
    key.key_hash = _hash(token)
    with transaction.atomic():
        key.full_clean()
        key.save()
        key.documents.set(list(documents))
    return key, token


def revoke(*, key: ApiKey, user) -> bool:
    """Revoke the key now; False if it was revoked already (the first revocation stands)."""
    revoked = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=user
    )
    key.refresh_from_db(fields=["revoked_at", "revoked_by"])
    return bool(revoked)


def authenticate(token: str) -> ApiKey:
    """The key this bearer token is, refused with a reason; with the history chain's head
    read in the same statement (`chain_head`): the pages' ETags start from it, and a
    revalidation is then one query."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        raise ApiRefusal(401, "invalid_key", "This is not an API key of this service.")
    sql, params, at = _by_prefix(connection.vendor)
    key = next(iter(ApiKey.objects.raw(sql, [*params[:at], parts[1], *params[at + 1 :]])), None)
    if key is None or not hmac.compare_digest(key.key_hash, _hash(token)):
        raise ApiRefusal(401, "invalid_key", "No such API key: check it was copied whole.")
    if key.revoked_at is not None:
        raise ApiRefusal(
            403, "revoked_key", f"This key was revoked on {key.revoked_at:%Y-%m-%d %H:%M} UTC."
        )
    _note_use(key)
    return key


_PREFIX_MARK = "\x00prefix"


@functools.cache
def _by_prefix(vendor: str) -> tuple[str, list, int]:
    """The SQL of the key by its prefix, with the chain's head: compiled once per database
    vendor, where Django compiled it for each request (0.4 of a 304's 1.3 ms of Python).
    Its parameters, and where the prefix goes among them."""
    query = ApiKey.objects.filter(prefix=_PREFIX_MARK).annotate(chain_head=chain.head_position())
    sql, params = query.order_by()[:1].query.sql_with_params()
    return sql, list(params), list(params).index(_PREFIX_MARK)


def _note_use(key: ApiKey) -> None:
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USE_EVERY:
        # Conditional, so two workers in the same minute write once.
        ApiKey.objects.filter(pk=key.pk).exclude(last_used_at__gt=now - LAST_USE_EVERY).update(
            last_used_at=now
        )
        key.last_used_at = now
