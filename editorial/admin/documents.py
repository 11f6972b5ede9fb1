"""Documents: one per imported file, with answer counts by status and the import page."""

from __future__ import annotations

from collections import Counter

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, TooManyFilesSent
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views import defaults

from editorial import tasks, workflow
from editorial.admin.exports import DocumentExportMixin, export_selected_documents
from editorial.admin.home import progress_counts
from editorial.models import Document, Status


class CountedPageChangeList(ChangeList):
    """The Documents list with its answers counted for the page's rows only.

    Annotating the counts on the list's queryset grouped every document's answers before
    the page kept its 100, and made the list's own count a count over that join: both grew
    with the database. Here the list pages plain documents and one aggregated query counts
    the answers of the rows shown. So the count columns do not sort: sorting by them would
    need every document's counts again.
    """

    def __init__(self, *args, **kwargs):
        # The answer list and a document's change page, reversed once for the page; each
        # row's links are these with its id (reverse() per row and column was a fifth of
        # the list's time).
        self.answers_url = reverse("admin:editorial_answer_changelist")
        self.change_url = reverse("admin:editorial_document_change", args=[0])
        super().__init__(*args, **kwargs)

    def url_for_result(self, result) -> str:
        return self.change_url.replace("/0/", f"/{result.pk}/", 1)

    def get_results(self, request) -> None:
        super().get_results(request)
        rows = self.result_list
        counted = (
            Document.objects.filter(pk__in=[document.pk for document in rows])
            .annotate(**progress_counts())
            .values("pk", *progress_counts())
        )
        by_pk = {row.pop("pk"): row for row in counted}
        for document in rows:
            for name, value in by_pk[document.pk].items():
                setattr(document, name, value)
            document.answers_url = f"{self.answers_url}?document__id__exact={document.pk}"


