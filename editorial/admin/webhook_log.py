"""The webhooks' log in the admin, for managing editors only: the outbox of events with
redelivery, and every attempt with its status and timing. Both are written by the delivery
(editorial.webhooks) only, so their pages are read only."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from editorial import webhooks, workflow
from editorial.admin.answer_list import CappedCountPaginator
from editorial.admin.webhooks import ManagersOnly, ManagersPages
from editorial.models import WebhookAttempt, WebhookMessage


class AttemptsInline(ManagersOnly, admin.TabularInline):
    model = WebhookAttempt
    fk_name = "message"
    fields = ["number", "attempted_at", "status_code", "error", "duration_ms", "response_excerpt"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReadOnly(ManagersPages):
    """The outbox and the attempts are written by the delivery only."""

    paginator = CappedCountPaginator
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookMessage)
class WebhookMessageAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "webhook_id", "event_type", "endpoint", "answer", "state", "attempts",
        "next_attempt_at", "delivered_at", "last_error",
    ]  # fmt: skip
    list_filter = ["state", "event_type", "endpoint"]
    list_select_related = ["endpoint", "answer__document"]
    search_fields = ["=webhook_id"]
    actions = ["redeliver_selected"]
    inlines = [AttemptsInline]
    fields = [
        "webhook_id", "event_type", "endpoint", "answer", "state", "attempts",
        "next_attempt_at", "delivered_at", "last_error", "created_at", "body",
    ]  # fmt: skip
    readonly_fields = fields

    @admin.action(description="Redeliver (same webhook-id, from the first attempt)")
    def redeliver_selected(self, request, queryset):
        if not workflow.can_manage_webhooks(request.user):
            raise PermissionDenied("Only managing editors may redeliver webhook events.")
        count = webhooks.redeliver(messages=queryset, user=request.user)
        self.message_user(
            request,
            f"{count} event{'s' if count != 1 else ''} queued for redelivery.",
            messages.SUCCESS,
        )


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "attempted_at", "endpoint", "event", "number", "status_code", "error", "duration_ms",
    ]  # fmt: skip
    list_filter = ["endpoint", "status_code"]
    list_select_related = ["endpoint", "message"]

    @admin.display(description="event")
    def event(self, obj):
        return f"{obj.message.event_type} {obj.message.webhook_id}"
