"""Word-level comparison of two versions of an answer: pure functions, no models, no HTML.

- words: a text's tokens, `diff_words` and the segments it returns
- alignment: which tokens of two texts match (difflib, patience cuts for long texts)
- content: two snapshots of an answer compared part by part (`diff_content`)

The admin's template tag (templatetags/editorial_diffs.py) renders the segments.
"""

from editorial.diffs.alignment import DELETE, EQUAL, INSERT
from editorial.diffs.content import (
    ContentDiff,
    Snapshot,
    claims_text,
    diff_content,
    sources_text,
)
from editorial.diffs.words import Segment, diff_words, has_changes, words_changed

__all__ = [
    "DELETE",
    "EQUAL",
    "INSERT",
    "ContentDiff",
    "Segment",
    "Snapshot",
    "claims_text",
    "diff_content",
    "diff_words",
    "has_changes",
    "sources_text",
    "words_changed",
]
