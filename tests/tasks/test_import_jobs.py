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


def numbered(name: str, answers: int) -> SimpleUploadedFile:
    """A file of `answers` numbered questions, each answer its own text."""
    text = "".join(
        f"{n}. Question {n} of {name}?\nAnswer {n} of {name}, as written in 2004.\n\n"
        for n in range(1, answers + 1)
    )
    return SimpleUploadedFile(name, text.encode())


def test_progress_moves_while_one_large_file_is_read_and_written(
    client, managing, db_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    """Inside one file the job's row cannot change for others to see (the file commits
    whole); the live note in the cache can, and the status URL reads it. The importer
    reports every REPORT_EVERY answers while it parses, checks and writes; here every
    report is kept (LIVE_EVERY 0) and the page's status read as it is written."""
    from editorial.importers import progress
    from editorial.importers.bulk import ANSWERS_PER_STEP
    from editorial.tasks import jobs

    answers = 2 * ANSWERS_PER_STEP + 700
    monkeypatch.setattr(jobs, "LIVE_EVERY", 0)
    client.force_login(managing)
    upload(client, numbered("large.txt", answers), capture=django_capture_on_commit_callbacks)
    job = Job.objects.get()
    status_url = reverse("admin:editorial_job_status", args=[job.pk])
    seen = []
    real = jobs.LiveProgress.__call__

    def look(self, answers, what):
        real(self, answers, what)
        seen.append(client.get(status_url).json())

    monkeypatch.setattr(jobs.LiveProgress, "__call__", look)
    db_tasks()

    step = progress.REPORT_EVERY
    shown = [(s["files_done"], s["answers_done"], s["answers_total"], s["doing"]) for s in seen]
    reading = [row for row in shown if row[3].startswith("Reading large.txt: ")]
    writing = [row for row in shown if row[3].startswith("Writing large.txt: ")]
    assert len(reading) + len(writing) == len(shown)
    # Parsing: the lines first, then the answers found so far ("found so far" on the
    # page), every `step`.
    assert [doing for *_, doing in reading[:2]] == [
        f"Reading large.txt: {3 * answers + 1:,} lines to read",
        f"Reading large.txt: {answers:,} numbered lines found",
    ]
    found = [(total, doing) for *_, total, doing in reading if doing.endswith(" answers found")]
    assert [total for total, _ in found] == [*range(0, answers, step), answers]
    assert found[-1][1] == f"Reading large.txt: {answers:,} answers found"
    # Checking: every `step` answers, the total found standing.
    checked = [doing for _, _, total, doing in reading if doing.endswith(" checked")]
    assert checked == [
        f"Reading large.txt: {n:,} of {answers:,} answers checked" for n in range(0, answers, step)
    ]
    assert {(files, done) for files, done, *_ in reading} == {(0, 0)}
    # Writing: the answers written so far, a step of ANSWERS_PER_STEP at a time, before
    # the file commits.
    done = [done for files, done, total, _ in writing if (files, total) == (0, answers)]
    assert len(done) == len(writing)
    assert sorted(set(done)) == [*range(0, answers, ANSWERS_PER_STEP), answers]
    assert done == sorted(done)
    assert f"Writing large.txt: {answers:,} of {answers:,} answers written" in [
        doing for *_, doing in writing
    ]
    # Then the history is sealed before the commit, saying so: the revision, then its
    # versions and events (an answer's each), then the link.
    sealing = [doing for *_, doing in writing if "sealing the history" in doing]
    assert sealing[-2:] == [
        f"Writing large.txt: sealing the history: linking {2 * answers + 1:,} rows into the "
        "history",
        "Writing large.txt: sealing the history: writing 1 links of the history",
    ]
    assert len(sealing) >= 4
    assert writing[-1][3] == "Writing large.txt: committing"
    # Once the job ends, its row speaks: the notes are gone.
    final = client.get(status_url).json()
    assert (final["state"], final["answers_done"]) == ("succeeded", answers)
    assert Answer.objects.filter(document__name="large.txt").count() == answers


def test_the_live_note_is_written_once_per_interval_of_its_clock(
    client, managing, db_tasks, django_capture_on_commit_callbacks
):
    """The importer reports by answers counted; the job's note is kept by its clock (a
    clock given here), so a fast machine does not write the cache a thousand times a second
    and a slow one still says something every LIVE_EVERY seconds."""
    from editorial.tasks import jobs

    client.force_login(managing)
    upload(client, seed(0), capture=django_capture_on_commit_callbacks)
    job = jobs.claim(Job.objects.get().pk)
    job.answers_done, job.answers_total = 100, 250
    now = [0.0]
    live = jobs.LiveProgress(job, doing="Writing x.txt", clock=lambda: now[0])
    status_url = reverse("admin:editorial_job_status", args=[job.pk])
    shown = []
    for at, answers in ((0.0, 0), (0.1, 10), (0.2, 20), (0.5, 30), (0.6, 40), (1.2, 50)):
        now[0] = at
        live(answers, f"{answers} of 150 answers written")
        shown.append(client.get(status_url).json()["answers_done"])
    # A new step is said at once, however soon after the last note.
    now[0] = 1.3
    live(150, "committing")
    shown.append(client.get(status_url).json()["answers_done"])

    assert live.notes == 4
    assert shown == [100, 100, 100, 130, 130, 150, 250]
    reading = jobs.LiveProgress(job, doing="Reading y.txt", found=True, clock=lambda: now[0])
    reading(70, "70 answers found")
    status = client.get(status_url).json()
    assert (status["answers_done"], status["answers_total"]) == (100, 320)
    assert status["doing"] == "Reading y.txt: 70 answers found"
    jobs.finish(job, JobState.SUCCEEDED)
