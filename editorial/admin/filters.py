"""List filters of the answer list: quality flags, the person's own work, re-imports."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, OuterRef, Q

from editorial import flags
from editorial.models import Document, FlagLevel, Status


class FlagFilter(admin.SimpleListFilter):
    title = "quality flag"
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [("blocking", "Any blocking flag"), ("none", "No flag")] + [
            (code, flag.label) for code, flag in flags.FLAGS.items()
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "blocking":
            return queryset.filter(flag_level=FlagLevel.BLOCKING)
        if value == "none":
            return queryset.filter(flags="")
        if value in flags.FLAGS:
            # Codes are whole words in a space-separated list.
            return queryset.filter(
                Q(flags=value)
                | Q(flags__startswith=f"{value} ")
                | Q(flags__endswith=f" {value}")
                | Q(flags__contains=f" {value} ")
            )
        return queryset


class MineFilter(admin.SimpleListFilter):
    title = "my work"
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [
            ("review", "My review queue"),
            ("drafts", "My drafts"),
            ("changes", "Changes requested of me"),
            ("submitted", "Mine in review"),
            ("all", "Assigned to me"),
            ("unassigned", "No editor yet"),
        ]

    def queryset(self, request, queryset):
        user = request.user
        if self.value() == "review":
            return queryset.for_reviewer(user)
        if self.value() == "drafts":
            return queryset.filter(editor=user, status=Status.DRAFT)
        if self.value() == "changes":
            return queryset.filter(editor=user, status=Status.CHANGES_REQUESTED)
        if self.value() == "submitted":
            return queryset.filter(editor=user, status=Status.IN_REVIEW)
        if self.value() == "all":
            return queryset.filter(Q(editor=user) | Q(reviewer=user))
        if self.value() == "unassigned":
            return queryset.claimable()
        return queryset


class PersonFilter(admin.RelatedFieldListFilter):
    """The people named as editor (or reviewer) on some answer.

    Django's RelatedOnlyFieldListFilter finds them with SELECT DISTINCT over every answer
    (15 ms a filter at 200,000 answers); asking, per person, whether any answer names
    them is one index probe each, and there are few people.
    """

    def field_choices(self, field, request, model_admin):
        named = model_admin.get_queryset(request).filter(**{self.field_path: OuterRef("pk")})
        return field.get_choices(
            include_blank=False,
            limit_choices_to=Q(Exists(named)),
            ordering=self.field_admin_ordering(field, request, model_admin),
        )


class ReReviewFilter(admin.SimpleListFilter):
    """The re-review queue: exported answers whose approval is past its review-by date."""

    title = "re-review"
    parameter_name = "rereview"

    def lookups(self, request, model_admin):
        return [("due", "Due for re-review")]

    def queryset(self, request, queryset):
        if self.value() == "due":
            return queryset.due_for_rereview()
        return queryset


class LiveFilter(admin.SimpleListFilter):
    """Answers whose approved version is exported (the home page's "Live" count), whatever
    their status: an approved answer edited again is a draft and still live."""

    title = "live"
    parameter_name = "live"

    def lookups(self, request, model_admin):
        return [("yes", "Approved version exported"), ("no", "Not exported")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.approved()
        if self.value() == "no":
            return queryset.filter(Q(approved__isnull=True) | Q(status=Status.ARCHIVED))
        return queryset


class ConflictFilter(admin.SimpleListFilter):
    title = "re-import"
    parameter_name = "conflict"

    def lookups(self, request, model_admin):
        return [("yes", "New import waiting to be merged")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(
                Q(incoming_text__isnull=False) | Q(incoming_question__isnull=False)
            )
        return queryset


class DocumentFilter(admin.SimpleListFilter):
    """One document's answers, reached from the documents list or the home page.

    Lists only the chosen document: a choice per document would put every document of a
    large corpus on every page of the answer list.
    """

    title = "document"
    parameter_name = "document__id__exact"

    def lookups(self, request, model_admin):
        value = self.value()
        if not value or not value.isdigit():
            return []
        document = Document.objects.filter(pk=value).first()
        return [(value, document.label if document else f"Document {value}")]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(document_id=value)
        return queryset


class SubjectFilter(admin.SimpleListFilter):
    """The detected subject (the state), read from the documents, not from every answer."""

    title = "subject"
    parameter_name = "document__subject"

    def lookups(self, request, model_admin):
        subjects = (
            Document.objects.exclude(subject="")
            .order_by("subject")
            .values_list("subject", flat=True)
            .distinct()
        )
        return [(subject, subject) for subject in subjects]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(document__subject=self.value())
        return queryset
