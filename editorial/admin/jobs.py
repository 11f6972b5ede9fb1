"""Jobs in the admin: the page a person follows an import or export on, its status as JSON
for the page's script (editorial/static/editorial/job.js), cancel, and an export's download.

Who started a job sees it; managing editors (who may import) see every import. Every view
asks again, so a typed URL is refused like a link never shown.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from editorial import tasks, workflow
from editorial.exporters import FORMATS
from editorial.importers import FileResult, ImportSummary, document_reports
from editorial.models import Document, Job, JobKind, JobState

COUNTS = ("created", "updated", "unchanged", "conflicting")
# Warnings listed per file on the job page (the rest are counted).
WARNINGS_SHOWN = 20


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["__str__", "state", "created_by", "created_at", "files_done", "answers_done"]
    list_filter = ["kind", "state"]
    list_select_related = ["created_by"]

    def has_module_permission(self, request) -> bool:
        return workflow.can_import(request.user) or workflow.can_export(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        if obj is not None:
            return tasks.can_see(request.user, obj)
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return False  # jobs are started by an import or an export

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        jobs = super().get_queryset(request)
        if request.user.is_superuser:
            return jobs
        if workflow.can_import(request.user):
            return jobs.filter(kind=JobKind.IMPORT) | jobs.filter(created_by=request.user)
        return jobs.filter(created_by=request.user)

    def get_urls(self):
        def page(route, view, name):
            return path(route, self.admin_site.admin_view(view), name=f"editorial_job_{name}")

        return [
            page("<path:object_id>/status/", self.status_view, "status"),
            page("<path:object_id>/cancel/", require_POST(self.cancel_view), "cancel"),
            page("<path:object_id>/download/", self.download_view, "download"),
        ] + super().get_urls()

    def job_shown(self, request, object_id) -> Job:
        """404 for no such job, 403 for one this person may not see."""
        try:
            job = Job.objects.select_related("created_by").get(pk=int(unquote(object_id)))
        except (Job.DoesNotExist, ValueError):
            raise Http404 from None
        if not tasks.can_see(request.user, job):
            raise PermissionDenied
        return tasks.fail_if_lost(job)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.job_shown(request, object_id)
        documents = Document.objects.in_bulk(
            [result["document_id"] for result in job.results if result.get("document_id")]
        )
        results = [
            {
                **result,
                "document": documents.get(result.get("document_id")),
                "warnings_shown": result["warnings"][:WARNINGS_SHOWN],
                "warnings_hidden": max(0, len(result["warnings"]) - WARNINGS_SHOWN),
            }
            for result in job.results
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": str(job),
            "subtitle": "",
            "opts": self.opts,
            "job": job,
            "results": results,
            "failed": [result for result in results if result["error"]],
            "status_url": reverse("admin:editorial_job_status", args=[job.pk]),
            "cancel_url": reverse("admin:editorial_job_cancel", args=[job.pk]),
            "download_url": (
                reverse("admin:editorial_job_download", args=[job.pk]) if job.output else ""
            ),
            "can_cancel": not job.finished and not job.cancel_requested,
            **(_reports(job, documents) if job.kind == JobKind.IMPORT and job.finished else {}),
        }
        return TemplateResponse(request, "admin/editorial/job.html", context)

    def history_view(self, request, object_id, extra_context=None):
        self.job_shown(request, object_id)  # 404 or 403, not Django's redirect
        return super().history_view(request, object_id, extra_context)

    def status_view(self, request, object_id):
        job = self.job_shown(request, object_id)
        return JsonResponse(tasks.status(job))

    def cancel_view(self, request, object_id):
        job = self.job_shown(request, object_id)
        try:
            tasks.request_cancel(job, user=request.user)
        except tasks.JobError as error:
            messages.error(request, str(error))
        return HttpResponseRedirect(reverse("admin:editorial_job_change", args=[job.pk]))

    def download_view(self, request, object_id):
        job = self.job_shown(request, object_id)
        if job.kind != JobKind.EXPORT or not workflow.can_export(request.user):
            raise PermissionDenied
        if job.state != JobState.SUCCEEDED or not job.output:
            raise Http404
        return FileResponse(
            default_storage.open(job.output, "rb"),
            as_attachment=True,
            filename=job.output_name,
            content_type=FORMATS[job.inputs["format"]].content_type,
        )


def _reports(job: Job, documents: dict) -> dict:
    """What the finished import's documents hold now: answers, flags, claims (as the
    import page showed after a synchronous upload)."""
    written = [
        FileResult(
            path=result["path"],
            document=documents[result["document_id"]],
            **{name: result[name] for name in COUNTS},
        )
        for result in job.results
        if result.get("document_id") in documents
    ]
    reports = document_reports(ImportSummary(files=written))
    every = ImportSummary(
        files=[
            FileResult(
                path=result["path"],
                error=result["error"],
                warnings=result["warnings"],
                **{name: result[name] for name in COUNTS},
            )
            for result in job.results
        ]
    )
    return {"reports": reports, "unlisted": len(written) - len(reports), "summary": every}
