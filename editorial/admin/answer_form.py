"""The answer's change form: its content fields and sources inline, carrying the version and
state the page showed so that a save from a stale page is refused, the typing kept."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from editorial import workflow
from editorial.models import Answer, Source


class TextInput(forms.CharField):
    """Text from a browser's textarea: its CRLF line ends read as the LF stored.

    Without this an untouched multi-line answer reads as changed (a version, an edit, a
    claim) every time its page is posted.
    """

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n") if value else value


class SourceInline(admin.StackedInline):
    model = Source
    extra = 0
    # A link typed without a scheme is taken as https, as Django 6 will by default.
    formfield_overrides = {
        models.URLField: {"assume_scheme": "https"},
        models.TextField: {"form_class": TextInput},
    }
    fields = [("url", "title"), ("publisher", "accessed_on"), "excerpt"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "accessed_on":
            # A source is added on the day it is read, almost always.
            kwargs["initial"] = timezone.localdate
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    # Sources are part of the answer's content: editable exactly when the answer is.
    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and editable(request, obj)


def editable(request, answer: Answer | None) -> bool:
    return answer is None or workflow.can_edit(answer, request.user)


class AnswerForm(forms.ModelForm):
    # Rendered by the change page's template (beside the workflow buttons, which post it
    # too), not as a fieldset row.
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    loaded_status = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Answer
        fields = ["question", "text"]
        field_classes = {"question": TextInput, "text": TextInput}
        widgets = {
            # Sized by workspace.css (no style attribute: the page's CSP allows none).
            "question": forms.Textarea(attrs={"rows": 2}),
            "text": forms.Textarea(attrs={"rows": 14}),
        }

    stale: workflow.StaleVersionError | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The version shown is the form's starting point, so carrying it is not a change.
        self.fields["loaded_version"].initial = self.instance.version
        self.fields["loaded_status"].initial = self.instance.status

    def clean(self):
        cleaned = super().clean()
        loaded = cleaned.get("loaded_version")
        if loaded is None:
            raise ValidationError(
                "This page did not say which version of the answer it showed; "
                "nothing was saved. Reload the page and make the change again."
            )
        try:
            # The row is locked for the whole POST (see AnswerAdmin.changeform_view), so
            # this check and the save cannot be separated by another writer.
            workflow.check_version(self.instance, loaded, cleaned.get("loaded_status"))
        except workflow.StaleVersionError as error:
            self.stale = error
            raise ValidationError(str(error)) from None
        return cleaned
