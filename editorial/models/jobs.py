"""Work done off the request by a task worker: an admin import or export, followed on its page.

A job is the people-facing record of one task: who started it, how far it has got, what
each file gave, and why it stopped. The task framework's own result row (django-tasks)
says only whether the function returned; the job says what that meant here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class JobKind(models.TextChoices):
    IMPORT = "import", "Import"
    EXPORT = "export", "Export"


class JobState(models.TextChoices):
    QUEUED = "queued", "Waiting for a worker"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Finished"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})


class Job(models.Model):
    kind = models.CharField(max_length=10, choices=JobKind.choices)
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The task framework's result id, and the worker holding the job ("host:pid"): a job
    # whose worker is gone is failed with that reason (editorial.tasks.jobs.lost).
    task_id = models.CharField(max_length=64, blank=True)
    worker = models.CharField(max_length=300, blank=True)
    cancel_requested = models.BooleanField(default=False)
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    answers_total = models.PositiveIntegerField(default=0)
    answers_done = models.PositiveIntegerField(default=0)
    # What the worker is doing now, in words ("writing b.txt").
    doing = models.CharField(max_length=300, blank=True)
    # Why a job failed or was cancelled, in words.
    reason = models.TextField(blank=True)
    # Input: uploads as stored before the job was queued [{name, stored_as, size}], or
    # an export's parameters {format, documents | answer_ids, filters, stem}.
    inputs = models.JSONField(default=list)
    # Per file: {path, document_id, created, updated, unchanged, conflicting, error, warnings}.
    results = models.JSONField(default=list)
    # An export's file in Django's storage, its download name and its hash.
    output = models.CharField(max_length=300, blank=True)
    output_name = models.CharField(max_length=300, blank=True)
    output_sha256 = models.CharField(max_length=64, blank=True)
    output_count = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="job_by_person")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} job {self.pk}"

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def duration(self):
        """How long it ran (so far, while running); None before a worker took it."""
        if self.started_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.started_at
