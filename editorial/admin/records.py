"""Logs and records: the event log, approved versions and exports, seen and never written.

They grow with every step taken (a million answers imported are a million events), so each
list costs the same at any size: newest first along the primary key, counted no further
than a cap ("1,000+"), skipped rows skipped by id (DeferredJoinPaginator), and filters
whose choices are fixed or the staff, never read off the log itself (Django's date
hierarchy and "related only" filter each read every row for their choices).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model

from editorial import workflow
from editorial.admin.answer_list import CappedCountPaginator
from editorial.models import ApprovedVersion, ExportRecord, WorkflowEvent


class StaffFilter(admin.RelatedFieldListFilter):
    """A person filter offering the staff (a few dozen), not whoever appears in the log."""

    def field_choices(self, field, request, model_admin):
        people = get_user_model().objects.filter(is_staff=True).order_by("username")
        return [(person.pk, workflow.display_name(person)) for person in people]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Logs and records: seen, never written, through the admin; titled by what they are,
    not Django's "Select … to view"."""

    list_title = ""
    ordering = ["-pk"]
    paginator = CappedCountPaginator
    show_full_result_count = False  # one bounded count per page, not a second of everything

    def changelist_view(self, request, extra_context=None):
        title = self.list_title or self.opts.verbose_name_plural.capitalize()
        return super().changelist_view(request, {**(extra_context or {}), "title": title})

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkflowEvent)
class WorkflowEventAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "answer",
        "action",
        "from_status",
        "to_status",
        "by",
        "comment",
    ]
    list_title = "Event log"

    @admin.display(description="by", ordering="actor")
    def by(self, obj):
        return _person(obj.actor)

    list_filter = ["action", "to_status", ("actor", StaffFilter), "created_at"]
    list_select_related = ["answer__document", "actor"]
    search_fields = ["comment"]


@admin.register(ApprovedVersion)
class ApprovedVersionAdmin(ReadOnlyAdmin):
    list_display = ["answer", "version", "approver", "approved_at"]
    list_title = "Approved versions"

    @admin.display(description="approved by", ordering="approved_by")
    def approver(self, obj):
        return _person(obj.approved_by)

    list_select_related = ["answer__document", "approved_by"]
    search_fields = ["question", "text"]


@admin.register(ExportRecord)
class ExportRecordAdmin(ReadOnlyAdmin):
    # The chain's head the export was made at: verify_history checks it is still there.
    list_display = [
        "created_at",
        "by",
        "format",
        "answer_count",
        "channel",
        "sha256",
        "chain_position",
    ]
    list_filter = ["format", "channel"]
    list_select_related = ["created_by"]
    list_title = "Exports"

    @admin.display(description="by", ordering="created_by")
    def by(self, obj):
        return _person(obj.created_by)


def _person(user) -> str:
    """A person as pages name them; the account is in the filter and the record."""
    return workflow.display_name(user) if user is not None else "—"
