"""Export from the admin: the answer list as currently filtered, or selected documents.

Only holders of the export permission (managing editors) see the links and the action,
and the views check it again, so a typed URL is refused too. The export runs as a job
(editorial.tasks.exports): the request answers at once with the job's page, a worker
writes the file and its sha256, and the page links the download.
"""

from __future__ import annotations

import copy

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import (
    ALL_VAR,
    ERROR_FLAG,
    IS_FACETS_VAR,
    IS_POPUP_VAR,
    ORDER_VAR,
    PAGE_VAR,
    TO_FIELD_VAR,
)
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBadRequest, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode

from editorial import tasks, workflow
from editorial.exporters import FORMATS

FORMAT_PARAM = "format"
# Changelist parameters that change the page, not which answers are listed.
_NOT_FILTERS = {
    FORMAT_PARAM,
    PAGE_VAR,
    ORDER_VAR,
    ERROR_FLAG,
    ALL_VAR,
    IS_FACETS_VAR,
    IS_POPUP_VAR,
    TO_FIELD_VAR,
}


def _filters(request: HttpRequest) -> dict[str, str | list[str]]:
    return {
        key: values[0] if len(values) == 1 else values
        for key, values in sorted(request.GET.lists())
        if key not in _NOT_FILTERS
    }


class AnswerExportMixin:
    """Adds "export/?format=…&<the list's filters>" to the answer admin, and buttons that
    POST to it (a GET only asks: following a link must not start a job).

    The admin's changelist_view puts export_links(request) in its extra_context: AnswerAdmin
    calls ModelAdmin.changelist_view directly (to skip reversion's wrapper), so a
    changelist_view here would never run.
    """

    change_list_template = "admin/editorial/answer/change_list.html"

    def get_urls(self):
        return [self.page_path("export/", self.export_view, "export"), *super().get_urls()]

    def export_links(self, request: HttpRequest) -> list[dict[str, str]]:
        """One link per format carrying the list's current filters; none for non-exporters."""
        if not workflow.can_export(request.user):
            return []
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_export")
        filters = _filters(request)
        return [
            {
                "format": name,
                "label": export_format.label,
                "url": f"{url}?{urlencode({**filters, FORMAT_PARAM: name}, doseq=True)}",
            }
            for name, export_format in FORMATS.items()
        ]

    def export_view(self, request: HttpRequest):
        if not workflow.can_export(request.user):
            raise PermissionDenied
        format_name = request.GET.get(FORMAT_PARAM)
        if format_name not in FORMATS:
            return HttpResponseBadRequest(
                f"Unknown export format; choose one of {', '.join(FORMATS)}."
            )
        # The changelist builds the same filtered queryset the list shows (filters,
        # search, "my work"); paging and ordering do not change what is exported.
        list_request = copy.copy(request)
        list_request.GET = QueryDict(mutable=True)
        for key, values in request.GET.lists():
            if key not in _NOT_FILTERS:
                list_request.GET.setlist(key, values)
        try:
            # Checked here, so a bad link is refused at once; the worker builds it again.
            self.get_changelist_instance(list_request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("The list filters in this link are not valid.")
        if request.method != "POST":
            # A link followed (a bookmark, a prefetch, a crawler) starts nothing: it asks.
            context = {
                **self.admin_site.each_context(request),
                "title": f"Export approved answers as {FORMATS[format_name].label}",
                "opts": self.opts,
                "export_format": FORMATS[format_name],
                "filtered": bool(_filters(request)),
                "list_url": reverse(
                    f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"
                )
                + (f"?{list_request.GET.urlencode()}" if list_request.GET else ""),
            }
            return TemplateResponse(request, "admin/editorial/answer/export.html", context)
        job = tasks.start_export(
            user=request.user, format_name=format_name, changelist=_filters(request)
        )
        return HttpResponseRedirect(reverse("admin:editorial_job_change", args=[job.pk]))


class DocumentExportMixin:
    """Lets DocumentAdmin offer export_selected_documents to exporters only."""

    def has_export_permission(self, request: HttpRequest) -> bool:
        return workflow.can_export(request.user)


@admin.action(description="Export selected documents…", permissions=["export"])
def export_selected_documents(modeladmin, request, queryset):
    """Ask for a format, then stream the approved answers of the chosen documents."""
    if not workflow.can_export(request.user):
        raise PermissionDenied
    documents = list(queryset.order_by("name"))
    format_name = request.POST.get(FORMAT_PARAM)
    if format_name in FORMATS:
        stem = documents[0].name.rsplit(".", 1)[0] if len(documents) == 1 else "documents"
        job = tasks.start_export(
            user=request.user,
            format_name=format_name,
            documents=[document.name for document in documents],
            stem=f"approved-answers-{stem}",
        )
        return HttpResponseRedirect(reverse("admin:editorial_job_change", args=[job.pk]))
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Export approved answers",
        "opts": modeladmin.opts,
        "documents": documents,
        "formats": FORMATS.values(),
        "action": "export_selected_documents",
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "format_param": FORMAT_PARAM,
    }
    return TemplateResponse(request, "admin/editorial/document/export.html", context)
