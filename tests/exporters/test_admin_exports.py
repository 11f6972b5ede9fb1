"""The admin's exports: links with the list's filters, a job a worker writes the file for,
its download from the job page, permission, read-only records."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from editorial import workflow
from editorial.exporters import FORMATS
from editorial.models import Document, ExportRecord, Job, JobState
from tests.conftest import run_worker
from tests.exporters.conftest import (
    MASSACHUSETTS,
    MISSISSIPPI,
    approved_in_steps,
    export,
    parse_csv,
    parse_json,
    parse_jsonl,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("db_tasks")]


def export_url(**params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("admin:editorial_answer_export") + (f"?{query}" if query else "")


def queued(client, url: str, data: dict | None = None):
    """The export asked for (POST the list's button, or the documents' action): its job
    queued."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, data or {})
    assert response.status_code == 302, response
    job = Job.objects.order_by("pk").last()
    assert response["Location"] == reverse("admin:editorial_job_change", args=[job.pk])
    return job


def downloaded(client, job: Job):
    """A worker writes the file; the job page links it; the link downloads it."""
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.reason
    page = client.get(reverse("admin:editorial_job_change", args=[job.pk]))
    link = reverse("admin:editorial_job_download", args=[job.pk])
    assert f'href="{link}"'.encode() in page.content
    assert job.output_sha256.encode() in page.content
    return client.get(link)


def download(client, url: str, data: dict | None = None):
    return downloaded(client, queued(client, url, data))


@pytest.mark.parametrize("person", ["editor", "reviewer", "editor_reviewer", "outsider"])
def test_admin_export_is_refused_without_the_permission(client, approved, request, person):
    client.force_login(request.getfixturevalue(person))
    assert client.get(export_url(format="jsonl")).status_code == 403
    assert client.post(export_url(format="jsonl")).status_code == 403
    assert not Job.objects.exists()
    changelist = client.get(reverse("admin:editorial_answer_changelist"))
    if changelist.status_code == 200:
        assert changelist.context["export_links"] == []
        assert b"export-link" not in changelist.content
    assert not ExportRecord.objects.exists()


def test_admin_changelist_offers_export_links_with_the_current_filters(client, approved, managing):
    client.force_login(managing)
    document = Document.objects.get(name=MISSISSIPPI)
    response = client.get(
        reverse("admin:editorial_answer_changelist"),
        {"document__id__exact": document.pk, "q": "ICE", "p": "1", "o": "2"},
    )
    links = response.context["export_links"]
    assert [link["format"] for link in links] == list(FORMATS)
    assert links[1]["url"] == export_url(document__id__exact=document.pk, q="ICE", format="jsonl")
    assert response.content.count(b'class="export-link"') == len(FORMATS)


@pytest.mark.parametrize("format_name", list(FORMATS))
def test_admin_download_streams_the_export_and_records_it(client, approved, managing, format_name):
    client.force_login(managing)
    job = queued(client, export_url(format=format_name))
    assert not ExportRecord.objects.exists()  # nothing written yet
    response = downloaded(client, job)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == FORMATS[format_name].content_type
    filename = f"approved-answers-{timezone.localdate().isoformat()}"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{filename}{FORMATS[format_name].suffix}"'
    )
    body = b"".join(response.streaming_content)
    assert body == export(format_name)
    record = ExportRecord.objects.filter(channel="admin").get()
    assert record.created_by == managing
    assert record.answer_count == 5
    assert record.sha256 == hashlib.sha256(body).hexdigest() == job.output_sha256
    assert record.filters == {"changelist": {}}


def test_admin_download_exports_what_the_list_shows(client, approved, managing, editor):
    client.force_login(managing)
    document = Document.objects.get(name=MASSACHUSETTS)
    response = download(client, export_url(format="json", document__id__exact=document.pk))
    body = b"".join(response.streaming_content)
    assert {r["document"] for r in parse_json(body)} == {MASSACHUSETTS}
    record = ExportRecord.objects.get()
    assert record.answer_count == 3
    assert record.filters == {"changelist": {"document__id__exact": str(document.pk)}}

    # Filtered to drafts: the answer edited after approval is listed, and exported as approved.
    workflow.edit(approved["ma2"], user=editor, text="Working draft.")
    response = download(client, export_url(format="jsonl", status__exact="draft"))
    records = parse_jsonl(b"".join(response.streaming_content))
    assert [(r["id"], r["answer"]) for r in records] == [
        (approved["ma2"].pk, approved["ma2"].approved.text)
    ]


def test_admin_download_refuses_bad_links_and_ignores_paging(client, approved, managing):
    client.force_login(managing)
    for method in (client.get, client.post):
        assert method(export_url(format="xml")).status_code == 400
        assert method(export_url()).status_code == 400
        assert method(export_url(format="json", nonsense__field="1")).status_code == 400
    assert not ExportRecord.objects.exists()
    assert not Job.objects.exists()
    # Paging and ordering of the list do not change what is exported.
    paged = download(client, export_url(format="json", p="99", o="-3"))
    assert paged.status_code == 200
    assert b"".join(paged.streaming_content) == export("json")
    assert ExportRecord.objects.filter(channel="admin").get().filters == {"changelist": {}}


