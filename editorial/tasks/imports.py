"""An admin import as a job: the uploads stored first, then imported file by file by a worker.

The request only stores the bytes (Django's storage, under their position, never their
name) and writes the job; the task is enqueued once that has committed. The worker imports
each file as `import_answers` does, whole or not at all, committing its progress after
each file and looking for a cancel between files.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

from django.core.files.storage import default_storage
from django.db import transaction
from django_tasks import task

from editorial.importers import (
    FileResult,
    import_prepared,
    prepare_content,
    prepare_or_fail,
    refresh_statistics,
)
from editorial.models import Job, JobKind, JobState
from editorial.tasks import jobs

logger = logging.getLogger(__name__)


def start_import(uploads, *, user) -> Job:
    """Store the uploads, write the job, and queue its task once both are committed."""
    with transaction.atomic():
        job = Job.objects.create(kind=JobKind.IMPORT, created_by=user, files_total=len(uploads))
        stored = []
        for position, upload in enumerate(uploads):
            name = default_storage.save(f"jobs/{job.pk}/upload-{position}", upload)
            stored.append({"name": upload.name, "stored_as": name, "size": upload.size})
        job.inputs = stored
        job.save(update_fields=["inputs"])
        jobs.queue_on_commit(job, run_import)
    return job


@task()
def run_import(job_id: int) -> str:
    """Import the job's files one by one; the job says how far it got and why it stopped."""
    jobs.fail_lost_jobs()
    job = jobs.claim(job_id)
    if job is None:
        return "not waiting"
    try:
        _import_files(job)
    except BaseException as error:
        logger.exception("Import job %s failed", job.pk)
        jobs.finish(
            job,
            JobState.FAILED,
            f"It stopped after {job.files_done} of {job.files_total} files: "
            f"{type(error).__name__}: {error}. The files listed are imported whole, the "
            "others not.",
        )
        raise
    return job.state


def _import_files(job: Job) -> None:
    user = job.created_by
    results: list[dict] = []
    written: list[FileResult] = []
    for position, upload in enumerate(job.inputs):
        if jobs.cancel_requested(job):
            refresh_statistics(written)
            for left in job.inputs[position:]:
                default_storage.delete(left["stored_as"])
            job.refresh_from_db(fields=["reason"])
            jobs.finish(
                job,
                JobState.CANCELLED,
                f"{job.reason} It stopped after {job.files_done} of {job.files_total} files: "
                "those are imported whole, the others not.",
            )
            return
        name = upload["name"]
        jobs.progress(job, doing=f"Reading {name}")
        with default_storage.open(upload["stored_as"], "rb") as stored:
            raw = stored.read()
        path = Path(name)
        reading = jobs.LiveProgress(job, doing=f"Reading {name}", found=True)
        prepared = prepare_or_fail(path, partial(prepare_content, path, raw, report=reading))
        found = 0 if isinstance(prepared, FileResult) else len(prepared.items)
        jobs.progress(
            job,
            doing=f"Writing {name} ({found:,} answers)",
            answers_total=job.answers_total + found,
        )
        live = jobs.LiveProgress(job, doing=f"Writing {name}")
        (result,) = import_prepared([prepared], user=user, report=live)
        written.append(result)
        results.append(_as_json(result))
        jobs.progress(
            job,
            results=results,
            files_done=job.files_done + 1,
            answers_done=job.answers_done + (0 if result.error else found),
        )
        default_storage.delete(upload["stored_as"])
    jobs.progress(job, doing="Refreshing the database's statistics of what was written")
    refresh_statistics(written)  # the planner hears of a large upload, as of a command's
    jobs.finish(job, JobState.SUCCEEDED)


def _as_json(result: FileResult) -> dict:
    return {
        "path": result.path,
        "document_id": result.document.pk if result.document is not None else None,
        **{name: getattr(result, name) for name in COUNTS},
        "error": result.error,
        "warnings": result.warnings,
    }


COUNTS = ("created", "updated", "unchanged", "conflicting")
