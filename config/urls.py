from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from editorial.views import favicon, healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("editorial.api.urls")),
]

# An import over Django's cap on files is the import page's form error, not a bare 400.
handler400 = "editorial.admin.documents.bad_request"
# A refusal inside the admin is the admin's page with the reason, not Django's bare 403.
handler403 = "editorial.admin.refusals.permission_denied"
