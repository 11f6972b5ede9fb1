"""Webhook endpoints in the admin, for managing editors only: their secret shown once when
made, revealed again or replaced by a button, tests, enabling and disabling. The outbox of
events and the attempts are in webhook_log.

Every view and action asks workflow.can_manage_webhooks on the server (so does every
service it calls); a typed URL is refused like a link never shown.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from editorial import webhooks, workflow
from editorial.admin import shown_once
from editorial.admin.refusals import RefusedWithReason
from editorial.models import (
    DeliveryState,
    WebhookEndpoint,
    WebhookEvent,
)

# Attempts listed on an endpoint's page (all are one link away).
RECENT_ATTEMPTS = 20
# An event as the list of endpoints names it (the form says what each means).
EVENT_CHIPS = (
    (WebhookEvent.APPROVED, "approved"),
    (WebhookEvent.REAPPROVED, "re-approved"),
    (WebhookEvent.WITHDRAWN, "withdrawn"),
)


REFUSED = "Only managing editors may see or manage webhooks."


class ManagersOnly:
    """Seen and used by holders of editorial.manage_webhooks (managing editors) alone."""

    def has_module_permission(self, request) -> bool:
        return workflow.can_manage_webhooks(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return workflow.can_manage_webhooks(request.user)


class ManagersPages(ManagersOnly, RefusedWithReason):
    """Django's own pages of a model, refused with the reason before Django refuses them
    without one."""

    refusal = REFUSED


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        label="URL",
        max_length=2000,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "vURLField"}),
        help_text="Where events are POSTed (http or https). Redirects are not followed.",
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices,
        # The admin's class for a list of choices: each label its whole width, not the
        # 160 px of a field's label (which broke "Re-approved (approved again, …)" in three).
        widget=forms.CheckboxSelectMultiple(attrs={"class": "radiolist"}),
        help_text="What this endpoint is sent.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            webhooks.check_url(url)
        except webhooks.WebhookError as error:
            raise ValidationError(str(error)) from error
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ManagersPages, admin.ModelAdmin):
    form = EndpointForm
    list_display = ["__str__", "url", "subscribed", "state", "consecutive_failures", "waiting"]
    list_filter = ["is_active"]
    actions = ["send_test_event", "enable_selected", "disable_selected"]
    change_form_template = "admin/editorial/webhookendpoint/change_form.html"

    class Media:
        css = {"all": ["editorial/editorial.css", "editorial/integrations.css"]}

    def has_add_permission(self, request) -> bool:
        return workflow.can_manage_webhooks(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return workflow.can_manage_webhooks(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        # One that was sent events is disabled instead: its events and attempts are its log.
        if obj is not None and obj.messages.exists():
            return False
        return workflow.can_manage_webhooks(request.user)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["secret_shown", "state", "consecutive_failures", "recent_attempts"]

    @admin.display(description="events")
    def subscribed(self, obj):
        # Each event a chip of its short name, whole (a list of dotted names broke mid-way).
        labels = dict(EVENT_CHIPS)
        return render_to_string(
            "admin/editorial/webhookendpoint/_events.html",
            {"events": [(event, labels.get(event, event)) for event in obj.events]},
        )

    @admin.display(description="state")
    def state(self, obj):
        if obj.is_active:
            context = {"state": "active", "label": "Active"}
        else:
            context = {
                "state": "disabled",
                "label": "Disabled",
                "when": obj.disabled_at,
                "reason": obj.disabled_reason,
            }
        return render_to_string("admin/editorial/_state_chip.html", context)

    @admin.display(description="waiting")
    def waiting(self, obj):
        return obj.messages.filter(state=DeliveryState.PENDING).count()

    @admin.display(description="secret")
    def secret_shown(self, obj):
        return "whsec_… (hidden: “Reveal secret” shows it)"

    @admin.display(description="latest attempts")
    def recent_attempts(self, obj):
        attempts = obj.attempts.select_related("message").order_by("-attempted_at", "-id")
        return render_to_string(
            "admin/editorial/webhookendpoint/_attempts.html",
            {
                "attempts": attempts[:RECENT_ATTEMPTS],
                "all_url": reverse("admin:editorial_webhookattempt_changelist")
                + f"?endpoint__id__exact={obj.pk}",
                "events_url": reverse("admin:editorial_webhookmessage_changelist")
                + f"?endpoint__id__exact={obj.pk}",
            },
        )

    def save_model(self, request, obj, form, change) -> None:
        fields = {
            "url": form.cleaned_data["url"],
            "events": form.cleaned_data["events"],
            "description": form.cleaned_data["description"],
            "user": request.user,
        }
        try:
            if change:
                webhooks.change_endpoint(endpoint=obj, **fields)
            else:
                made = webhooks.create_endpoint(**fields)
                obj.pk, obj.secret, obj.created_by = made.pk, made.secret, made.created_by
                obj._state.adding = False
        except webhooks.WebhookError as error:
            raise PermissionDenied(str(error)) from error

    def response_add(self, request, obj, post_url_continue=None):
        # The secret, shown next to the person who made it (after a redirect: shown_once);
        # later only "Reveal secret" shows it.
        return self._show_once(request, obj, "Endpoint added: copy its secret now")

    def _show_once(self, request, endpoint: WebhookEndpoint, title: str):
        secret = webhooks.reveal_secret(endpoint=endpoint, user=request.user)
        shown_once.keep(request, kind="webhook", object_id=endpoint.pk, secret=secret, title=title)
        return HttpResponseRedirect(
            reverse("admin:editorial_webhookendpoint_shown", args=[endpoint.pk])
        )

    def shown_view(self, request, object_id):
        endpoint = self._endpoint(request, object_id)
        kept = shown_once.take(request, kind="webhook", object_id=endpoint.pk)
        if kept is None:
            self.message_user(
                request, "Reveal secret shows the endpoint's secret again.", messages.INFO
            )
            return self._back(endpoint)
        return self._secret_page(request, endpoint, kept["title"], secret=kept["secret"])

    # --- one endpoint's buttons -----------------------------------------------------------

    def get_urls(self):
        def button(route, view, name):
            return path(
                f"<path:object_id>/{route}/",
                self.admin_site.admin_view(require_POST(view)),
                name=f"editorial_webhookendpoint_{name}",
            )

        shown = path(
            "<path:object_id>/shown/",
            self.admin_site.admin_view(require_GET(self.shown_view)),
            name="editorial_webhookendpoint_shown",
        )
        return [
            shown,
            button("secret", self.reveal_view, "secret"),
            button("rotate", self.rotate_view, "rotate"),
            button("test", self.test_view, "test"),
            button("enable", self.enable_view, "enable"),
            button("disable", self.disable_view, "disable"),
        ] + super().get_urls()

    def _endpoint(self, request, object_id) -> WebhookEndpoint:
        self.refuse_unless_allowed(request)
        try:
            return WebhookEndpoint.objects.get(pk=int(unquote(object_id)))
        except (WebhookEndpoint.DoesNotExist, ValueError):
            raise Http404 from None

    def _back(self, endpoint: WebhookEndpoint) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse("admin:editorial_webhookendpoint_change", args=[endpoint.pk])
        )

    def _secret_page(self, request, endpoint: WebhookEndpoint, title: str, secret: str = ""):
        secret = secret or webhooks.reveal_secret(endpoint=endpoint, user=request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "endpoint": endpoint,
            "secret": secret,
            "change_url": reverse("admin:editorial_webhookendpoint_change", args=[endpoint.pk]),
        }
        response = TemplateResponse(request, "admin/editorial/webhookendpoint/secret.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def reveal_view(self, request, object_id):
        return self._secret_page(request, self._endpoint(request, object_id), "Webhook secret")

    def rotate_view(self, request, object_id):
        endpoint = self._endpoint(request, object_id)
        webhooks.rotate_secret(endpoint=endpoint, user=request.user)
        return self._show_once(request, endpoint, "New webhook secret: the old one is void")

    def test_view(self, request, object_id):
        endpoint = self._endpoint(request, object_id)
        try:
            message = webhooks.send_test(endpoint=endpoint, user=request.user)
        except webhooks.WebhookError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request,
                f"Test event {message.webhook_id} queued; its attempts are listed below.",
                messages.SUCCESS,
            )
        return self._back(endpoint)

    def enable_view(self, request, object_id):
        endpoint = self._endpoint(request, object_id)
        requeued = webhooks.enable(endpoint=endpoint, user=request.user)
        self.message_user(request, f"Enabled; {resent_note(requeued)}", messages.SUCCESS)
        return self._back(endpoint)

    def disable_view(self, request, object_id):
        endpoint = self._endpoint(request, object_id)
        webhooks.disable(endpoint=endpoint, user=request.user)
        self.message_user(
            request, "Disabled; events owed to it are kept until it is enabled.", messages.SUCCESS
        )
        return self._back(endpoint)

    # --- list actions ---------------------------------------------------------------------

    @admin.action(description="Send a test event")
    def send_test_event(self, request, queryset):
        self.refuse_unless_allowed(request)
        active = [endpoint for endpoint in queryset if endpoint.is_active]
        for endpoint in active:
            webhooks.send_test(endpoint=endpoint, user=request.user)
        self.message_user(request, f"{len(active)} test events queued.", messages.SUCCESS)
        if skipped := len(queryset) - len(active):
            self.message_user(
                request, f"{skipped} disabled endpoints skipped: enable them first.", messages.ERROR
            )

    @admin.action(description="Enable (failed events are sent again first)")
    def enable_selected(self, request, queryset):
        self.refuse_unless_allowed(request)
        chosen = list(queryset)
        requeued = sum(webhooks.enable(endpoint=e, user=request.user) for e in chosen)
        count = len(chosen)
        self.message_user(
            request,
            f"{count} endpoint{'s' if count != 1 else ''} enabled; {resent_note(requeued)}",
            messages.SUCCESS,
        )

    @admin.action(description="Disable")
    def disable_selected(self, request, queryset):
        self.refuse_unless_allowed(request)
        for endpoint in queryset:
            webhooks.disable(endpoint=endpoint, user=request.user)
        self.message_user(request, f"{queryset.count()} endpoints disabled.", messages.SUCCESS)


def resent_note(requeued: int) -> str:
    """What enabling did with failed events ("0 failed events sent again" read as a fault)."""
    if not requeued:
        return "there were no failed events to send again."
    plural = "s" if requeued != 1 else ""
    return f"{requeued} failed event{plural} sent again first, in order."
