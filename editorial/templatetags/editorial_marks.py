"""Template filters that show marked text as HTML: an answer's flagged passages
(flags.highlight) and a related answer's excerpt (insights.related.excerpt)."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from editorial.flags import CLAIM_PASSAGE, HEDGE_PASSAGE, Passage
from editorial.insights.related import ExcerptPart

register = template.Library()

# The classes editorial/static/editorial/*.css colour hedges and claims by.
_PASSAGE_CLASSES = {HEDGE_PASSAGE: "flag-hedge", CLAIM_PASSAGE: "flag-claim"}


@register.filter
def render_passages(passages: Iterable[Passage]) -> SafeString:
    """Passages as escaped HTML: hedges and claims each in a <mark> of its class."""
    return format_html_join("", "{}", ((_passage_html(passage),) for passage in passages))


@register.filter
def render_excerpt(parts: Iterable[ExcerptPart]) -> SafeString:
    """An excerpt as escaped HTML: the shared words in <mark>."""
    return format_html_join("", "{}", ((_part_html(part),) for part in parts))


def _passage_html(passage: Passage) -> SafeString:
    css_class = _PASSAGE_CLASSES.get(passage.kind)
    if css_class is None:
        return format_html("{}", passage.text)
    return format_html('<mark class="{}">{}</mark>', css_class, passage.text)


def _part_html(part: ExcerptPart) -> SafeString:
    return format_html("<mark>{}</mark>" if part.marked else "{}", part.text)
