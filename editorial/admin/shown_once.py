"""A secret shown once, on a page of its own after a redirect, never as the answer to a POST.

Answered straight from the POST that made it, a reload of the page repeated the POST: a
second API key nobody holds, a second webhook endpoint (every event sent twice under other
ids), a secret replaced again. So the POST keeps the secret in the person's session and
redirects; the page it lands on takes it out again (a reload finds nothing and says so).
"""

from __future__ import annotations

from django.http import HttpRequest

_SESSION_KEY = "editorial_shown_once"


def keep(request: HttpRequest, *, kind: str, object_id: int, secret: str, title: str) -> None:
    request.session[_SESSION_KEY] = {
        "kind": kind,
        "id": object_id,
        "secret": secret,
        "title": title,
    }


def take(request: HttpRequest, *, kind: str, object_id: int) -> dict | None:
    """The secret kept for this object, once: {secret, title}; None after that."""
    kept = request.session.get(_SESSION_KEY)
    if not kept or kept["kind"] != kind or kept["id"] != object_id:
        return None
    del request.session[_SESSION_KEY]
    return {"secret": kept["secret"], "title": kept["title"]}
