"""How the admin shows a diff: the template filters and the diff template."""

from django.template.loader import render_to_string

from editorial.diffs import Segment, Snapshot, diff_content, diff_words
from editorial.templatetags.editorial_diffs import as_percent, render_diff
from tests.diffs.conftest import EXPORT_SHAPE, NEW_ANSWER, OLD_ANSWER, REVERSION_SHAPE

HOSTILE = "<script>alert(1)</script>"


def test_render_diff_escapes_every_kind_of_segment_and_marks_changes_in_words():
    html = render_diff(
        [Segment("equal", HOSTILE), Segment("delete", HOSTILE), Segment("insert", HOSTILE)]
    )
    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 3
    assert html == (
        "&lt;script&gt;alert(1)&lt;/script&gt;"
        '<del><span class="diff-marker">[deleted: </span>'
        "&lt;script&gt;alert(1)&lt;/script&gt;"
        '<span class="diff-marker">]</span></del>'
        '<ins><span class="diff-marker">[added: </span>'
        "&lt;script&gt;alert(1)&lt;/script&gt;"
        '<span class="diff-marker">]</span></ins>'
    )


def test_render_diff_shows_whitespace_only_changes_without_marks():
    segments = diff_words("Yes , it is.", "Yes, it is.\n\nMore.")
    assert render_diff(segments) == (
        'Yes, it is.<ins><span class="diff-marker">[added: </span>\n\nMore.'
        '<span class="diff-marker">]</span></ins>'
    )
    assert render_diff([Segment("equal", "a"), Segment("delete", " "), Segment("equal", ",")]) == (
        "a,"
    )
    assert render_diff([Segment("equal", "a"), Segment("insert", "\n\n")]) == "a\n\n"
    assert render_diff([]) == ""


def test_the_diff_template_shows_each_part_and_the_share_of_words_changed():
    old = Snapshot("Does the DMV share data?", OLD_ANSWER, tuple(EXPORT_SHAPE), "as imported")
    new = Snapshot(
        "Does the DMV share data?", NEW_ANSWER + f" {HOSTILE}", tuple(EXPORT_SHAPE), "version 2"
    )
    diff = diff_content(old, new)
    html = render_to_string("admin/editorial/_diff.html", {"diff": diff})
    assert '<section class="content-diff">' in html
    assert "Changes from as imported to version 2" in html
    assert html.count("No change.") == 2  # the question and the sources
    assert html.count('<div class="diff-text">') == 1
    assert "<del>" in html and "<ins>" in html
    assert "[deleted: </span>As of my knowledge cutoff in September 2021, the" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert f"Words changed: {as_percent(diff.words_changed)} %" in html
    assert as_percent(0.1234) == "12.3" and as_percent(0.5) == "50" and as_percent(0.0) == "0"
    assert "No differences." not in html


def test_the_diff_template_says_once_when_nothing_changed():
    old = Snapshot("Question?", "Answer.", tuple(EXPORT_SHAPE), "version 3")
    new = Snapshot("Question?", "Answer.\n", tuple(REVERSION_SHAPE), "approved version 3")
    html = render_to_string("admin/editorial/_diff.html", {"diff": diff_content(old, new)})
    assert "Changes from version 3 to approved version 3" in html
    assert html.count("No differences.") == 1
    assert "No change." not in html
    assert "Words changed" not in html
