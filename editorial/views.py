"""The few views outside the admin."""

from __future__ import annotations

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the app answers and its database does; 503 otherwise (for load balancers)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure means "not healthy"
        return JsonResponse({"status": "error", "database": type(error).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


@require_GET
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """The icon: browsers ask for /favicon.ico on every page, and log each 404 as an error."""
    return HttpResponseRedirect(static("editorial/favicon.svg"))


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """The login page again when django-axes refuses a locked-out sign-in (AXES_LOCKOUT_CALLABLE):
    who is locked, until when and how to get in sooner, not axes' bare line of text.

    429 Too Many Requests, as axes answers; the password was not even checked.
    """
    username = get_client_username(request, credentials) or ""
    attempt = (
        AccessAttempt.objects.filter(
            username=username, ip_address=getattr(request, "axes_ip_address", None)
        )
        .order_by("-attempt_time")
        .first()
    )
    cool_off = get_cool_off(request)
    started = attempt.attempt_time if attempt is not None else timezone.now()
    index = reverse("admin:index")
    wanted = request.POST.get("next") or request.GET.get("next") or index
    if not url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        wanted = index
    context = {
        **admin.site.each_context(request),
        "title": "Log in",
        "subtitle": None,
        "app_path": request.get_full_path(),
        "form": AdminAuthenticationForm(request, initial={"username": username}),
        "next": wanted,
        "locked_username": username,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "locked_until": started + cool_off if cool_off else None,
        "cool_off_minutes": round(cool_off.total_seconds() / 60) if cool_off else None,
    }
    return render(request, "admin/editorial/locked_out.html", context, status=429)
