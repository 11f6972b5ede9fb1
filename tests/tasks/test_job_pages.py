"""The job page and the home page's recent jobs: what people see of work off the request."""

from __future__ import annotations

import re
import socket
import subprocess

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from editorial.models import Job, JobKind, JobState
from editorial.tasks.jobs import RECENT_JOBS

pytestmark = pytest.mark.django_db


def test_the_managing_editors_home_lists_the_latest_jobs_only(client, managing, editor):
    for _ in range(RECENT_JOBS + 3):
        Job.objects.create(kind=JobKind.IMPORT, created_by=managing, files_total=2)
    client.force_login(managing)

    response = client.get("/admin/")

    jobs = response.context["recent_jobs"]
    assert [job.pk for job in jobs] == list(
        Job.objects.order_by("-pk").values_list("pk", flat=True)[:RECENT_JOBS]
    )
    links = re.findall(r'href="/admin/editorial/job/(\d+)/change/"', response.content.decode())
    assert [int(pk) for pk in links] == [job.pk for job in jobs]
    client.force_login(editor)
    assert client.get("/admin/").context["recent_jobs"] is None


def test_the_job_page_follows_its_job_with_a_script_not_inline(client, managing):
    job = Job.objects.create(kind=JobKind.IMPORT, created_by=managing, files_total=2)
    client.force_login(managing)

    html = client.get(reverse("admin:editorial_job_change", args=[job.pk])).content.decode()

    status_url = reverse("admin:editorial_job_status", args=[job.pk])
    assert f'data-job-status-url="{status_url}"' in html
    assert 'data-job-finished="false"' in html
    assert '<script src="/static/editorial/job.js" defer></script>' in html
    assert "<script>" not in html and " style=" not in html
    assert 'value="Cancel this job"' in html


def test_the_job_page_writes_large_counts_grouped_as_the_progress_line_does(client, managing):
    job = Job.objects.create(
        kind=JobKind.IMPORT, created_by=managing, files_total=3, answers_done=14_000,
        answers_total=119_114,
    )  # fmt: skip
    client.force_login(managing)

    html = client.get(reverse("admin:editorial_job_change", args=[job.pk])).content.decode()

    # The page's script keeps the grouping as it follows the job (data-job-number).
    assert '<span data-job-field="answers_done" data-job-number>14,000</span>' in html
    assert '<span data-job-field="answers_total" data-job-number>119,114</span>' in html


def test_the_home_pages_recent_jobs_write_large_counts_grouped(client, managing):
    Job.objects.create(
        kind=JobKind.IMPORT, created_by=managing, files_total=1, files_done=1,
        answers_done=119_114, answers_total=119_114,
    )  # fmt: skip
    client.force_login(managing)

    html = client.get("/admin/").content.decode()

    assert "1 of 1 file, 119,114 answers" in html


def test_a_running_job_whose_worker_process_is_gone_is_failed_with_the_reason(client, managing):
    """SQLite's case (one machine): the worker's process id is asked."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    task = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="editorial.tasks.imports.run_import",
        backend_name="default",
        status="RUNNING",
    )
    job = Job.objects.create(
        task_id=str(task.id),
        kind=JobKind.IMPORT,
        created_by=managing,
        state=JobState.RUNNING,
        started_at=timezone.now(),
        worker=f"{socket.gethostname()}:{gone.pid}",
        files_total=3,
        files_done=1,
    )
    client.force_login(managing)

    status = client.get(reverse("admin:editorial_job_status", args=[job.pk])).json()

    assert (status["state"], status["finished"]) == ("failed", True)
    assert f"The worker running it ({job.worker}) stopped without finishing" in status["reason"]
    assert "after 1 of 3 files" in status["reason"]
    # The framework's row, which the dead worker left running, says the same.
    task.refresh_from_db()
    assert (task.status, task.exception_class_path) == (
        "FAILED",
        "editorial.tasks.jobs.WorkerLost",
    )
    page = client.get(reverse("admin:editorial_job_change", args=[job.pk]))
    assert b"Cancel this job" not in page.content


@pytest.mark.skipif(
    connection.vendor == "postgresql",
    reason="PostgreSQL asks the worker's lock instead (test_workers_postgres)",
)
def test_a_running_job_whose_worker_lives_stays_running(client, managing):
    alive = subprocess.Popen(["sleep", "30"])
    try:
        job = Job.objects.create(
            kind=JobKind.IMPORT,
            created_by=managing,
            state=JobState.RUNNING,
            started_at=timezone.now(),
            worker=f"{socket.gethostname()}:{alive.pid}",
        )
        client.force_login(managing)
        status = client.get(reverse("admin:editorial_job_status", args=[job.pk])).json()
    finally:
        alive.kill()
        alive.wait()
    assert status["state"] == "running"


@pytest.mark.parametrize("kind", [JobKind.IMPORT, JobKind.EXPORT])
def test_a_waiting_job_says_what_it_waits_for_and_what_cancel_does(client, managing, kind):
    job = Job.objects.create(kind=kind, created_by=managing, files_total=1)
    client.force_login(managing)
    status = client.get(reverse("admin:editorial_job_status", args=[job.pk])).json()
    assert status["doing"] == "Waiting for a worker to take it"
    html = client.get(reverse("admin:editorial_job_change", args=[job.pk])).content.decode()
    assert '<dd data-job-field="doing">Waiting for a worker to take it</dd>' in html
    import_help = "An import stops between files"
    assert (import_help in html) == (kind == JobKind.IMPORT)
