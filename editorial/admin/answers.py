"""The answer list and change page: content edits under optimistic concurrency.

Every page carries the version it showed (`loaded_version`). A POST locks the row for the
whole request, so the form's version check and the save are one step: a save from a stale
page is merged with what is stored instead, shown to confirm (admin/merging.py), the typing
kept; a landed save writes content only, never a status, editor or reviewer it read earlier.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import SEARCH_VAR
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from reversion.admin import VersionAdmin

from editorial import flags, workflow
from editorial.admin.answer_form import AnswerForm, SourceInline, editable
from editorial.admin.answer_list import (
    AnswerChangeList,
    CappedCountPaginator,
    EstimatingPaginator,
)
from editorial.admin.claims import ClaimsMixin
from editorial.admin.exports import AnswerExportMixin
from editorial.admin.filters import (
    ConflictFilter,
    DocumentFilter,
    FlagFilter,
    LiveFilter,
    MineFilter,
    PersonFilter,
    ReReviewFilter,
    SubjectFilter,
)
from editorial.admin.merging import MergeMixin
from editorial.admin.pages import AnswerPageMixin
from editorial.admin.quality import ReviewSignFilter
from editorial.admin.review import ReviewPagesMixin
from editorial.admin.steps import ACTIONS, WorkflowStepsMixin
from editorial.insights import review_quality
from editorial.insights.related import related_answers, strongest_shared
from editorial.models import Answer, FlagLevel, Notice, Status


class WorkflowVersionAdmin(VersionAdmin):
    """reversion's history and version pages without its revision around every save: an
    edit's revision is the workflow's (workflow.editing), made only when something changed,
    with the edit's event."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return admin.ModelAdmin.change_view(self, request, object_id, form_url, extra_context)


@admin.register(Answer)
class AnswerAdmin(
    AnswerExportMixin,
    ClaimsMixin,
    ReviewPagesMixin,
    MergeMixin,
    WorkflowStepsMixin,
    AnswerPageMixin,
    WorkflowVersionAdmin,
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
        LiveFilter,
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
    paginator = EstimatingPaginator
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
    # Document, position, state and people are in the action bar's heading (_action_bar.html).
    fieldsets = [
        (None, {"fields": ["question", "text"]}),
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
    actions = ACTIONS  # generated from the table of steps

    # --- permissions: model permissions, narrowed by the workflow ---------------------

    def has_add_permission(self, request):
        return False  # answers come from imports

    def has_delete_permission(self, request, obj=None):
        return False  # archive instead; the history and the log must survive

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and editable(request, obj)

    # --- the review workspace: the diff and the evidence, not the text a third time -------

    def get_fieldsets(self, request, obj=None):
        # In review the text is read in the review panel's diff and flagged passages.
        return [] if _in_review(obj) else super().get_fieldsets(request, obj)

    def get_inlines(self, request, obj):
        # ... and the sources beside the claims they back.
        return [] if _in_review(obj) else super().get_inlines(request, obj)

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
                # From a page of an older version: merged with what is stored, to confirm.
                merged = self.merge_instead(request, object_id)
                if merged is not None:
                    return merged
            # Not VersionAdmin's: the revision is the workflow's (workflow.editing), made
            # only when something changed, with the edit's event.
            return admin.ModelAdmin.changeform_view(
                self, request, object_id, form_url, extra_context
            )

    def save_model(self, request, obj, form, change):
        """Saved in save_related, once we know whether the sources changed too."""

    def save_related(self, request, form, formsets, change):
        """The typed content and sources, saved through the one edit path."""
        answer = form.instance
        if not (form.has_changed() or any(formset.has_changed() for formset in formsets)):
            # Unchanged formsets save nothing but set what the change message reads.
            super().save_related(request, form, formsets, change)
            request.editorial_saved_version = answer.version
            return
        # The workflow panel's comment, typed before a plain save, is the save's own.
        typed = (
            ""
            if getattr(request, "editorial_step_follows", False)
            else (request.POST.get("comment", "").strip())
        )
        with workflow.editing(
            answer,
            user=request.user,
            comment=typed or workflow.ADMIN_EDIT_COMMENT,
            expected_version=form.cleaned_data.get("loaded_version"),
            expected_status=form.cleaned_data.get("loaded_status"),
        ) as done:
            done.answer.question, done.answer.text = answer.question, answer.text
            super().save_related(request, form, formsets, change)
            # The revision says what changed as the admin's history says it.
            message = self.construct_change_message(request, form, formsets, False)
            done.revision_comment = LogEntry(
                change_message=json.dumps(message)
            ).get_change_message()
        # A step posted with the typing acts on exactly the version this save made.
        request.editorial_saved_version = done.answer.version

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
            # Named by what it is, not Django's "Change answer" over the same name again.
            context.update(title=str(stored), subtitle=None)
            context["related_terms"] = strongest_shared(context["related"])
            context.update(self.import_conflict_context(request, stored))
            if "review_diff" in context:
                context["flag_chips"] = self.flag_list(stored)
                context["flagged_html"] = self.flagged_text(stored)
            # A re-shown form keeps the version it started from, so that its next save is
            # merged with whatever was stored meanwhile; a state that changed meanwhile has
            # been shown, so the next save applies to the state as it is.
            keep = form.is_bound
            context["loaded_version"] = keep and form.data.get("loaded_version") or stored.version
            context["loaded_status"] = (
                keep and not stale and form.data.get("loaded_status") or stored.status
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        # A search's count stops at a cap; the list unfiltered or filtered counts exactly up
        # to a larger one and estimates past it (EstimatingPaginator).
        paginator = (
            CappedCountPaginator if request.GET.get(SEARCH_VAR, "").strip() else self.paginator
        )
        return paginator(queryset, per_page, orphans, allow_empty_first_page)

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.search(search_term), False

    def changelist_view(self, request, extra_context=None):
        # reversion's wrapper would merge every answer of a bulk action into one revision;
        # each workflow step makes its own, as it does everywhere else.
        extra_context = {
            **(extra_context or {}),
            "export_links": self.export_links(request),
            "title": "Answers",
        }
        return admin.ModelAdmin.changelist_view(self, request, extra_context)


def _in_review(answer: Answer | None) -> bool:
    return answer is not None and answer.status == Status.IN_REVIEW
