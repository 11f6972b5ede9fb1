"""Issue 23's export figure: an admin export of N approved answers answers at once with its
job, and the worker's file is the one `manage.py export_answers` writes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/editorial_export_job \\
        .venv/bin/python bench/export_job_bench.py 200000 [--format jsonl]

Grows the export benchmark's throwaway database (bench/export_bench.py: approved answers
with their pinned approvals; use a database of its own) to N answers. Then, as a managing
editor through Django's test client with DEBUG off, asks the answer list's export link and
times the answer (the redirect to the job's page); runs the waiting task as
`manage.py db_worker` would and times it; and compares the job's sha256 with the command's.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import admin_list_bench  # noqa: E402  (sets up Django on the benchmark database)
import export_bench  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django_tasks_db.management.commands.db_worker import Worker  # noqa: E402

from editorial.models import Answer, Job, Status  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("answers", nargs="?", type=int, default=200_000)
    parser.add_argument("--format", default="jsonl")
    args = parser.parse_args()

    admin_list_bench.create_database()
    export_bench.call_command("migrate", verbosity=0)
    reviewer, _ = get_user_model().objects.get_or_create(username="bench-reviewer")
    export_bench.grow_to(args.answers, reviewer, export_bench.seed_texts())
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SECURE_SSL_REDIRECT = False
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="editorial-export-job-")
    managing, _ = get_user_model().objects.get_or_create(
        username="bench-managing", defaults={"is_staff": True}
    )
    managing.groups.set(Group.objects.filter(name="Managing editors"))
    approved = Answer.objects.filter(status=Status.APPROVED).count()
    client = Client()
    client.force_login(managing)

    started = time.perf_counter()
    # The confirmation page posts to its own link (a GET of it only asks).
    response = client.post(f"/admin/editorial/answer/export/?format={args.format}")
    answered = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    job = Job.objects.latest("pk")

    started = time.perf_counter()
    Worker(
        queue_names=["default"], interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id="bench", excluded_queue_names=[],
    ).run()  # fmt: skip
    worked = time.perf_counter() - started
    job.refresh_from_db()

    with tempfile.NamedTemporaryFile(suffix=f".{args.format}") as out:
        started = time.perf_counter()
        call_command("export_answers", format=args.format, output=out.name, verbosity=0)
        commanded = time.perf_counter() - started
        command_sha256 = hashlib.sha256(Path(out.name).read_bytes()).hexdigest()

    load = os.getloadavg()
    print(f"{approved:,} approved answers, {args.format}, load {load[0]:.2f} {load[1]:.2f}")
    print(
        f"  admin export answered in {answered * 1000:.0f} ms (target ≤ 1,000 ms) with job {job.pk}"
    )
    print(f"  the worker wrote it in {worked:.1f} s: {job.state}, {job.output_count:,} answers")
    print(f"  export_answers took {commanded:.1f} s")
    same = job.output_sha256 == command_sha256
    print(f"  sha256 job {job.output_sha256[:16]}…, command {command_sha256[:16]}…: "
          f"{'the same' if same else 'DIFFERENT'}")  # fmt: skip
    met = answered <= 1.0 and same and job.state == "succeeded"
    print("target: met" if met else "target: NOT MET")


if __name__ == "__main__":
    main()
