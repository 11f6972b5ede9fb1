from django.contrib import admin
from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from editorial.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    # Browsers ask for /favicon.ico on every page; a 404 there is a console error on each.
    path("favicon.ico", RedirectView.as_view(url=static("editorial/favicon.svg"))),
    path("admin/", admin.site.urls),
]
