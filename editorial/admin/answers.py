"""The staff interface. Thin by design: every rule is asked of editorial.workflow."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from reversion.admin import VersionAdmin
from reversion.models import Version

from editorial import checks, workflow
from editorial.admin_export import (
    AnswerExportMixin,
    DocumentExportMixin,
    export_selected_documents,
)
from editorial.importers import ImportSummary, import_paths
from editorial.models import (
    Answer,
    ApprovedVersion,
    Document,
    ExportRecord,
    FlagLevel,
    Source,
    Status,
    WorkflowEvent,
)
from editorial.workflow import WorkflowError

admin.site.site_header = "Editorial"
admin.site.site_title = "Editorial"
admin.site.index_title = "Corrected, sourced, approved answers"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Logs and records: seen, never written, through the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(DocumentExportMixin, ReadOnlyAdmin):
    list_display = ["name", "subject", "answer_count", *[f"count_{s}" for s in Status.values]]
    list_filter = ["subject"]
    search_fields = ["name", "subject"]
    readonly_fields = ["name", "subject", "content_hash", "imported_at", "imported_by"]
    actions = [export_selected_documents]

    def get_queryset(self, request):
        counts = {
            f"n_{status}": Count("answers", filter=Q(answers__status=status))
            for status in Status.values
        }
        return super().get_queryset(request).annotate(n_answers=Count("answers"), **counts)

    change_list_template = "admin/editorial/document/change_list.html"

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="editorial_document_import",
            ),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": workflow.can_import(request.user)}
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        """Upload files; each is imported whole or not at all, as by import_answers."""
        if not workflow.can_import(request.user):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            summary = _import_uploads(form.cleaned_data["files"], user=request.user)
            for result in summary.failed:
                messages.error(request, result.error)
            level = messages.WARNING if summary.failed else messages.SUCCESS
            messages.add_message(request, level, f"Import: {summary}")
            return HttpResponseRedirect(reverse("admin:editorial_document_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import answers",
            "opts": self.opts,
            "form": form,
        }
        return TemplateResponse(request, "admin/editorial/document/import.html", context)

    @admin.display(description="answers", ordering="n_answers")
    def answer_count(self, obj):
        url = reverse("admin:editorial_answer_changelist") + f"?document__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.n_answers)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Django's documented recipe for several files in one field."""

    def clean(self, data, initial=None):
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class ImportForm(forms.Form):
    files = MultipleFileField(
        widget=MultipleFileInput(attrs={"accept": ".txt,.jsonl,.csv"}),
        help_text="Numbered text (.txt), JSONL or CSV; a file keeps its name as the document.",
    )


def _import_uploads(uploads, *, user) -> ImportSummary:
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for upload in uploads:
            # The name identifies the document; never let it choose a folder.
            target = Path(folder) / Path(upload.name).name
            with target.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            paths.append(target)
        summary = import_paths(paths, user=user)
    for result in summary.files:
        result.path = Path(result.path).name
        result.error = result.error.replace(f"{folder}/", "")
    return summary


def _status_counter(status: str, label: str):
    @admin.display(description=label.lower(), ordering=f"n_{status}")
    def counter(self, obj):
        return getattr(obj, f"n_{status}")

    return counter


for _status, _label in Status.choices:
    setattr(DocumentAdmin, f"count_{_status}", _status_counter(_status, _label))


class SourceInline(admin.StackedInline):
    model = Source
    extra = 0
    # A link typed without a scheme is taken as https, as Django 6 will by default.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = [("url", "title"), ("publisher", "accessed_on"), "excerpt"]

    # Sources are part of the answer's content: editable exactly when the answer is.
    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and _editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and _editable(request, obj)


def _editable(request, answer: Answer | None) -> bool:
    return answer is None or workflow.can_edit(answer, request.user)


