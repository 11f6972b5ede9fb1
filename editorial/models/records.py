"""The records around the content: the event log, approvals, the history's hash chain,
exports, notices and the review clock. The log, the approvals and the chain are append-only
(storage.history), like reversion's revisions and versions."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from editorial.models.content import Answer, Status
from editorial.querysets import AppendOnlyQuerySet, ApprovalQuerySet


class AppendOnly(models.Model):
    """A row of the history: written once, never rewritten or deleted.

    The database refuses it too (triggers, migration 0007), and on PostgreSQL the service's
    role may only insert and read these tables (create_db_roles); here the ORM paths name
    the mistake first. Bulk update and delete are refused by the manager.
    """

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        # Evidence: a row, once written, is never rewritten.
        if not self._state.adding:
            raise ValidationError(f"{self._meta.verbose_name_plural.capitalize()} are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(f"{self._meta.verbose_name_plural.capitalize()} are append-only.")


class WorkflowEvent(AppendOnly):
    """Append-only log of every workflow step and edit."""

    class Action(models.TextChoices):
        IMPORT = "import", "Imported"
        REIMPORT = "reimport", "Updated by re-import"
        CONFLICT = "conflict", "Re-import conflict"
        MERGE = "merge", "Re-import merged"
        EDIT = "edit", "Edited"
        REVERT = "revert", "Reverted"
        CLAIM = "claim", "Editor assigned"
        ASSIGN = "assign", "Reviewer assigned"
        SUBMIT = "submit", "Submitted for review"
        WITHDRAW = "withdraw", "Withdrawn"
        APPROVE = "approve", "Approved"
        REQUEST_CHANGES = "request_changes", "Changes requested"
        ARCHIVE = "archive", "Archived"
        RESTORE = "restore", "Restored"

    answer = models.ForeignKey(Answer, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    comment = models.TextField(blank=True)
    revision = models.ForeignKey(
        "reversion.Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["answer", "id"]
        indexes = [models.Index(fields=["answer", "action"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.from_status} → {self.to_status}"


class ApprovedVersion(AppendOnly):
    """The content a reviewer approved, one row per approval, never changed.

    The answer names its latest (`Answer.approved`): that is what export uses until a new
    approval is added. Append-only because exports read it: a row the service could rewrite
    would change what leaves the system without an approval.
    """

    answer = models.ForeignKey(Answer, on_delete=models.PROTECT, related_name="approvals")
    question = models.TextField()
    text = models.TextField()
    sources = models.JSONField(default=list)
    claims = models.JSONField(
        default=list, help_text="The approved text's claims, each with its evidence."
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField()
    version = models.PositiveIntegerField(help_text="The answer's version number approved.")
    revision = models.ForeignKey(
        "reversion.Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_by = models.DateField(
        null=True,
        blank=True,
        db_index=True,
        help_text="Past this date the answer stays exported and is due for re-review.",
    )
    provenance = models.JSONField(
        default=dict,
        blank=True,
        help_text="How the approved text was made (see workflow.provenance): digital source "
        "type, editors, correction note, import and edit times.",
    )
    # What the export shows beside the approved text, as the reviewer saw it: a re-import
    # merged later moves the answer's imported text and the document's subject, not these.
    # None only in approvals made before migration 0016, which cannot be filled in: they
    # are append-only and sealed in the history chain (exporters.query reads the answer's
    # own fields for them).
    imported_question = models.TextField(  # noqa: DJ001
        null=True,
        blank=True,
        help_text="The machine-written question the approved one was corrected from.",
    )
    imported_text = models.TextField(  # noqa: DJ001
        null=True,
        blank=True,
        help_text="The machine-written answer the approved text was corrected from.",
    )
    document_subject = models.CharField(  # noqa: DJ001
        max_length=100, null=True, blank=True, help_text="The document's subject when approved."
    )

    objects = ApprovalQuerySet.as_manager()

    class Meta:
        ordering = ["answer", "id"]

    def __str__(self) -> str:
        return f"{self.answer} v{self.version}"


class HistoryLink(AppendOnly):
    """One link of the history's hash chain: a revision and every row written with it.

    See editorial.storage.chain: `rows` names each row the link seals (its kind, id and the
    SHA-256 of its content) and `digest` is an HMAC over the previous link's digest and
    this link, so a row changed, removed or slipped in, or a chain rebuilt without the key,
    no longer fits. `manage.py verify_history` walks it.
    """

    position = models.BigIntegerField(
        primary_key=True, help_text="1 for the first link, one more for each next."
    )
    # DO_NOTHING, not PROTECT: a revision is never deleted (storage.history), and deleting
    # one must fail with that reason, not with this link's; the database keeps the key.
    revision = models.OneToOneField(
        "reversion.Revision",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        help_text="The revision sealed (none: rows older than the chain that had none).",
    )
    rows = models.TextField(help_text="One line per row sealed: kind, id, SHA-256 of its content.")
    sealed_at = models.DateTimeField()
    digest = models.CharField(
        max_length=64, help_text="HMAC-SHA256 of the previous link's digest and this link."
    )

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"link {self.position}"


class ExportRecord(models.Model):
    """Who took which approved content out of the system, and a hash to prove what."""

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    format = models.CharField(max_length=10)
    filters = models.JSONField(default=dict)
    answer_count = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    channel = models.CharField(max_length=10, help_text="admin or command")
    chain_position = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="The history chain's last link when the export was made (none: empty).",
    )
    chain_digest = models.CharField(
        max_length=64, blank=True, help_text="That link's digest: verify_history checks it."
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.format} export of {self.answer_count} answers"


class Notice(models.Model):
    """A workflow event someone must act on (a request for changes), until they read it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    event = models.ForeignKey(WorkflowEvent, on_delete=models.CASCADE, related_name="notices")
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-event_id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "event"], name="notice_once_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.event} for {self.recipient}"


