"""Opaque cursors and sync tokens: what the next request continues from, signed.

Signed with Django's signing (SECRET_KEY): a consumer cannot forge a position or read
another key's token as its own. Not timestamped, so the same page has the same token, and
the same URL the same ETag.
"""

from __future__ import annotations

from typing import Any

from django.core import signing

from editorial.api.errors import ApiRefusal

_SALT = "editorial.api.tokens"


def make(kind: str, **payload: Any) -> str:
    return signing.dumps({"t": kind, **payload}, salt=_SALT, compress=True)


def read(token: str, kind: str) -> dict[str, Any]:
    """The token's payload, refused (400) if it was not made here for this `kind`."""
    try:
        payload = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        raise ApiRefusal(
            400, "invalid_token", "This token was not issued by this API or was changed."
        ) from None
    if not isinstance(payload, dict) or payload.get("t") != kind:
        raise ApiRefusal(400, "invalid_token", f"This is not a {kind} token.")
    return payload
