"""The answer list and change page: content edits under optimistic concurrency.

Every page carries the version it showed (`loaded_version`). A POST locks the row for the
whole request, so the form's version check and the save are one step: a save from a stale
page is refused with the person's typed text kept and the difference shown; a landed save
writes content only, never a status, editor or reviewer it read earlier.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from reversion.admin import VersionAdmin

from editorial import flags, workflow
from editorial.admin.claims import ClaimsMixin
from editorial.admin.exports import AnswerExportMixin
from editorial.admin.filters import (
    ConflictFilter,
    DocumentFilter,
    FlagFilter,
    MineFilter,
    PersonFilter,
    ReReviewFilter,
    SubjectFilter,
)
from editorial.admin.quality import ReviewSignFilter
from editorial.admin.review import ReviewPagesMixin
from editorial.admin.steps import WorkflowStepsMixin
from editorial.insights import review_quality
from editorial.insights.related import related_answers
from editorial.models import Answer, FlagLevel, Notice, Source


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
        return super().has_add_permission(request, obj) and _editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and _editable(request, obj)


class DeferredJoinPaginator(Paginator):
    """Pages that skip rows by id alone, then read only the rows shown.

    A plain OFFSET builds every skipped row (joins included) before throwing it away, so
    page 6,000 cost seconds. Here the skipping is an index-only walk of the list's order
    inside a subquery (`id IN (SELECT id … ORDER BY … LIMIT … OFFSET …)`): still one query,
    so a page costs the same queries at any size.
    """

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = self.object_list.values("pk")[bottom:top]
        return self._get_page(self.object_list.filter(pk__in=ids), number, self)


class AnswerChangeList(ChangeList):
    """The list as Django builds it, with the per-row costs that grew with the page cut.

    It reads the columns it shows, not the full and imported texts of each row; and the
    rows' links carry the list's filters without Django resolving each link's URL again to
    learn that it is a change page (a third of the time of a filtered page of 100).
    """

    deferred = ["text", "imported_question", "imported_text", "incoming_question", "incoming_text"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What add_preserved_filters would append to a change page's link, appended here.
        self.row_link_query = self.preserved_filters
        self.preserved_filters = ""
        self.row_links: dict[int, str] = {}

    def get_results(self, request):
        super().get_results(request)
        self.result_list = self.result_list.defer(*self.deferred)

    def url_for_result(self, result) -> str:
        # Two columns link to the row: one reverse() each row, not two.
        if result.pk not in self.row_links:
            url = super().url_for_result(result)
            self.row_links[result.pk] = (
                f"{url}?{self.row_link_query}" if self.row_link_query else url
            )
        return self.row_links[result.pk]


def _editable(request, answer: Answer | None) -> bool:
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
            "question": forms.Textarea(attrs={"rows": 2, "style": "width: 95%"}),
            "text": forms.Textarea(attrs={"rows": 18, "style": "width: 95%"}),
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


@admin.register(Answer)
class AnswerAdmin(
    AnswerExportMixin, ClaimsMixin, ReviewPagesMixin, WorkflowStepsMixin, VersionAdmin
):
    form = AnswerForm
    inlines = [SourceInline]
    list_display = [
        "number",
        "short_question",
        "document_label",
        "status_with_version",
        "flag_list",
        "editor",
        "reviewer",
        "updated",
    ]
    list_display_links = ["number", "short_question"]
    list_filter = [
        MineFilter,
        "status",
        FlagFilter,
        SubjectFilter,
        ("reviewer", PersonFilter),
        ("editor", PersonFilter),
        ConflictFilter,
        ReReviewFilter,
        DocumentFilter,
        ReviewSignFilter,
    ]
    list_select_related = ["document", "editor", "reviewer"]
    # Shows the search box; get_search_results answers it from the full-text index.
    search_fields = ["question", "text"]
    search_help_text = (
        "Finds answers whose question or text holds every word, in any order; "
        "the last word may be the start of a word."
    )
    paginator = DeferredJoinPaginator
    # The (document, position) index gives this order without a join or a sort.
    ordering = ["document_id", "position"]
    list_per_page = 50
    show_full_result_count = False  # one count per page, not two
    readonly_fields = [
        "document",
        "position",
        "status",
        "editor",
        "reviewer",
        "version",
        "flag_list",
        "flagged_text",
        "imported_question",
        "imported_text_display",
        "incoming_display",
    ]
    fieldsets = [
        (None, {"fields": [("document", "position"), ("status", "editor", "reviewer", "version")]}),
        ("Content", {"fields": ["question", "text"]}),
        ("Quality", {"fields": ["flag_list", "flagged_text"]}),
        (
            "As imported",
            {
                "classes": ["collapse"],
                "fields": ["imported_question", "imported_text_display", "incoming_display"],
            },
        ),
    ]
    change_form_template = "admin/editorial/answer/change_form.html"
    object_history_template = "admin/editorial/answer/object_history.html"
    actions = [
        "claim_selected",
        "submit_selected",
        "withdraw_selected",
        "approve_selected",
        "request_changes_selected",
        "assign_reviewer_selected",
        "balance_reviewers",
        "archive_selected",
        "restore_selected",
    ]

    # --- permissions: model permissions, narrowed by the workflow ---------------------

    def has_add_permission(self, request):
        return False  # answers come from imports

    def has_delete_permission(self, request, obj=None):
        return False  # archive instead; the history and the log must survive

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _editable(request, obj)

    # --- columns and read-only fields ---------------------------------------------------

    def get_changelist(self, request, **kwargs):
        return AnswerChangeList

    def action_checkbox(self, obj):
        # Django's own renders a form widget through the template engine for each row (a
        # third of the time of a page of 100); the same markup, written out.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )

    @admin.display(description="question", ordering="question")
    def short_question(self, obj):
        return obj.question if len(obj.question) <= 90 else obj.question[:89] + "…"

    @admin.display(description="Q", ordering="position")
    def number(self, obj):
        return obj.position

    @admin.display(description="updated", ordering="updated_at")
    def updated(self, obj):
        return date_format(timezone.localtime(obj.updated_at), "M j, H:i")

    @admin.display(description="document", ordering="document__name")
    def document_label(self, obj):
        return obj.document.label

    @admin.display(description="status", ordering="status")
    def status_with_version(self, obj):
        # The list's bulk actions act on the version each row showed, as the page does.
        return format_html(
            '{}<input type="hidden" name="loaded_version_{}" value="{}">',
            obj.get_status_display(),
            obj.pk,
            obj.version,
        )

    @admin.display(description="flags", ordering="-flag_level")
    def flag_list(self, obj):
        if not obj.flag_codes:
            return "No flags"
        # The level is said in words too, not only by colour.
        return format_html_join(
            " ",
            '<span class="flag flag-{}" title="{}: {}">'
            '<span class="flag-level">{}</span> {}</span>',
            (
                (
                    flag.level.label.lower(),
                    flag.level.label,
                    flag.label,
                    "✖" if flag.level == FlagLevel.BLOCKING else "⚠",
                    flag.short,
                )
                for flag in map(flags.FLAGS.__getitem__, obj.flag_codes)
            ),
        )

    @admin.display(description="answer with flagged passages")
    def flagged_text(self, obj):
        return render_to_string(
            "admin/editorial/answer/_flagged_text.html", {"passages": flags.highlight(obj.text)}
        )

    @admin.display(description="imported answer")
    def imported_text_display(self, obj):
        return format_html('<div class="flagged-text">{}</div>', obj.imported_text)

    @admin.display(description="new import waiting to be merged")
    def incoming_display(self, obj):
        if not obj.has_import_conflict:
            return "—"
        return format_html(
            '<p><strong>{}</strong></p><div class="flagged-text">{}</div>',
            obj.incoming_question or obj.question,
            obj.incoming_text if obj.incoming_text is not None else obj.text,
        )

    # --- saving: the form writes content; the workflow decides what an edit means ---------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with transaction.atomic():
            if request.method == "POST" and object_id:
                # Hold the row from the version check to the save (SQLite serialises
                # writers with IMMEDIATE transactions instead).
                Answer.objects.select_for_update().filter(pk=unquote(object_id)).exists()
                # Decided on the locked row: a step that landed a moment ago counts.
                refused = self.refused_save(request, object_id)
                if refused is not None:
                    return refused
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        """Saved in save_related, once we know whether the sources changed too."""

    def save_related(self, request, form, formsets, change):
        answer = form.instance
        changed = form.has_changed() or any(formset.has_changed() for formset in formsets)
        if changed:
            # The workflow panel's comment, typed before a plain save, is the save's own.
            typed = (
                ""
                if getattr(request, "editorial_step_follows", False)
                else (request.POST.get("comment", "").strip())
            )
            fields = workflow.begin_edit(
                answer, user=request.user, comment=typed or workflow.ADMIN_EDIT_COMMENT
            )
            answer.save(update_fields=fields)
        # Always: unchanged formsets save nothing but set what the change message reads.
        super().save_related(request, form, formsets, change)
        if changed:
            workflow.finish_edit(answer)
        # A step posted with the typing acts on exactly the version this save made.
        request.editorial_saved_version = answer.version

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and unquote(object_id).isdigit():
            # Opening the answer reads the requests for changes waiting on it.
            Notice.objects.filter(
                recipient=request.user, event__answer_id=unquote(object_id), read_at__isnull=True
            ).update(read_at=timezone.now())
            # A reviewer opening an answer in review starts the clock of the review dashboard.
            review_quality.record_opening(answer_id=int(unquote(object_id)), user=request.user)
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            form = context["adminform"].form
            stale = form.stale or context.get("stale")
            # A form shown again holds the typing in its instance; panels show what is stored.
            stored = Answer.objects.select_related("document").get(pk=obj.pk)
            context.update(self.workflow_context(request, stored))
            context.update(self.review_context(request, stored, stale=stale))
            context.update(
                self.claims_context(request, stored, kept_claim=context.get("kept_claim"))
            )
            context["related"] = related_answers(stored, user=request.user)
            if "review_diff" in context:
                context["flag_chips"] = self.flag_list(stored)
                context["flagged_html"] = self.flagged_text(stored)
            # After a stale refusal the page shows what changed, so the next try starts from
            # the version stored now; any other re-shown form keeps the version it started from.
            keep = form.is_bound and not stale
            context["loaded_version"] = keep and form.data.get("loaded_version") or stored.version
            context["loaded_status"] = keep and form.data.get("loaded_status") or stored.status
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.search(search_term), False

    def changelist_view(self, request, extra_context=None):
        # reversion's wrapper would merge every answer of a bulk action into one revision;
        # each workflow step makes its own, as it does everywhere else.
        extra_context = {**(extra_context or {}), "export_links": self.export_links(request)}
        return admin.ModelAdmin.changelist_view(self, request, extra_context)