class FlagFilter(admin.SimpleListFilter):
    title = "quality flag"
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [("blocking", "Any blocking flag"), ("none", "No flag")] + [
            (code, flag.label) for code, flag in checks.FLAGS.items()
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "blocking":
            return queryset.filter(flag_level=FlagLevel.BLOCKING)
        if value == "none":
            return queryset.filter(flags="")
        if value in checks.FLAGS:
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
        return [("review", "My review queue"), ("drafts", "My drafts"), ("all", "Assigned to me")]

    def queryset(self, request, queryset):
        user = request.user
        if self.value() == "review":
            return queryset.for_reviewer(user)
        if self.value() == "drafts":
            return queryset.drafts_of(user)
        if self.value() == "all":
            return queryset.filter(Q(editor=user) | Q(reviewer=user))
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


class AnswerForm(forms.ModelForm):
    class Meta:
        model = Answer
        fields = ["question", "text"]
        widgets = {
            "question": forms.Textarea(attrs={"rows": 2, "style": "width: 95%"}),
            "text": forms.Textarea(attrs={"rows": 18, "style": "width: 95%"}),
        }


class StepForm(forms.Form):
    """The inputs a workflow step may take; which are used depends on the step."""

    step = forms.CharField()
    comment = forms.CharField(required=False, widget=forms.Textarea)
    reviewer = forms.IntegerField(required=False)
    editor = forms.IntegerField(required=False)


@admin.register(Answer)
class AnswerAdmin(AnswerExportMixin, VersionAdmin):
    form = AnswerForm
    inlines = [SourceInline]
    list_display = [
        "position",
        "short_question",
        "document",
        "status",
        "flag_list",
        "editor",
        "reviewer",
        "updated_at",
    ]
    list_display_links = ["position", "short_question"]
    list_filter = [
        MineFilter,
        "status",
        FlagFilter,
        ("document__subject", admin.AllValuesFieldListFilter),
        ("reviewer", admin.RelatedOnlyFieldListFilter),
        ("editor", admin.RelatedOnlyFieldListFilter),
        ConflictFilter,
        "document",
    ]
    list_select_related = ["document", "editor", "reviewer"]
    search_fields = ["question", "text"]
    ordering = ["document__name", "position"]
    list_per_page = 50
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

    @admin.display(description="question", ordering="question")
    def short_question(self, obj):
        return obj.question if len(obj.question) <= 90 else obj.question[:89] + "…"

    @admin.display(description="flags", ordering="-flag_level")
    def flag_list(self, obj):
        return format_html_join(
            " ",
            '<span class="flag flag-{}" title="{}">{}</span>',
            (
                (checks.FLAGS[code].level.label.lower(), checks.FLAGS[code].label, code)
                for code in obj.flag_codes
            ),
        )

    @admin.display(description="answer with flagged passages")
    def flagged_text(self, obj):
        return format_html('<div class="flagged-text">{}</div>', checks.highlight(obj.text))

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

    def save_model(self, request, obj, form, change):
        """Saved in save_related, once we know whether the sources changed too."""

    def save_related(self, request, form, formsets, change):
        answer = form.instance
        changed = form.has_changed() or any(formset.has_changed() for formset in formsets)
        if changed:
            workflow.begin_edit(answer, user=request.user, comment="Edited in the admin")
            answer.save()
        # Always: unchanged formsets save nothing but set what the change message reads.
        super().save_related(request, form, formsets, change)
        if changed:
            workflow.finish_edit(answer)

    def changelist_view(self, request, extra_context=None):
        # reversion's wrapper would merge every answer of a bulk action into one revision;
        # each workflow step makes its own, as it does everywhere else.
        extra_context = {**(extra_context or {}), "export_links": self.export_links(request)}
        return admin.ModelAdmin.changelist_view(self, request, extra_context)

    # --- workflow on the answer page ----------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/workflow/",
                self.admin_site.admin_view(self.workflow_view),
                name="{}_{}_workflow".format(*info),
            ),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        answer = self.get_object(request, unquote(object_id))
        extra_context = extra_context or {}
        if answer is not None:
            user = request.user
            steps = workflow.available_transitions(answer, user)
            extra_context.update(
                {
                    "steps": steps,
                    "can_choose_reviewer": workflow.may_assign_reviewer(answer, user)
                    or any(step.name == "submit" for step in steps),
                    "refused": workflow.refused_transitions(answer, user),
                    "can_assign_reviewer": workflow.may_assign_reviewer(answer, user),
                    "can_assign_editor": workflow.may_assign_editor(answer, user),
                    "can_claim": workflow.may_claim(answer, user),
                    "can_merge": answer.has_import_conflict and workflow.can_edit(answer, user),
                    "reviewer_choices": workflow.reviewers().order_by("username"),
                    "editor_choices": workflow.editors().order_by("username"),
                    "events": answer.events.select_related("actor"),
                    "approved": ApprovedVersion.objects.filter(answer=answer)
                    .select_related("approved_by")
                    .first(),
                }
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def workflow_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        answer = self.get_object(request, unquote(object_id))
        if answer is None or not self.has_view_permission(request, answer):
            raise PermissionDenied
        form = StepForm(request.POST)
        if not form.is_valid():
            messages.error(request, "The request was incomplete; nothing was changed.")
        else:
            try:
                self._run_step(request, answer, form.cleaned_data)
            except WorkflowError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, f"{answer}: done.")
        return HttpResponseRedirect(reverse("admin:editorial_answer_change", args=[answer.pk]))

    def _run_step(self, request, answer: Answer, data: dict) -> None:
        user, comment, step = request.user, data["comment"], data["step"]
        reviewer = _user_or_none(data.get("reviewer"))
        if step == "submit":
            workflow.submit(answer, user, reviewer=reviewer, comment=comment)
        elif step == "assign_reviewer":
            workflow.assign_reviewer(answer, user, reviewer=reviewer, comment=comment)
        elif step == "assign_editor":
            editor = _user_or_none(data.get("editor"))
            if editor is None:
                raise WorkflowError("Choose an editor.")
            workflow.assign_editor(answer, user, editor, comment=comment)
        elif step == "claim":
            workflow.claim(answer, user)
        elif step == "merge_import":
            workflow.mark_import_merged(answer, user=user, comment=comment)
        elif step in {"withdraw", "approve", "request_changes", "archive", "restore"}:
            getattr(workflow, step)(answer, user, comment=comment)
        else:
            raise WorkflowError(f"Unknown step {step!r}.")

    # --- history: versions with their state; a revert is an edit through the workflow ---

    def history_view(self, request, object_id, extra_context=None):
        answer = self.get_object(request, unquote(object_id))
        if answer is None:
            raise Http404
        if not self.has_view_or_change_permission(request, answer):
            raise PermissionDenied
        versions = (
            Version.objects.get_for_object(answer)
            .select_related("revision", "revision__user")
            .order_by("-revision__date_created", "-pk")
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"History: {answer}",
            "opts": self.opts,
            "object": answer,
            "versions": [
                {
                    "version": version,
                    "status": Status(version.field_dict["status"]).label,
                    "url": reverse("admin:editorial_answer_revision", args=[answer.pk, version.pk]),
                }
                for version in versions
            ],
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.object_history_template, context)

    def revision_view(self, request, object_id, version_id, extra_context=None):
        # reversion's own view writes the old row back, workflow fields included; ours
        # shows the version and reverts only its content, as an edit the rules allow.
        answer = self.get_object(request, unquote(object_id))
        if answer is None or not self.has_view_permission(request, answer):
            raise PermissionDenied
        version = get_object_or_404(
            Version.objects.get_for_object(answer).select_related("revision__user"),
            pk=version_id,
        )
        if request.method == "POST":
            try:
                workflow.revert(answer, user=request.user, version_id=version.pk)
            except WorkflowError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, f"{answer}: reverted; it is a new version now.")
            return HttpResponseRedirect(reverse("admin:editorial_answer_change", args=[answer.pk]))
        data = version.field_dict
        sources = workflow.version_sources(version)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{answer} as of {version.revision.date_created:%Y-%m-%d %H:%M}",
            "opts": self.opts,
            "object": answer,
            "version": version,
            "data": data,
            "status": Status(data["status"]).label,
            "sources": sources,
            "can_revert": workflow.can_edit(answer, request.user),
        }
        return TemplateResponse(request, "admin/editorial/answer/version.html", context)

    def recover_view(self, request, version_id, extra_context=None):
        raise PermissionDenied  # answers are archived, never deleted, so nothing to recover

    def recoverlist_view(self, request, extra_context=None):
        raise PermissionDenied

    # --- bulk actions: each answer goes through the workflow and reports its outcome -----

    def get_actions(self, request):
        actions = super().get_actions(request)
        step_of_action = {
            "claim_selected": "claim",
            "submit_selected": "submit",
            "withdraw_selected": "withdraw",
            "approve_selected": "approve",
            "request_changes_selected": "request_changes",
            "assign_reviewer_selected": "assign_reviewer",
            "balance_reviewers": "assign_reviewer",
            "archive_selected": "archive",
            "restore_selected": "restore",
        }
        allowed = {
            name: workflow.has_part_in(step, request.user) for name, step in step_of_action.items()
        }
        return {name: action for name, action in actions.items() if allowed.get(name, True)}

    def _apply(self, request, queryset, label: str, step) -> None:
        done, refused = [], []
        for answer in queryset.select_related("document"):
            try:
                step(answer)
            except WorkflowError as error:
                refused.append((answer, str(error)))
            else:
                done.append(answer)
        if done:
            messages.success(request, f"{label}: {len(done)} answer(s) done.")
        for answer, reason in refused:
            messages.error(request, f"{label} refused for {answer}: {reason}")

    @admin.action(description="Claim (become their editor)")
    def claim_selected(self, request, queryset):
        self._apply(request, queryset, "Claim", lambda a: workflow.claim(a, request.user))

    @admin.action(description="Submit for review")
    def submit_selected(self, request, queryset):
        self._apply(request, queryset, "Submit", lambda a: workflow.submit(a, request.user))

    @admin.action(description="Withdraw from review")
    def withdraw_selected(self, request, queryset):
        self._apply(request, queryset, "Withdraw", lambda a: workflow.withdraw(a, request.user))

    @admin.action(description="Approve")
    def approve_selected(self, request, queryset):
        self._apply(request, queryset, "Approve", lambda a: workflow.approve(a, request.user))

    @admin.action(description="Request changes…")
    def request_changes_selected(self, request, queryset):
        return self._with_input(
            request,
            queryset,
            action="request_changes_selected",
            title="Request changes",
            need_comment=True,
            run=lambda data: self._apply(
                request,
                queryset,
                "Request changes",
                lambda a: workflow.request_changes(a, request.user, comment=data["comment"]),
            ),
        )

    @admin.action(description="Assign reviewer…")
    def assign_reviewer_selected(self, request, queryset):
        def run(data):
            reviewer = _user_or_none(data.get("reviewer"))
            if reviewer is None:
                messages.error(request, "Choose a reviewer, or use “Balance reviewers”.")
                return
            self._apply(
                request,
                queryset,
                "Assign reviewer",
                lambda a: workflow.assign_reviewer(a, request.user, reviewer=reviewer),
            )

        return self._with_input(
            request,
            queryset,
            action="assign_reviewer_selected",
            title="Assign a reviewer",
            reviewer_choices=workflow.reviewers().order_by("username"),
            run=run,
        )

    @admin.action(description="Balance reviewers (least loaded)")
    def balance_reviewers(self, request, queryset):
        self._apply(
            request,
            queryset.exclude(status__in=[Status.APPROVED, Status.ARCHIVED]),
            "Balance reviewers",
            lambda a: workflow.assign_reviewer(a, request.user),
        )

    @admin.action(description="Archive")
    def archive_selected(self, request, queryset):
        self._apply(request, queryset, "Archive", lambda a: workflow.archive(a, request.user))

    @admin.action(description="Restore from archive")
    def restore_selected(self, request, queryset):
        self._apply(request, queryset, "Restore", lambda a: workflow.restore(a, request.user))

    def _with_input(
        self, request, queryset, *, action, title, run, need_comment=False, reviewer_choices=None
    ):
        """An intermediate page for bulk steps that need a comment or a choice."""
        if request.POST.get("confirm"):
            form = StepForm(request.POST)
            if form.is_valid() and (form.cleaned_data["comment"].strip() or not need_comment):
                run(form.cleaned_data)
                return None
            messages.error(request, "A comment is needed saying what to change.")
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "queryset": queryset,
            "action": action,
            "need_comment": need_comment,
            "reviewer_choices": reviewer_choices,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/editorial/answer/bulk_step.html", context)


def _user_or_none(pk):
    if not pk:
        return None
    return get_user_model().objects.filter(pk=pk).first()


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
    list_display = ["created_at", "created_by", "format", "answer_count", "channel", "sha256"]
    list_filter = ["format", "channel"]
    list_select_related = ["created_by"]
