"""The content: documents, their answers, the answers' sources and claim evidence (versioned)."""

from __future__ import annotations

import reversion
from django.conf import settings
from django.db import models
from django.db.models import Q

from editorial.models.web_urls import WebURLField
from editorial.querysets import AnswerQuerySet


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    ARCHIVED = "archived", "Archived"


class FlagLevel(models.IntegerChoices):
    NONE = 0, "None"
    WARNING = 1, "Warning"
    BLOCKING = 2, "Blocking"


class Document(models.Model):
    """One imported file; its name identifies it across re-imports."""

    name = models.CharField("file name", max_length=255, unique=True)
    content_hash = models.CharField(
        max_length=64, help_text="SHA-256 of the file as last imported."
    )
    subject = models.CharField(
        max_length=100, blank=True, help_text="Detected from the text (the state)."
    )
    title = models.CharField(
        max_length=200,
        blank=True,
        help_text="What people call the document; the subject until a managing editor renames it.",
    )
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    review_interval_days = models.PositiveIntegerField(
        "review interval (days)",
        null=True,
        blank=True,
        help_text="How long an approval holds before the answer is due for re-review; "
        "empty: the site default (EDITORIAL_REVIEW_INTERVAL_DAYS).",
    )

    class Meta:
        ordering = ["name"]
        # The answer list's subject filter lists the subjects and filters by one.
        indexes = [models.Index(fields=["subject"])]
        permissions = [("import_documents", "Can import documents")]

    def __str__(self) -> str:
        return f"{self.label} ({self.name})" if self.label != self.name else self.name

    @property
    def label(self) -> str:
        """The name people read: the title, else the detected subject, else the file name."""
        return self.title or self.subject or self.name

    @property
    def review_interval(self) -> int:
        """Days an approval of one of its answers holds: its own setting, else the site's."""
        if self.review_interval_days is not None:
            return self.review_interval_days
        return settings.EDITORIAL_REVIEW_INTERVAL_DAYS


# How much of the question an answer's name carries ("Massachusetts · Q1 · What is …").
QUESTION_IN_NAME = 60


def answer_name(label: str, position: int, question: str) -> str:
    """An answer's str(): its document's label, its position and its question shortened.

    Also what reversion records as a version's object_repr, so a bulk import names its
    versions with this, from the document's label, without an Answer instance each."""
    question = " ".join(question.split())
    if len(question) > QUESTION_IN_NAME:
        question = question[: QUESTION_IN_NAME - 1].rstrip() + "…"
    return f"{label} · Q{position} · {question}"


# The characters of an answer's fingerprint its index holds: 8 hexadecimal ones (4 billion
# values) tell the copies of a text from the rest of a corpus at one row read per copy.
FINGERPRINT_PREFIX = 8


class FingerprintStart(models.Func):
    """The first FINGERPRINT_PREFIX characters of a fingerprint: the expression the answers'
    fingerprints are indexed by. Its numbers are written into the SQL, not bound as
    parameters (as Substr's are), so that SQLite and PostgreSQL match a lookup to the index."""

    template = f"SUBSTR(%(expressions)s, 1, {FINGERPRINT_PREFIX})"
    output_field = models.CharField()


