"""The export run: recorded with its count and hash only when complete, rows read ahead in order."""

from __future__ import annotations

import hashlib
import io
import threading

import pytest

from editorial.exporters import Export, ExportError, approved_versions, read_ahead
from editorial.models import ApprovedVersion, ExportRecord
from tests.exporters.conftest import MASSACHUSETTS, MISSISSIPPI

pytestmark = pytest.mark.django_db


def test_every_export_is_recorded_with_its_count_and_hash(approved, managing):
    run = Export("csv", user=managing, channel="command", documents=[MISSISSIPPI])
    out = io.BytesIO()
    run.write_to(out)
    record = ExportRecord.objects.get()
    assert record == run.record
    assert record.created_by == managing
    assert record.format == "csv"
    assert record.channel == "command"
    assert record.filters == {"documents": [MISSISSIPPI]}
    assert record.answer_count == 2
    assert record.sha256 == hashlib.sha256(out.getvalue()).hexdigest()


def test_an_export_not_read_to_the_end_is_not_recorded(approved):
    stream = Export("jsonl", channel="admin").stream()
    next(stream)
    stream.close()
    assert not ExportRecord.objects.exists()


def test_unknown_format_or_document_is_refused(seeds):
    with pytest.raises(ExportError, match="Unknown format 'xml'"):
        Export("xml", channel="command")
    with pytest.raises(ExportError, match="No document named 'nope.txt'"):
        Export("json", channel="command", documents=[MASSACHUSETTS, "nope.txt"])


def test_rows_read_ahead_arrive_in_order_and_a_reading_cut_short_stops_the_thread(approved):
    expected = list(approved_versions())
    with read_ahead(approved_versions().iterator(chunk_size=2), chunk=2) as rows:
        assert list(rows) == expected
    with read_ahead(approved_versions().iterator(chunk_size=1), chunk=1) as rows:
        assert next(rows) == expected[0]  # the download is cut short here
    assert not [t for t in threading.enumerate() if t.name == "export-read-ahead"]
    # The connection is free again: the cursor was closed before it was handed back.
    assert ApprovedVersion.objects.count() == len(expected) == 5
