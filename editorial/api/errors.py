"""The one refusal type of the API: a status, a short code and a sentence saying why."""

from __future__ import annotations


class ApiRefusal(Exception):
    """The API will not answer as asked; `reason` says why in a sentence."""

    def __init__(self, status: int, error: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.error = error
        self.reason = reason
