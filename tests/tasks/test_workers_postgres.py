"""Workers as production runs them (`manage.py db_worker` processes) on PostgreSQL: several
claim tasks without double work (SKIP LOCKED), and a worker killed mid-import leaves whole
files only and a job that says why it failed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from bench.big_upload import generate
from editorial.models import Answer, Document, Job, JobState
from editorial.tasks import fail_if_lost
from tests.tasks.probe import record_run

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="workers share PostgreSQL"),
    # serialized_rollback: the groups and their permissions (a migration's) outlive the flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def start_worker(settings, name: str, *extra: str) -> subprocess.Popen:
    """`manage.py db_worker` against the test database, as on another machine."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "ENV_FILE": os.devnull,
        "DATABASE_URL": url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    env.pop("TASKS_BACKEND", None)
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay",
         "--interval", "0.1", "--worker-id", name, *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip


def test_three_workers_run_each_of_thirty_tasks_exactly_once(settings, db_tasks, tmp_path):
    runs = tmp_path / "runs.txt"
    for number in range(30):
        record_run.enqueue(number=number, path=str(runs))

    workers = [start_worker(settings, f"worker-{n}", "--batch") for n in range(3)]
    for worker in workers:
        assert worker.wait(timeout=180) == 0, worker.stderr.read().decode()

    lines = [line.split() for line in runs.read_text().splitlines()]
    numbers = Counter(int(number) for number, _ in lines)
    assert numbers == Counter(range(30))  # each once, none twice, none missed
    results = list(DBTaskResult.objects.all())
    assert len(results) == 30
    assert all(result.status == "SUCCESSFUL" for result in results)
    assert all(len(result.worker_ids) == 1 for result in results)
    by_worker = Counter(result.worker_ids[0] for result in results)
    assert len({pid for _, pid in lines}) == len(by_worker) >= 2, by_worker  # they shared
    print(f"\nexactly-once: 30 tasks, {dict(sorted(by_worker.items()))}")


def test_a_worker_killed_mid_import_leaves_whole_files_and_a_failed_job_saying_why(
    settings, db_tasks, tmp_path, client, managing
):
    files = generate(tmp_path / "upload", count=3, megabytes=1.0)
    client.force_login(managing)
    response = client.post(
        reverse("admin:editorial_document_import"),
        {"files": [SimpleUploadedFile(path.name, path.read_bytes()) for path in files]},
    )
    job = Job.objects.get()
    assert response.status_code == 302

    worker = start_worker(settings, "doomed")
    try:
        deadline = time.monotonic() + 300
        while True:  # the second file is being written
            job.refresh_from_db()
            if job.files_done == 1 and job.doing.startswith("Writing"):
                break
            assert job.files_done < 2 and not job.finished, job.doing
            assert worker.poll() is None, worker.stderr.read().decode()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()

    # The server lets go of the dead worker's lock when it notices its connection gone.
    deadline = time.monotonic() + 60
    while (job := fail_if_lost(Job.objects.get(pk=job.pk))).state == JobState.RUNNING:
        assert time.monotonic() < deadline, "the job still looks running"
        time.sleep(0.2)

    assert job.state == JobState.FAILED
    assert "stopped without finishing" in job.reason and "after 1 of 3 files" in job.reason
    assert job.finished_at is not None
    # The first file whole, the second not at all (its transaction rolled back), the third
    # never started.
    first = Document.objects.get()
    assert first.name == files[0].name
    assert Answer.objects.filter(document=first).count() == job.answers_done > 10_000
    assert Answer.objects.count() == job.answers_done
    assert [result["path"] for result in job.results] == [files[0].name]
    # The task framework's own row, left running by the dead worker, is failed with it.
    task = DBTaskResult.objects.get()
    assert (task.status, str(task.id)) == ("FAILED", job.task_id)
    assert task.exception_class_path == "editorial.tasks.jobs.WorkerLost"
    assert "after 1 of 3 files" in task.traceback and task.finished_at is not None