def test_admin_download_queries_do_not_grow_with_the_answers(
    client, seeds, editor, reviewer, managing
):
    client.force_login(managing)
    counts = []
    for size in approved_in_steps((3, 30), editor, reviewer):
        job = queued(client, export_url(format="jsonl"))
        with CaptureQueriesContext(connection) as queries:
            run_worker()  # the export's queries are the worker's now
        response = downloaded(client, job)
        body = b"".join(response.streaming_content)
        assert len(parse_jsonl(body)) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_exporting_selected_documents_asks_for_a_format_then_streams(client, approved, managing):
    client.force_login(managing)
    url = reverse("admin:editorial_document_changelist")
    document = Document.objects.get(name=MISSISSIPPI)
    selection = {"action": "export_selected_documents", "_selected_action": [document.pk]}

    listing = client.get(url)
    assert "export_selected_documents" in dict(
        listing.context["action_form"].fields["action"].choices
    )
    choose = client.post(url, {**selection, "index": "0"})
    assert choose.status_code == 200
    assert [f.name for f in choose.context["formats"]] == list(FORMATS)
    assert MISSISSIPPI.encode() in choose.content

    response = download(client, url, {**selection, "format": "csv"})
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "approved-answers-004_4ec6ae860d37c5b3-" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert {row["document"] for row in parse_csv(body)} == {MISSISSIPPI}
    record = ExportRecord.objects.get()
    assert (record.channel, record.answer_count, record.filters) == (
        "admin",
        2,
        {"documents": [MISSISSIPPI]},
    )
    assert record.sha256 == hashlib.sha256(body).hexdigest()


@pytest.mark.parametrize("person", ["editor", "reviewer"])
def test_exporting_selected_documents_is_not_offered_without_the_permission(
    client, approved, request, person
):
    client.force_login(request.getfixturevalue(person))
    url = reverse("admin:editorial_document_changelist")
    listing = client.get(url)
    assert listing.status_code == 200
    assert "export_selected_documents" not in listing.content.decode()
    document = Document.objects.get(name=MISSISSIPPI)
    response = client.post(
        url,
        {"action": "export_selected_documents", "_selected_action": [document.pk], "format": "csv"},
    )
    assert not getattr(response, "streaming", False)
    assert not ExportRecord.objects.exists()
    assert not Job.objects.exists()


def test_export_records_are_read_only_in_the_admin(client, approved, managing):
    export("json")
    record = ExportRecord.objects.get()
    client.force_login(managing)
    assert client.get(reverse("admin:editorial_exportrecord_changelist")).status_code == 200
    change = client.get(reverse("admin:editorial_exportrecord_change", args=[record.pk]))
    assert change.status_code == 200
    assert record.sha256.encode() in change.content
    assert b'name="_save"' not in change.content


@pytest.mark.parametrize("format_name", ["jsonl", "faq"])
def test_an_export_job_writes_the_bytes_the_command_writes(
    client, approved, managing, tmp_path, format_name
):
    """The admin's file and `manage.py export_answers` for the same answers: one sha256."""
    client.force_login(managing)
    job = queued(client, export_url(format=format_name))
    body = b"".join(downloaded(client, job).streaming_content)
    job.refresh_from_db()

    out, err = tmp_path / f"command.{format_name}", io.StringIO()
    call_command("export_answers", "--format", format_name, "--output", str(out), stderr=err)

    command_hash = re.search(r"sha256 ([0-9a-f]{64})", err.getvalue()).group(1)
    assert job.output_sha256 == command_hash == hashlib.sha256(out.read_bytes()).hexdigest()
    assert hashlib.sha256(body).hexdigest() == command_hash
    assert job.output_count == 5


def test_following_an_export_link_asks_and_starts_nothing(client, approved, managing):
    """A GET (a bookmark, a browser's prefetch) shows what would be exported with a button
    that POSTs; only the POST queues a job."""
    client.force_login(managing)
    document = Document.objects.get(name=MASSACHUSETTS)
    url = export_url(format="csv", document__id__exact=document.pk)
    page = client.get(url)
    assert page.status_code == 200
    assert not Job.objects.exists()
    html = page.content.decode()
    assert '<form method="post">' in html and 'value="Export CSV"' in html
    listing = reverse("admin:editorial_answer_changelist")
    assert f'href="{listing}?document__id__exact={document.pk}"' in html
    # The list's buttons post to the same address, its filters carried in it.
    changelist = client.get(listing, {"document__id__exact": document.pk})
    (csv,) = [link for link in changelist.context["export_links"] if link["format"] == "csv"]
    action = csv["url"].replace("&", "&amp;")
    assert f'<form method="post" action="{action}" class="export-form">' in changelist.text
    job = queued(client, url)
    assert job.inputs["changelist"] == {"document__id__exact": str(document.pk)}