class Answer(models.Model):
    """A question and its answer, corrected by staff from the imported machine text."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="answers")
    position = models.PositiveIntegerField(help_text="Question number in its document.")
    question = models.TextField()
    text = models.TextField("answer", blank=True)
    imported_question = models.TextField(editable=False)
    imported_text = models.TextField(editable=False)
    # None, not "": "no re-import waiting" differs from "the re-import emptied it".
    incoming_question = models.TextField(  # noqa: DJ001
        null=True,
        blank=True,
        editable=False,
        help_text="A re-import's question, kept beside the staff version to merge.",
    )
    incoming_text = models.TextField(  # noqa: DJ001
        null=True,
        blank=True,
        editable=False,
        help_text="A re-import's answer, kept beside the staff version to merge.",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    status_before_archive = models.CharField(
        max_length=20, choices=Status.choices, blank=True, editable=False
    )
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="edited_answers",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviewed_answers",
    )
    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Raised on every content save."
    )
    flags = models.CharField(
        max_length=200,
        blank=True,
        editable=False,
        help_text="Space-separated quality flag codes, see editorial.checks.",
    )
    flag_level = models.PositiveSmallIntegerField(
        choices=FlagLevel.choices, default=FlagLevel.NONE, editable=False
    )
    text_fingerprint = models.CharField(
        max_length=40,  # hexadecimal; indexed by its first FINGERPRINT_PREFIX characters
        blank=True,
        editable=False,
        help_text="Normalised hash of the answer text, to find copies.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Approvals are append-only (one row each, storage.approvals): the answer names its
    # latest, which is what exports use. verify_history checks it names no other.
    approved = models.ForeignKey(
        "editorial.ApprovedVersion",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The answer's latest approval: what exports use until the next one.",
    )

    objects = AnswerQuerySet.as_manager()

    class Meta:
        ordering = ["document__name", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "position"], name="answer_position_unique_in_document"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="answer_status_known"
            ),
            models.CheckConstraint(condition=Q(position__gte=1), name="answer_position_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "reviewer"]),
            # The answer list filtered by status, in its (document, position) order.
            models.Index(fields=["status", "document", "position"]),
            # Copies of a text: every lookup by fingerprint goes through its first
            # characters (flags.duplicates); the field has no index of its own. A fingerprint
            # is a hash, so each answer written lands on a page of its own of this index:
            # whole, with status and flags, 2,000 answers imported into 200,000 wrote 1,928
            # of its pages, a quarter of what they wrote (migration 0027: now 1,004). Only
            # answers in use are copies: archived ones are left out (migration 0028), so a
            # text archived 100,000 times is not read through at each lookup.
            models.Index(
                FingerprintStart("text_fingerprint"),
                condition=~Q(status=Status.ARCHIVED),
                name="answer_fingerprint_active",
            ),
            models.Index(fields=["flag_level"]),
            # The home pages' lists, in (document, position) order, and their capped counts:
            # re-imports waiting to be merged are few, so without an index of their own the
            # managing editor's home walked every answer to find none (200 ms at 200,000).
            models.Index(
                fields=["document", "position"],
                condition=Q(incoming_text__isnull=False) | Q(incoming_question__isnull=False),
                name="answer_reimport_waiting",
            ),
            # Answers no editor has claimed: many after an import, few once work is under way.
            models.Index(
                fields=["document", "position"],
                condition=Q(editor__isnull=True),
                name="answer_unassigned",
            ),
            # The answers exported, in id order: the read API's pages and syncs (editorial.api)
            # read them from this index alone, however few of the answers are approved.
            models.Index(
                fields=["id"],
                condition=Q(approved__isnull=False) & ~Q(status=Status.ARCHIVED),
                name="answer_exported",
            ),
        ]
        permissions = [
            ("review_answer", "Can approve or request changes on answers assigned to them"),
            ("approve_any_answer", "Can approve or request changes on any answer"),
            ("assign_answer", "Can assign editors and reviewers"),
            ("archive_answer", "Can archive and restore answers"),
            ("export_answers", "Can export approved answers"),
        ]

    def __str__(self) -> str:
        return answer_name(self.document.label, self.position, self.question)

    @property
    def has_import_conflict(self) -> bool:
        return self.incoming_question is not None or self.incoming_text is not None

    @property
    def flag_codes(self) -> list[str]:
        return self.flags.split()


class Source(models.Model):
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="sources")
    # Normalised and checked as every path saves it (web_urls: one place for all of them).
    url = WebURLField("URL", max_length=2000)
    title = models.CharField(max_length=500)
    publisher = models.CharField(max_length=300, blank=True)
    accessed_on = models.DateField("date accessed")
    excerpt = models.TextField("quoted excerpt", blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title or self.url

    def as_dict(self) -> dict[str, str]:
        """The shape a source takes in an approved version and in every export."""
        return {
            "url": self.url,
            "title": self.title,
            "publisher": self.publisher,
            "accessed": self.accessed_on.isoformat(),
            "excerpt": self.excerpt,
        }


class ClaimEvidence(models.Model):
    """How an editor settled one specific claim of an answer (see flags.find_claims).

    Keyed by the claim's normalised text, not its place: the settlement holds while an
    edit keeps the claim, and a claim rewritten away is simply no longer asked for (its
    row stays, harmless, and counts again if the claim comes back).
    """

    class Kind(models.TextChoices):
        SOURCE = "source", "Linked to a source"
        COMMON_KNOWLEDGE = "common_knowledge", "Common knowledge"

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="claim_evidence")
    claim_key = models.CharField(max_length=300, help_text="checks.claim_key of the claim.")
    claim_text = models.CharField(max_length=300, help_text="The claim as written.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # SET_NULL, not CASCADE: removing the source un-settles the claim visibly instead of
    # silently dropping the editor's excerpt.
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    excerpt = models.TextField("quoted excerpt", blank=True)
    reason = models.TextField(blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    settled_at = models.DateTimeField()

    class Meta:
        ordering = ["answer", "id"]
        constraints = [
            models.UniqueConstraint(fields=["answer", "claim_key"], name="claim_once_per_answer")
        ]

    def __str__(self) -> str:
        return f"{self.claim_text}: {self.get_kind_display()}"

    @property
    def settled(self) -> bool:
        """Linked to a source still on the answer, or common knowledge with a reason."""
        if self.kind == self.Kind.SOURCE:
            return self.source_id is not None
        return bool(self.reason.strip())

    def as_dict(self) -> dict[str, str]:
        """The shape a settled claim takes in an approved version (and so in exports)."""
        linked = self.kind == self.Kind.SOURCE and self.source is not None
        return {
            "text": self.claim_text,
            "kind": self.kind,
            "source_url": self.source.url if linked else "",
            "source_title": self.source.title if linked else "",
            "excerpt": self.excerpt if linked else "",
            "reason": self.reason if self.kind == self.Kind.COMMON_KNOWLEDGE else "",
        }


# Sources and claim evidence are followed so each answer version carries what it had.
reversion.register(Source)
reversion.register(ClaimEvidence)
reversion.register(Answer, follow=["sources", "claim_evidence"])
