"""What the answer admin's own pages share: how their URLs are named and which answer they
show (to whom)."""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import URLPattern, path

from editorial.models import Answer


class AnswerPageMixin:
    """Helpers for the pages the answer admin adds to Django's (workflow, claims, review…)."""

    def page_path(self, route: str, view, name: str) -> URLPattern:
        """A page of this admin, behind its login and named like Django's own pages."""
        info = self.opts.app_label, self.opts.model_name
        return path(route, self.admin_site.admin_view(view), name="{}_{}_{}".format(*info, name))

    def answer_shown(self, request, object_id) -> Answer:
        """The answer a page shows or acts on: 404 if there is none, 403 for someone who may
        not see it (what they may do to it is the workflow's to say)."""
        answer = self.get_object(request, unquote(object_id))
        if answer is None:
            raise Http404
        if not self.has_view_permission(request, answer):
            raise PermissionDenied
        return answer

    def answer_acted_on(self, request, object_id) -> Answer:
        """The answer a POST acts on: 403 alike for one that does not exist and one the person
        may not see, so a refused POST tells nothing about which answers exist."""
        answer = self.get_object(request, unquote(object_id))
        if answer is None or not self.has_view_permission(request, answer):
            raise PermissionDenied
        return answer
