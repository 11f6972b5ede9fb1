"""/api/v1/: the API's endpoints and OpenAPI document, its docs page, JSON 404s."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import cache_control

from editorial.api.views import api


@cache_control(public=True, max_age=300)
def docs(request):
    """The endpoints as a page people read, from the OpenAPI document (no script)."""
    schema = api.get_openapi_schema()
    operations = [
        {
            "method": method.upper(),
            "path": route,  # the document's paths carry the /api/v1/ prefix already
            "summary": operation.get("summary", ""),
            "description": operation.get("description", ""),
            "parameters": operation.get("parameters", []),
            "responses": sorted(operation.get("responses", {}).items()),
        }
        for route, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]
    return render(request, "api/docs.html", {"info": schema["info"], "operations": operations})


def not_found(request, rest: str = ""):
    return JsonResponse(
        {"error": "not_found", "reason": f"/api/v1/{rest} is no endpoint of this API."},
        status=404,
    )


urlpatterns = [
    path("docs", docs, name="api-docs"),
    path("", api.urls),
    path("<path:rest>", not_found),
]
