"""Keys that downstream systems read approved content through (editorial.api)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from editorial.models.content import Document


class ApiKey(models.Model):
    """One consumer's key to the read API: stored hashed, scoped, revocable.

    The key itself is shown once, when it is made (editorial.api.keys.issue), and kept only
    as its SHA-256: a copy of the database does not let anyone read the API. The prefix,
    not secret, finds the row; the hash then decides.
    """

    name = models.CharField(
        "consumer", max_length=100, help_text="Who reads with this key (a site, a tool, a team)."
    )
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False, help_text="SHA-256 of the key.")
    everything = models.BooleanField(
        "all approved content",
        default=False,
        help_text="Every document, now and later. Otherwise only the documents and subjects "
        "chosen below.",
    )
    documents = models.ManyToManyField(
        Document, blank=True, related_name="+", help_text="Documents this key may read."
    )
    subjects = models.JSONField(
        default=list, blank=True, help_text="Subjects (states) whose documents this key may read."
    )
    requests_per_minute = models.PositiveIntegerField(
        default=600, help_text="Requests a minute before the API answers 429."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Recorded at most once a minute."
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
