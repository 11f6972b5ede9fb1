"""Logs and records: the event log, approved versions and exports, seen and never written."""

from __future__ import annotations

from django.contrib import admin

from editorial.models import ApprovedVersion, ExportRecord, WorkflowEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Logs and records: seen, never written, through the admin."""

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
        "actor",
        "comment",
    ]
    list_filter = ["action", "to_status", ("actor", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["answer__document", "actor"]
    search_fields = ["comment"]
    date_hierarchy = "created_at"


@admin.register(ApprovedVersion)
class ApprovedVersionAdmin(ReadOnlyAdmin):
    list_display = ["answer", "version", "approved_by", "approved_at"]
    list_select_related = ["answer__document", "approved_by"]
    search_fields = ["question", "text"]


@admin.register(ExportRecord)
class ExportRecordAdmin(ReadOnlyAdmin):
    # The chain's head the export was made at: verify_history checks it is still there.
    list_display = [
        "created_at",
        "created_by",
        "format",
        "answer_count",
        "channel",
        "sha256",
        "chain_position",
    ]
    list_filter = ["format", "channel"]
    list_select_related = ["created_by"]
