"""A mail server that is down for the first FAILURES sends, then up: Django's locmem backend
behind a refusal, as an SMTP server refuses a connection while it restarts."""

from __future__ import annotations

from django.core.mail.backends.locmem import EmailBackend

FAILURES = 1
_tried = {"count": 0}


def reset(failures: int) -> None:
    global FAILURES
    FAILURES = failures
    _tried["count"] = 0


class FlakyBackend(EmailBackend):
    def send_messages(self, messages):
        _tried["count"] += 1
        if _tried["count"] <= FAILURES:
            raise ConnectionRefusedError(111, "Connection refused")
        return super().send_messages(messages)
