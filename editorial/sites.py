"""The admin site: its names, and a home page that leads each person to their work.

Outside the editorial.admin package on purpose: importing the site must not import the
ModelAdmins, which register on the site while it is being built.
"""

from __future__ import annotations

from django.contrib import admin


class EditorialAdminSite(admin.AdminSite):
    site_header = "Editorial"
    site_title = "Editorial"
    index_title = "Your work"
    index_template = "admin/editorial/home.html"
    # The answer list needs the width (a 1,366 px screen); the home page and the
    # breadcrumbs lead everywhere the sidebar did.
    enable_nav_sidebar = False

    def index(self, request, extra_context=None):
        # Imported here: the site is built while the admin modules are still registering.
        from editorial.admin.home import home_context

        return super().index(request, {**home_context(request), **(extra_context or {})})
