"""A job's life: taken by one worker, its progress written as it goes, ended once, and failed
with the reason when the worker running it is gone.

A worker that is killed (SIGKILL, a lost machine) cannot say so. The job names the worker
holding it; on PostgreSQL the worker also holds a session advisory lock on the job for as
long as it runs, which the server releases when the worker's connection dies, on whatever
machine. Anyone who then finds the job running and the lock free knows its worker is gone
and fails the job with that reason (the job page, the home page and every new task look).
On SQLite (one machine by definition) the same question is asked of the process id. The
job is not retried: each file imports atomically, so the files done are whole and the rest
untouched, and the person decides whether to upload the rest again.
"""

from __future__ import annotations

import os
import re
import socket
import time
import uuid
from datetime import timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from editorial import workflow
from editorial.models import FINISHED_STATES, Job, JobKind, JobState

# The advisory lock's first key: jobs, apart from any other lock taken by number.
_LOCK_CLASS = 0x4A4F42  # "JOB"
# What a job does before a worker takes it.
WAITING = "Waiting for a worker to take it"
# Jobs listed on the managing editor's home.
RECENT_JOBS = 8


class JobError(Exception):
    """A job cannot be started or changed as asked; the message says why."""


class WorkerLost(Exception):
    """The worker running a task stopped without finishing it (killed, or cut off)."""


def worker_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def can_see(user, job: Job) -> bool:
    """Who started the job sees it; so does anyone who may import (managing editors)."""
    if not (user.is_active and user.is_staff):
        return False
    if job.kind == JobKind.EXPORT:
        return workflow.can_export(user) and (job.created_by_id == user.pk or user.is_superuser)
    return job.created_by_id == user.pk or workflow.can_import(user)


def recent_jobs(user, limit: int = RECENT_JOBS) -> list[Job]:
    """The latest jobs this person may see, lost ones failed first."""
    jobs: QuerySet[Job] = Job.objects.select_related("created_by")
    if not workflow.can_import(user):
        jobs = jobs.filter(created_by=user)
    found = list(jobs.order_by("-created_at", "-id")[:limit])
    return [fail_if_lost(job) for job in found]


def queue_on_commit(job: Job, task) -> None:
    """Queue the job's task once the transaction writing the job commits (a worker must
    find it), and note the task's id on the job."""

    def enqueue() -> None:
        result = task.enqueue(job_id=job.pk)
        Job.objects.filter(pk=job.pk).update(task_id=str(result.id))

    transaction.on_commit(enqueue, robust=True)


def claim(job_id: int) -> Job | None:
    """Mark the job running in this worker, or None if it is no longer waiting (cancelled).

    On PostgreSQL the lock is taken before the state is committed, so nobody ever sees the
    job running without its lock held.
    """
    _lock(job_id)
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != JobState.QUEUED:
            _unlock(job_id)
            return None
        job.state = JobState.RUNNING
        job.started_at = timezone.now()
        job.worker = worker_label()
        job.save(update_fields=["state", "started_at", "worker"])
    return job


def progress(job: Job, **fields) -> None:
    """Write what the job has done so far, committed at once for the job page to read."""
    for name, value in fields.items():
        setattr(job, name, value)
    Job.objects.filter(pk=job.pk).update(**fields)
    cache.delete(_live_key(job.pk))  # the row says more now than the live note


# A live note is written at most this often (seconds of the reporter's clock): the job
# page asks every 1.5 s and must see movement at least every 2 s.
LIVE_EVERY = 0.5


class LiveProgress:
    """How far a worker has got inside one file, where the job's row cannot say it until
    the file commits (a 119,000-answer file takes half a minute): a note in the cache,
    which the processes of a machine share (settings.CACHES; CACHE_URL across machines),
    read by status() while the job runs.

    The importers report every few hundred answers (editorial.importers.progress); a note
    is written when LIVE_EVERY seconds of `clock` have passed since the last, so about
    twice a second whatever the file's size, and whenever the step changes (its words
    without their numbers): a step's first report is never dropped for following another
    closely, to leave the page naming the step before for the seconds this one takes.
    While a file is read the answers reported are those found so far (the page's "found
    so far"); while it is written, those written (`found=False`).
    """

    def __init__(self, job: Job, *, doing: str, found: bool = False, clock=time.monotonic) -> None:
        self.job, self.doing, self.found, self.clock = job, doing, found, clock
        self.written = float("-inf")
        self.step = ""
        self.notes = 0

    def __call__(self, answers: int, what: str) -> None:
        now, step = self.clock(), _NUMBERS.sub("", what)
        if now - self.written < LIVE_EVERY and step == self.step:
            return
        self.written, self.step = now, step
        self.notes += 1
        done, total = self.job.answers_done, self.job.answers_total
        if self.found:
            total += answers
        else:
            done += answers
        note = {"answers_done": done, "answers_total": total, "doing": f"{self.doing}: {what}"}
        cache.set(_live_key(self.job.pk), note, timeout=3600)


