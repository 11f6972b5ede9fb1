"""An admin upload becomes a job a worker imports, file by file, while the page follows it."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from editorial.models import Answer, Document, Job, JobState
from tests.conftest import SEED_FILES, run_worker

pytestmark = pytest.mark.django_db
URL = "/admin/editorial/document/import/"


def upload(client, *files, capture):
    with capture(execute=True):
        response = client.post(URL, {"files": list(files)})
    return response


def seed(n: int = 0) -> SimpleUploadedFile:
    return SimpleUploadedFile(SEED_FILES[n].name, SEED_FILES[n].read_bytes())


def test_upload_answers_with_its_job_and_a_worker_imports_it(
    client, managing, db_tasks, django_capture_on_commit_callbacks
):
    client.force_login(managing)
    broken = SimpleUploadedFile("broken.txt", b"\xff\xfe not text")

    response = upload(client, seed(0), broken, seed(1), capture=django_capture_on_commit_callbacks)

    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:editorial_job_change", args=[job.pk])
    # Stored, queued, not imported: the request did no importing.
    assert (job.state, job.files_total, job.created_by) == (JobState.QUEUED, 3, managing)
    assert [item["name"] for item in job.inputs] == [SEED_FILES[0].name, "broken.txt",
                                                      SEED_FILES[1].name]  # fmt: skip
    assert all(default_storage.exists(item["stored_as"]) for item in job.inputs)
    assert not Document.objects.exists()
    assert DBTaskResult.objects.get().status == "READY"
    page = client.get(response["Location"])
    assert b"Waiting for a worker" in page.content
    assert client.get(reverse("admin:editorial_job_status", args=[job.pk])).json()["state"] == (
        "queued"
    )

    db_tasks()

    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert (job.files_done, job.files_total) == (3, 3)
    assert job.answers_done == Answer.objects.count() == job.answers_total
    assert [r["error"] for r in job.results] == [
        "",
        "broken.txt:1: not UTF-8 text (byte 0xff cannot be decoded)",
        "",
    ]
    assert sorted(Document.objects.values_list("name", flat=True)) == sorted(
        f.name for f in SEED_FILES[:2]
    )
    assert not any(default_storage.exists(item["stored_as"]) for item in job.inputs)
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert job.started_at <= job.finished_at
    status = client.get(reverse("admin:editorial_job_status", args=[job.pk])).json()
    assert status["finished"] is True
    assert status["files_done"] == 3
    page = client.get(reverse("admin:editorial_job_change", args=[job.pk]))
    assert b"broken.txt:1: not UTF-8 text" in page.content
    assert b"Finished" in page.content


def test_progress_is_committed_after_each_file(
    client, managing, db_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    """What the status URL says between files, read as the page's script reads it."""
    client.force_login(managing)
    upload(client, seed(0), seed(1), capture=django_capture_on_commit_callbacks)
    job = Job.objects.get()
    seen = []
    from editorial.tasks import jobs

    real = jobs.cancel_requested

    def look(current):
        seen.append(client.get(reverse("admin:editorial_job_status", args=[job.pk])).json())
        return real(current)

    monkeypatch.setattr(jobs, "cancel_requested", look)
    db_tasks()

    assert [(s["state"], s["files_done"]) for s in seen] == [("running", 0), ("running", 1)]
    assert (
        seen[1]["answers_done"] == Answer.objects.filter(document__name=SEED_FILES[0].name).count()
    )
    assert seen[1]["seconds"] is not None


def test_a_cancel_stops_the_import_between_files(
    client, managing, db_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    client.force_login(managing)
    upload(client, seed(0), seed(1), capture=django_capture_on_commit_callbacks)
    job = Job.objects.get()
    from editorial.importers import batch

    real = batch.import_prepared
    cancel_url = reverse("admin:editorial_job_cancel", args=[job.pk])

    def import_then_cancel(prepared, *, user, report=None):
        results = real(prepared, user=user, report=report)
        # Pressed while the first file was being written.
        client.post(cancel_url)
        return results

    monkeypatch.setattr("editorial.tasks.imports.import_prepared", import_then_cancel)
    db_tasks()

    job.refresh_from_db()
    assert job.state == JobState.CANCELLED
    assert job.files_done == 1
    assert "Cancel asked by managing" in job.reason
    assert "after 1 of 2 files" in job.reason
    assert list(Document.objects.values_list("name", flat=True)) == [SEED_FILES[0].name]
    assert not any(default_storage.exists(item["stored_as"]) for item in job.inputs)


def test_a_waiting_job_cancelled_never_runs(
    client, managing, db_tasks, django_capture_on_commit_callbacks
):
    client.force_login(managing)
    upload(client, seed(0), capture=django_capture_on_commit_callbacks)
    job = Job.objects.get()

    client.post(reverse("admin:editorial_job_cancel", args=[job.pk]))
    run_worker()

    job.refresh_from_db()
    assert job.state == JobState.CANCELLED
    assert "before a worker started it" in job.reason
    assert not Document.objects.exists()


@pytest.mark.parametrize("role", ["editor", "reviewer", "outsider"])
def test_others_cannot_see_or_cancel_an_import_job(
    role, request, client, managing, db_tasks, django_capture_on_commit_callbacks
):
    client.force_login(managing)
    upload(client, seed(0), capture=django_capture_on_commit_callbacks)
    job = Job.objects.get()
    client.force_login(request.getfixturevalue(role))

    for name in ("change", "status", "download"):
        response = client.get(reverse(f"admin:editorial_job_{name}", args=[job.pk]))
        assert response.status_code == 403
    assert client.post(reverse("admin:editorial_job_cancel", args=[job.pk])).status_code == 403
    job.refresh_from_db()
    assert (job.state, job.cancel_requested) == (JobState.QUEUED, False)


def test_answers_done_move_while_a_file_is_written(
    client, managing, db_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    """Inside a file's transaction the job's row cannot change for others to see; the live
    note in the cache can, and the status URL reads it (a large file takes a minute)."""
    from editorial.importers import bulk
    from editorial.tasks import jobs

    monkeypatch.setattr(bulk, "REPORT_EVERY", 5)
    monkeypatch.setattr(jobs, "LIVE_EVERY", 0)
    client.force_login(managing)
    upload(client, seed(0), seed(1), capture=django_capture_on_commit_callbacks)
    job = Job.objects.get()
    status_url = reverse("admin:editorial_job_status", args=[job.pk])
    seen = []
    real = jobs.LiveProgress.__call__

    def look(self, answers, what):
        real(self, answers, what)
        seen.append(client.get(status_url).json())

    monkeypatch.setattr(jobs.LiveProgress, "__call__", look)
    db_tasks()

    first = Answer.objects.filter(document__name=SEED_FILES[0].name).count()
    second = Answer.objects.filter(document__name=SEED_FILES[1].name).count()
    done = [(s["files_done"], s["answers_done"]) for s in seen]
    # Every few answers of each file, before the file commits; the second file counted on
    # from the first's.
    assert done[: len(done) // 2] == [(0, n) for n in (0, 0, 5, 10, 15, first)]
    assert done[len(done) // 2 :] == [(1, first + n) for n in (0, 0, 5, 10, 15, second)]
    assert (
        seen[1]["doing"] == f"Writing {SEED_FILES[0].name}: recording each answer's first version"
    )
    assert seen[-1]["doing"] == f"Writing {SEED_FILES[1].name}: storing the versions and events"
    # Once the job ends, its row speaks: the notes are gone.
    final = client.get(status_url).json()
    assert (final["state"], final["answers_done"]) == ("succeeded", first + second)