class ReviewOpening(models.Model):
    """When a reviewer first opened an answer for review after a submission.

    The review dashboard's "time from opening to deciding" starts here. Not a workflow
    event: opening a page is no step, and the event log is the history of steps.
    """

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey(
        WorkflowEvent,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The submission this opening reviews.",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    opened_at = models.DateTimeField()

    class Meta:
        ordering = ["opened_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "reviewer"], name="review_opening_once_per_submission"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} opened {self.answer_id} at {self.opened_at:%Y-%m-%d %H:%M}"


class ReviewDecision(models.Model):
    """One decision's review-quality facts, computed once from the record.

    The event log and the versions never change, so what a decision was (its time, the
    opening before it, warnings and the machine text at approval) is read from them once
    and kept here; the dashboard then adds up rows instead of re-reading every approved
    version (0.35 s at 20,000 decisions on SQLite). Filled by
    editorial.insights.review_quality.refresh_decisions; never edited.
    """

    event = models.OneToOneField(
        WorkflowEvent, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=20, choices=WorkflowEvent.Action.choices)
    decided_at = models.DateTimeField()
    opened_at = models.DateTimeField(
        null=True, help_text="The deciding reviewer's first opening of the submission decided."
    )
    seconds_to_decide = models.PositiveIntegerField(
        null=True, help_text="From that opening to the decision."
    )
    with_warnings = models.BooleanField(help_text="Approved while carrying warnings.")
    unchanged = models.BooleanField(help_text="Approved with the question and text as imported.")

    class Meta:
        ordering = ["event"]
        indexes = [models.Index(fields=["reviewer", "action"])]

    def __str__(self) -> str:
        return f"{self.action} by {self.reviewer_id} on {self.answer_id}"


class ReviewerTotals(models.Model):
    """One reviewer's review-quality counts, added to by each of their decisions.

    The dashboard reads one of these rows per reviewer instead of adding up every decision,
    so its cost does not grow with the history. Written only by editorial.storage.
    review_facts, in the decision's transaction, by increments in the database (two
    decisions at once both count); always the sum of the reviewer's ReviewDecision rows.
    """

    reviewer = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    decisions = models.PositiveIntegerField(default=0)
    sent_back = models.PositiveIntegerField(default=0, help_text="Requests for changes.")
    with_warnings = models.PositiveIntegerField(
        default=0, help_text="Approvals of answers carrying warnings."
    )
    unchanged = models.PositiveIntegerField(
        default=0, help_text="Approvals with the question and text as imported."
    )

    class Meta:
        verbose_name_plural = "reviewer totals"

    def __str__(self) -> str:
        return f"{self.decisions} decisions by {self.reviewer_id}"


class ReviewerTimes(models.Model):
    """How many of a reviewer's timed decisions took each time from opening to deciding.

    A histogram at the resolution the dashboard shows a time (storage.review_facts.bucket):
    whole seconds under a minute, whole minutes under 48 hours, whole hours beyond. The
    median read from it is the median of the times as they are shown. Its size is bounded by
    the resolution (some 3,000 rows for two days, then one an hour), not by the decisions.
    """

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    seconds = models.PositiveIntegerField(help_text="The time, cut to the shown resolution.")
    decisions = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "reviewer times"
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "seconds"], name="reviewer_time_once")
        ]

    def __str__(self) -> str:
        return f"{self.decisions} decisions by {self.reviewer_id} in {self.seconds} s"