_NUMBERS = re.compile(r"[\d,]+")


def _live_key(job_id: int) -> str:
    return f"editorial:job:{job_id}:live"


def cancel_requested(job: Job) -> bool:
    return Job.objects.filter(pk=job.pk, cancel_requested=True).exists()


def finish(job: Job, state: str, reason: str = "", **fields) -> None:
    """End the job once: its state, why, when; then let go of its lock."""
    try:
        progress(job, state=state, reason=reason, finished_at=timezone.now(), doing="", **fields)
    finally:
        _unlock(job.pk)


def request_cancel(job: Job, *, user) -> Job:
    """A waiting job is cancelled at once; a running one stops before its next file."""
    if not can_see(user, job):
        raise JobError("You cannot cancel this job.")
    name = workflow.display_name(user)
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.finished:
            raise JobError(f"This job has already ended ({job.get_state_display().lower()}).")
        if job.state == JobState.QUEUED:
            job.state = JobState.CANCELLED
            job.finished_at = timezone.now()
            job.reason = f"Cancelled by {name} before a worker started it; nothing was done."
        else:
            job.cancel_requested = True
            job.reason = f"Cancel asked by {name}."
        job.save(update_fields=["state", "finished_at", "reason", "cancel_requested"])
    return job


def fail_if_lost(job: Job) -> Job:
    """The job failed with the reason if it is running and its worker is gone."""
    if job.state != JobState.RUNNING or _worker_alive(job):
        return job
    with transaction.atomic():
        current = Job.objects.select_for_update().get(pk=job.pk)
        if current.state != JobState.RUNNING or current.worker != job.worker:
            return current
        current.state = JobState.FAILED
        current.finished_at = timezone.now()
        current.doing = ""
        current.reason = (
            f"The worker running it ({current.worker}) stopped without finishing (killed, or "
            f"its connection to the database lost) after {current.files_done} of "
            f"{current.files_total} files. Each file imports whole or not at all: the "
            "files listed below are imported, the others not; upload those again."
            if current.kind == JobKind.IMPORT
            else f"The worker running it ({current.worker}) stopped without finishing (killed, "
            "or its connection to the database lost); no file was kept. Export again."
        )
        current.save(update_fields=["state", "finished_at", "doing", "reason"])
        _fail_task_row(current)
    return current


def _fail_task_row(job: Job) -> None:
    """The task framework's own row, left running by the dead worker, failed too: an
    operator reading the queue (Tasks Database Backend) sees what the job page says."""
    try:
        task_id = uuid.UUID(job.task_id)
    except ValueError:
        return  # no database task behind it (another backend, or not queued)
    row = DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING).first()
    if row is not None:
        row.set_failed(WorkerLost(job.reason))


def fail_lost_jobs() -> None:
    """Every running job whose worker is gone, failed (a new task looks first)."""
    for job in Job.objects.filter(state=JobState.RUNNING):
        fail_if_lost(job)


def _worker_alive(job: Job) -> bool:
    if job.worker == worker_label():
        return True  # this process runs it (a test's in-process worker, the immediate backend)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_CLASS, job.pk])
            free = cursor.fetchone()[0]
            if free:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, job.pk])
        return not free
    host, _, pid = job.worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's process: nothing here can tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lock(job_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_LOCK_CLASS, job_id])


def _unlock(job_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, job_id])


def status(job: Job) -> dict:
    """What the job page's script shows while the job runs (data only, as JSON)."""
    duration = job.duration
    answers_done, doing = job.answers_done, job.doing
    answers_total = job.answers_total
    live = cache.get(_live_key(job.pk)) if job.state == JobState.RUNNING else None
    if live is not None and live["answers_done"] >= answers_done:
        answers_done, doing = live["answers_done"], live["doing"]
        answers_total = max(answers_total, live.get("answers_total", 0))
    if job.state == JobState.QUEUED:
        doing = WAITING
    return {
        "id": job.pk,
        "state": job.state,
        "state_label": job.get_state_display(),
        "finished": job.finished,
        "files_done": job.files_done,
        "files_total": job.files_total,
        "answers_done": answers_done,
        "answers_total": answers_total,
        "doing": doing,
        "reason": job.reason,
        "cancel_requested": job.cancel_requested,
        "seconds": None if duration is None else round(duration / timedelta(seconds=1), 1),
    }


__all__ = ["FINISHED_STATES", "JobError"]
