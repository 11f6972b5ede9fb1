"""An admin export as a job: a worker writes the file to Django's storage with its sha256,
and the job page links the download (checked again when it is fetched).

The bytes are those `manage.py export_answers` writes for the same answers (one Export
class writes both), so the hashes agree; the ExportRecord is written when the file is
complete, as for a streamed download.
"""

from __future__ import annotations

import logging
import tempfile

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone
from django_tasks import task

from editorial.exporters import FORMATS, Export
from editorial.models import Answer, Job, JobKind, JobState
from editorial.tasks import jobs

logger = logging.getLogger(__name__)


def start_export(
    *,
    user,
    format_name: str,
    documents: list[str] | None = None,
    changelist: dict | None = None,
    stem: str = "approved-answers",
) -> Job:
    """Write the export job and queue its task on commit.

    `documents`: the approved answers of these documents; `changelist`: the answer list's
    filters as its URL carried them, applied again by the worker as the list applies them.
    """
    if format_name not in FORMATS:
        raise jobs.JobError(f"Unknown export format; choose one of {', '.join(FORMATS)}.")
    filename = f"{stem}-{timezone.localdate().isoformat()}{FORMATS[format_name].suffix}"
    with transaction.atomic():
        job = Job.objects.create(
            kind=JobKind.EXPORT,
            created_by=user,
            files_total=1,
            output_name=filename,
            inputs={"format": format_name, "documents": documents, "changelist": changelist},
        )
        jobs.queue_on_commit(job, run_export)
    return job


@task()
def run_export(job_id: int) -> str:
    jobs.fail_lost_jobs()
    job = jobs.claim(job_id)
    if job is None:
        return "not waiting"
    try:
        export = _export(job)
        jobs.progress(job, doing="Writing the file")
        with tempfile.TemporaryFile() as out:
            export.write_to(out)
            out.seek(0)
            stored = default_storage.save(f"exports/{job.pk}/{job.output_name}", File(out))
    except BaseException as error:
        logger.exception("Export job %s failed", job.pk)
        jobs.finish(job, JobState.FAILED, f"The export failed: {type(error).__name__}: {error}")
        raise
    jobs.finish(
        job,
        JobState.SUCCEEDED,
        output=stored,
        output_sha256=export.sha256,
        output_count=export.count,
        answers_done=export.count,
        answers_total=export.count,
        files_done=1,
    )
    return export.sha256


def _export(job: Job) -> Export:
    inputs = job.inputs
    if inputs.get("changelist") is None:
        return Export(
            inputs["format"], user=job.created_by, channel="admin", documents=inputs["documents"]
        )
    # The answer list's own queryset, as its export link would have streamed it.
    from django.contrib import admin

    request = RequestFactory().get("/", data=inputs["changelist"])
    request.user = job.created_by
    changelist = admin.site.get_model_admin(Answer).get_changelist_instance(request)
    return Export(
        inputs["format"],
        user=job.created_by,
        channel="admin",
        answers=changelist.queryset,
        filters={"changelist": inputs["changelist"]},
    )
