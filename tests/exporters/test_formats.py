"""Every format: well-formed with nothing approved, and the same bytes for the same data."""

from __future__ import annotations

import hashlib

import pytest

from editorial.exporters import FORMATS
from editorial.models import ExportRecord
from tests.exporters.conftest import export

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("format_name", list(FORMATS))
def test_an_export_with_nothing_approved_is_still_well_formed(seeds, format_name):
    data = export(format_name)
    assert {
        "json": b"[]\n",
        "jsonl": b"",
        "csv": b"id,document,subject,position,question,answer,sources,claims,approved_by,"
        b"approved_at,version,review_by,digitalSourceType,editors,correction\r\n",
        "md": b"",
        "faq": b"[]\n",
        "pairs": b"",
        "prov": b'{"@context": {"editorial": "urn:editorial:vocab:", '
        b'"prov": "http://www.w3.org/ns/prov#", "schema": "https://schema.org/", '
        b'"xsd": "http://www.w3.org/2001/XMLSchema#"}, "@graph": []}\n',
    }[format_name] == data


@pytest.mark.parametrize("format_name", list(FORMATS))
def test_two_exports_of_the_same_data_are_byte_identical(approved, format_name):
    first = export(format_name)
    second = export(format_name)
    assert first == second
    assert first  # not trivially equal
    records = ExportRecord.objects.filter(format=format_name)
    assert records.count() == 2
    assert {r.sha256 for r in records} == {hashlib.sha256(first).hexdigest()}
