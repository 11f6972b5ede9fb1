"""Word-level comparison of two versions of an answer: pure functions, no models, no HTML.

- words: a text's tokens, `diff_words` and the segments it returns
- alignment: which tokens of two texts match (difflib, patience cuts for long texts)
- content: two snapshots of an answer compared part by part (`diff_content`)
- merge: three snapshots merged three-way (`merge_content`, diff-match-patch's patches), or
  the passages both sides changed, for a person to choose

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
from editorial.diffs.merge import (
    SIDES,
    THEIRS,
    YOURS,
    Agreed,
    ContentMerge,
    ListMerge,
    MissingChoices,
    Passage,
    TextMerge,
    merge_content,
    merge_texts,
)
from editorial.diffs.words import Segment, diff_words, has_changes, words_changed

__all__ = [
    "DELETE",
    "EQUAL",
    "INSERT",
    "SIDES",
    "THEIRS",
    "YOURS",
    "Agreed",
    "ContentDiff",
    "ContentMerge",
    "ListMerge",
    "MissingChoices",
    "Passage",
    "Segment",
    "Snapshot",
    "TextMerge",
    "claims_text",
    "diff_content",
    "diff_words",
    "has_changes",
    "merge_content",
    "merge_texts",
    "sources_text",
    "words_changed",
]
