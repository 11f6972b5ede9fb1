"""Template filters that show a word-level diff as HTML that reads without colour."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from editorial.diffs import DELETE, INSERT, Segment, has_changes

register = template.Library()

# The markers are hidden on screen by diff.css but read aloud, so a screen reader (or a
# printout without colour) still says which words went and which came.
_MARKED = '<{0}><span class="diff-marker">[{1}: </span>{2}<span class="diff-marker">]</span></{0}>'
_MARKS = {DELETE: ("del", "deleted"), INSERT: ("ins", "added")}


@register.filter
def render_diff(segments: Iterable[Segment]) -> SafeString:
    """Segments as escaped HTML: equal text plain, deletions in <del>, insertions in <ins>."""
    return format_html_join("", "{}", ((html,) for html in map(_segment_html, segments)))


@register.filter
def diff_has_changes(segments: Iterable[Segment]) -> bool:
    """Whether a part of a diff shows any change, for its "No change." line."""
    return has_changes(segments)


@register.filter
def as_percent(share: float) -> str:
    """A share between 0 and 1 as a percentage, with one decimal only when it has one."""
    return floatformat(share * 100, -1)


def _segment_html(segment: Segment) -> SafeString:
    if segment.op in _MARKS and not segment.text.isspace():
        return format_html(_MARKED, *_MARKS[segment.op], segment.text)
    # A space only one text has is not worth a mark: kept when added, dropped when removed.
    return format_html("{}", "" if segment.op == DELETE else segment.text)
