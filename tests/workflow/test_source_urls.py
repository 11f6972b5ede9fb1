"""A source's link is a valid URI however it is entered: percent-encoded where RFC 3986
does not allow a character, refused unless http(s). The workflow's edits and reverts, the
admin's change form and merge page all save it through one field (models.web_urls)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from reversion.models import Version

from editorial import workflow
from editorial.admin.merge_forms import TypedSource
from editorial.exporters import record_of
from editorial.models import Source, Status, normalise_web_url
from tests.conftest import (
    a_source,
    admin_edit,
    change_form_data,
    change_url,
    put_in_state,
    snapshot,
)

pytestmark = pytest.mark.django_db
URI = Draft202012Validator.FORMAT_CHECKER

# (typed, stored)
CASES = [
    ('https://example.org/a"b', "https://example.org/a%22b"),
    ("https://example.org/a b?q=x y#f g", "https://example.org/a%20b?q=x%20y#f%20g"),
    ("https://evil.example/a_(b)?x=<script>", "https://evil.example/a_(b)?x=%3Cscript%3E"),
    ("https://example.org/ünï?q=é", "https://example.org/%C3%BCn%C3%AF?q=%C3%A9"),
    ("https://bücher.example/x", "https://xn--bcher-kva.example/x"),
    ("https://example.org/100%/x%2", "https://example.org/100%25/x%252"),
    ("https://example.org/a{b}|c^d`e", "https://example.org/a%7Bb%7D%7Cc%5Ed%60e"),
    ("  https://example.org/x  ", "https://example.org/x"),
    # Valid already: left exactly as typed.
    ("https://example.org/it's?a=1&b=2", "https://example.org/it's?a=1&b=2"),
    ("https://example.org/%7Euser/x?q=a%20b", "https://example.org/%7Euser/x?q=a%20b"),
    ("https://[::1]:8080/x", "https://[::1]:8080/x"),
]


@pytest.mark.parametrize(("typed", "stored"), CASES)
def test_links_are_made_valid_uris(typed, stored):
    assert normalise_web_url(typed) == stored
    assert URI.conforms(stored, "uri")
    assert normalise_web_url(stored) == stored


@given(st.text(max_size=40))
def test_any_path_becomes_a_valid_uri_once(path):
    url = normalise_web_url("https://example.org/" + path)
    assert URI.conforms(url, "uri"), url
    assert normalise_web_url(url) == url


def test_an_edit_stores_the_normalised_link(answer, editor):
    workflow.edit(answer, user=editor, sources=[a_source(url='https://example.org/a "b" c')])
    assert list(answer.sources.values_list("url", flat=True)) == [
        "https://example.org/a%20%22b%22%20c"
    ]


@pytest.mark.parametrize("url", ["ftp://example.org/x", "javascript:alert(1)", "file:///etc"])
def test_an_edit_refuses_other_schemes(answer, editor, url):
    with pytest.raises(ValidationError) as refused:
        workflow.edit(answer, user=editor, sources=[a_source(url=url)])
    assert refused.value.message_dict == {"url": ["Only http and https links are accepted."]}
    assert not answer.sources.exists()


def test_a_revert_to_a_version_with_a_raw_link_stores_it_normalised(answer, editor):
    """A version saved before links were normalised brings its link back as a URI."""
    workflow.edit(answer, user=editor, sources=[a_source()])
    Source.objects.filter(answer=answer).update(url='https://example.org/old "one"')
    workflow.edit(answer, user=editor, text=answer.text + " Later.")  # its version keeps it
    old = Version.objects.get_for_object(answer).order_by("-pk").first()
    workflow.edit(answer, user=editor, sources=[a_source(url="https://example.org/new")])
    workflow.revert(answer, user=editor, version_id=old.pk)
    assert list(answer.sources.values_list("url", flat=True)) == [
        "https://example.org/old%20%22one%22"
    ]


def test_the_admin_change_form_stores_the_normalised_link(client, answer, people):
    put_in_state(answer, Status.DRAFT, people)
    client.force_login(people["editor"])
    admin_edit(client, answer, new_sources=[a_source(url='https://example.org/a b"c')])
    assert list(answer.sources.order_by("-id").values_list("url", flat=True))[0] == (
        "https://example.org/a%20b%22c"
    )


def test_the_admin_change_form_shows_a_scheme_error_on_the_link(client, answer, people):
    put_in_state(answer, Status.DRAFT, people)
    client.force_login(people["editor"])
    before = snapshot(answer)
    response = client.post(
        change_url(answer),
        change_form_data(answer, new_sources=[a_source(url="ftp://example.org/x")]),
    )
    assert response.status_code == 200  # the form again, the error on the source's link
    (formset,) = response.context["inline_admin_formsets"]
    errors = [form.errors for form in formset.formset.forms if form.errors]
    assert errors == [{"url": ["Only http and https links are accepted."]}]
    assert "Only http and https links are accepted." in response.content.decode()
    assert snapshot(answer) == before


def test_the_merge_page_reads_typed_links_normalised():
    form = TypedSource(
        {"url": "example.org/a b", "title": "T", "accessed_on": "2026-11-01", "excerpt": ""}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["url"] == "https://example.org/a%20b"  # https assumed
    refused = TypedSource(
        {"url": "ftp://example.org/", "title": "T", "accessed_on": "2026-11-01", "excerpt": ""}
    )
    assert refused.errors == {"url": ["Only http and https links are accepted."]}


def test_exports_write_links_pinned_before_normalising_as_uris():
    """Approvals are append-only: a link pinned raw is written as entry now stores it."""
    raw = 'https://example.org/a "b"'
    row = (
        1, "doc.txt", "Subject", 1, "Q?", "A.",
        [{"url": raw, "title": "T", "publisher": "P", "accessed": "2026-01-02"}],
        "reviewer", "2026-01-02 03:04:05", 2, None, "", "", "[]",
        '[{"text": "X", "source_url": "' + raw.replace('"', '\\"') + '", "excerpt": "e"}]',
    )  # fmt: skip
    record = record_of(row)
    assert record["sources"][0]["url"] == "https://example.org/a%20%22b%22"
    assert record["claims"][0]["source_url"] == "https://example.org/a%20%22b%22"