@admin.register(Document)
class DocumentAdmin(DocumentExportMixin, admin.ModelAdmin):
    list_display = [
        "document", "answer_count", "live_count", *[f"count_{s}" for s in Status.values]
    ]  # fmt: skip
    list_display_links = ["document"]
    list_per_page = 50  # as the answer list: a page is what a person reads
    show_full_result_count = False  # one count per page, not a second of every document
    list_filter = ["subject"]
    search_fields = ["title", "name", "subject"]
    # Only the title and how long approvals hold are anyone's to change (managing editors,
    # who alone hold change_document): the rest is what was imported.
    fields = [
        "title", "review_interval_days", "name", "subject", "content_hash", "imported_at",
        "imported_by",
    ]  # fmt: skip
    readonly_fields = ["name", "subject", "content_hash", "imported_at", "imported_by"]
    actions = [export_selected_documents]

    def has_add_permission(self, request):
        return False  # documents come from imports

    def has_delete_permission(self, request, obj=None):
        return False  # their answers' history must survive

    @admin.display(description="document", ordering="title")
    def document(self, obj):
        """The title people read, the file name beneath it in small type."""
        return render_to_string("admin/editorial/document/_name.html", {"document": obj})

    def get_changelist(self, request, **kwargs):
        return CountedPageChangeList

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Named by its title, not Django's "Change document".
        document = self.get_object(request, object_id) if object_id else None
        if document is not None:
            extra_context = {**(extra_context or {}), "title": document.label, "subtitle": ""}
        return super().changeform_view(request, object_id, form_url, extra_context)

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
        extra_context = {
            **(extra_context or {}),
            "can_import": workflow.can_import(request.user),
            "title": "Documents",
        }
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        """Upload files: stored, then imported by a worker, each whole or not at all (as by
        import_answers); the answer is the job's page, at once."""
        if not workflow.can_import(request.user):
            raise PermissionDenied
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # the form's own checks still apply
        if request.method == "POST" and length > (_limits()[1] + 1) * MB:
            # Far over the limit: refused before the files are read or parsed (Django has
            # already spooled them to temporary files on disk, not to memory).
            return self.refused_upload(
                request,
                f"That upload is {length / MB:.0f} MB; the limit is {_limits()[1]} MB an upload. "
                "Import the files in several uploads.",
            )
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            # Stored and queued, not imported here: the job page follows the worker.
            job = tasks.start_import(form.cleaned_data["files"], user=request.user)
            return HttpResponseRedirect(reverse("admin:editorial_job_change", args=[job.pk]))
        return self.import_page(request, form)

    def import_page(self, request, form: ImportForm, status: int = 200) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "Import answers",
            "opts": self.opts,
            "form": form,
        }
        return TemplateResponse(
            request, "admin/editorial/document/import.html", context, status=status
        )

    def refused_upload(self, request, reason: str, status: int = 200) -> TemplateResponse:
        """The import page again, the upload refused as the form's error on its files."""
        form = ImportForm(data={}, files={})
        form.errors["files"] = form.error_class([reason])
        return self.import_page(request, form, status=status)

    @admin.display(description="answers")
    def answer_count(self, obj):
        return format_html('<a href="{}">{}</a>', obj.answers_url, obj.n_answers)

    @admin.display(description="live (approved version exported)")
    def live_count(self, obj):
        return format_html('<a href="{}&amp;live=yes">{}</a>', obj.answers_url, obj.n_live)


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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        per_file, per_upload = _limits()
        self.fields[
            "files"
        ].help_text += (
            f" Up to {files_limit()} files and {per_upload} MB an upload, {per_file} MB a file."
        )

    def clean_files(self):
        uploads = self.cleaned_data["files"]
        per_file, per_upload = _limits()
        problems = []
        too_big = [upload for upload in uploads if upload.size > per_file * MB]
        for upload in too_big:
            problems.append(
                f"{upload.name} is {upload.size / MB:.1f} MB; the limit is {per_file} MB a "
                "file. Split it into smaller files."
            )
        total = sum(upload.size for upload in uploads)
        if total > per_upload * MB:
            problems.append(
                f"These files come to {total / MB:.1f} MB; the limit is {per_upload} MB an "
                "upload. Import them in several uploads."
            )
        names = Counter(upload.name for upload in uploads)
        for name, count in names.items():
            if count > 1:
                problems.append(
                    f"{count} files are named {name}: a name is a document, so only one of them "
                    "can be imported. Rename them or upload them separately."
                )
        if problems:
            raise forms.ValidationError(problems)
        return uploads


MB = 1024 * 1024


def _limits() -> tuple[int, int]:
    return settings.EDITORIAL_IMPORT_MAX_FILE_MB, settings.EDITORIAL_IMPORT_MAX_UPLOAD_MB


def files_limit() -> int:
    """Django's own cap on the files of one request (DATA_UPLOAD_MAX_NUMBER_FILES)."""
    return settings.DATA_UPLOAD_MAX_NUMBER_FILES


def bad_request(request, exception=None):
    """handler400: Django's page, except for an import over Django's cap on files.

    Django refuses such a request while reading it, before any view (the CSRF check reads
    the form first): the import page then says so as its form's error, naming the limit,
    to whoever may import; everyone else gets Django's bare 400.
    """
    match = getattr(request, "resolver_match", None)
    if (
        isinstance(exception, TooManyFilesSent)
        and match is not None
        and match.view_name == "admin:editorial_document_import"
        and admin.site.has_permission(request)
        and workflow.can_import(request.user)
    ):
        return admin.site.get_model_admin(Document).refused_upload(
            request,
            f"That upload has more than {files_limit()} files; the limit is {files_limit()} "
            "files an upload. Import them in several uploads.",
            status=400,
        )
    return defaults.bad_request(request, exception)


def _status_counter(status: str, label: str):
    @admin.display(description=label.lower())
    def counter(self, obj):
        return getattr(obj, f"n_{status}")

    return counter


for _status, _label in Status.choices:
    setattr(DocumentAdmin, f"count_{_status}", _status_counter(_status, _label))
