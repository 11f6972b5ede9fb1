"""API keys in the admin: managing editors make them (the key shown once), scope, revoke.

Who may is Django's model permissions on ApiKey, which the data migration gives managing
editors (view, add, change; never delete: a key is revoked, and its row says when and by
whom). Every view asks them on the server, as the ModelAdmin does. A revoked key is read
only: what it could read is the record of what was handed out, and changing its scope
would change nothing the API does.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods

from editorial.admin import shown_once
from editorial.admin.refusals import RefusedWithReason
from editorial.api import keys
from editorial.models import ApiKey, Document


def _subject_choices() -> list[tuple[str, str]]:
    subjects = (
        Document.objects.exclude(subject="").order_by("subject").values_list("subject", flat=True)
    )
    return [(subject, subject) for subject in subjects.distinct()]


class ApiKeyForm(forms.ModelForm):
    subjects = forms.MultipleChoiceField(
        required=False,
        choices=_subject_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Every document of these subjects, now and later.",
    )

    class Meta:
        model = ApiKey
        fields = ["name", "everything", "documents", "subjects", "requests_per_minute"]

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("everything") or cleaned.get("documents") or cleaned.get("subjects")):
            raise forms.ValidationError(
                "Choose what the key may read: documents, subjects, or all approved content."
            )
        return cleaned


@admin.register(ApiKey)
class ApiKeyAdmin(RefusedWithReason, admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["name", "prefix", "reach", "created_by", "created_at", "last_used_at", "state"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    autocomplete_fields = ["documents"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at", "revoked_at",
                       "revoked_by"]  # fmt: skip
    actions = ["revoke_selected"]
    change_form_template = "admin/editorial/apikey/change_form.html"
    refusal = "Only managing editors may see or manage API keys."

    class Media:
        css = {"all": ["editorial/editorial.css", "editorial/integrations.css"]}
        js = ["editorial/select2_labels.js"]

    def has_change_permission(self, request, obj=None) -> bool:
        # A revoked key is shown, not changed: Django renders its page read-only and
        # refuses a POST to it on the server.
        if obj is not None and obj.revoked:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked, not deleted: the row says who could read what, and until when

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by", "revoked_by")

    @admin.display(description="may read")
    def reach(self, key: ApiKey) -> str:
        if key.everything:
            return "all approved content"
        return ", ".join(key.subjects) or "chosen documents"

    @admin.display(description="state")
    def state(self, key: ApiKey) -> str:
        state = "revoked" if key.revoked else "active"
        return render_to_string(
            "admin/editorial/_state_chip.html",
            {"state": state, "label": state.capitalize(), "when": key.revoked_at},
        )

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # The documents are set by issue(), so save_related has nothing left to add.
        # On the instance, not the ModelAdmin (shared by every request): response_add reads it.
        _, obj.issued_token = keys.issue(
            key=obj, created_by=request.user, documents=form.cleaned_data.get("documents", ())
        )

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    def response_add(self, request, obj, post_url_continue=None):
        """The key, once, on the page after a redirect (shown_once): only its hash is kept."""
        shown_once.keep(
            request,
            kind="apikey",
            object_id=obj.pk,
            secret=obj.issued_token,
            title=f"API key for {obj.name}",
        )
        return HttpResponseRedirect(reverse("admin:editorial_apikey_issued", args=[obj.pk]))

    def get_urls(self):
        issued = path(
            "<path:object_id>/issued/",
            self.admin_site.admin_view(require_GET(self.issued_view)),
            name="editorial_apikey_issued",
        )
        revoke = path(
            "<path:object_id>/revoke/",
            self.admin_site.admin_view(require_http_methods(["GET", "POST"])(self.revoke_view)),
            name="editorial_apikey_revoke",
        )
        return [issued, revoke, *super().get_urls()]

    def revoke_view(self, request, object_id):
        """The key's own Revoke button: asks once (it cannot be undone), then revokes."""
        if not self.has_change_permission(request):
            raise PermissionDenied("Only managing editors may revoke API keys.")
        key = self.get_object(request, unquote(object_id))
        if key is None:
            raise Http404
        change_url = reverse("admin:editorial_apikey_change", args=[key.pk])
        if key.revoked:
            self.message_user(request, f"{key.name}: this key was already revoked.", messages.INFO)
            return HttpResponseRedirect(change_url)
        if request.method == "POST":
            keys.revoke(key=key, user=request.user)
            self.message_user(
                request,
                f"{key.name}: key {key.prefix}… revoked; the API refuses it from now on.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Revoke the API key of {key.name}?",
            "key": key,
            "opts": self.model._meta,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/editorial/apikey/revoke.html", context)

    def issued_view(self, request, object_id):
        key = self.get_object(request, unquote(object_id))
        # Asked of the model, not the key: a key revoked meanwhile is still shown its page.
        if key is None or not self.has_change_permission(request):
            raise PermissionDenied("Only managing editors may see a new API key.")
        kept = shown_once.take(request, kind="apikey", object_id=key.pk)
        change_url = reverse("admin:editorial_apikey_change", args=[key.pk])
        if kept is None:
            self.message_user(
                request,
                "A key is shown only once, when it is made; revoke a lost one and add another.",
                messages.WARNING,
            )
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": kept["title"],
            "key": key,
            "token": kept["secret"],
            "opts": self.model._meta,
        }
        response = TemplateResponse(request, "admin/editorial/apikey/issued.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke_selected(self, request, queryset):
        revoked = sum(keys.revoke(key=key, user=request.user) for key in queryset)
        self.message_user(request, f"{revoked} key(s) revoked.", messages.SUCCESS)
