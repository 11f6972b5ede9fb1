"""handler403: a refusal inside the admin is an admin page saying why, not a bare 403.

A person signed in to the admin who follows a link (or types an address) their role does
not reach is shown the admin's own page, with its navigation, the reason the view gave
(PermissionDenied's message) or a general one, and who to ask. Everyone else, and the API
(which answers JSON refusals of its own), gets Django's page.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.views import defaults

GENERAL_REASON = "Your account may not open this page or take this action."


def permission_denied(request, exception=None):
    """The 403 page: styled and explained for the admin's signed-in people."""
    match = getattr(request, "resolver_match", None)
    in_admin = match is not None and match.namespace == admin.site.name
    if not in_admin or not admin.site.has_permission(request):
        return defaults.permission_denied(request, exception)
    reason = str(exception or "").strip() or GENERAL_REASON
    context = {
        **admin.site.each_context(request),
        "title": "Not allowed",
        "reason": reason,
        "username": request.user.get_username(),
    }
    response = TemplateResponse(request, "admin/editorial/refused.html", context, status=403)
    return response.render()


class RefusedWithReason:
    """A model admin whose own pages are refused with its `refusal` (which the 403 page
    shows) before Django refuses them without a word: whoever may not view the model."""

    refusal: str = GENERAL_REASON

    def refuse_unless_allowed(self, request) -> None:
        if not self.has_view_permission(request):
            raise PermissionDenied(self.refusal)

    def changelist_view(self, request, extra_context=None):
        self.refuse_unless_allowed(request)
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        self.refuse_unless_allowed(request)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self.refuse_unless_allowed(request)
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self.refuse_unless_allowed(request)
        return super().delete_view(request, object_id, extra_context)
