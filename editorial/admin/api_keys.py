"""API keys in the admin: managing editors make them (the key shown once), scope, revoke.

Who may is Django's model permissions on ApiKey, which the data migration gives managing
editors (view, add, change; never delete: a key is revoked, and its row says when and by
whom). Every view asks them on the server, as the ModelAdmin does.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_GET

from editorial.admin import shown_once
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
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["name", "prefix", "reach", "created_by", "created_at", "last_used_at", "state"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    autocomplete_fields = ["documents"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at", "revoked_at",
                       "revoked_by"]  # fmt: skip
    actions = ["revoke_selected"]

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
        return f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked else "active"

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
        return [issued, *super().get_urls()]

    def issued_view(self, request, object_id):
        key = self.get_object(request, unquote(object_id))
        if key is None or not self.has_change_permission(request, key):
            raise PermissionDenied
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
