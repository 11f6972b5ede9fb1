"""Helpers the insights tests share: answers sent to review as an editor sends them."""

from __future__ import annotations

from editorial import workflow
from tests.conftest import settle_claims


def submit(answer, editor, *, reviewer) -> None:
    """Submit as the editor does: each claim of the text settled first (approval needs it)."""
    settle_claims(answer, editor)
    workflow.submit(answer, editor, reviewer=reviewer)
