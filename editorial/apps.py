from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class EditorialConfig(AppConfig):
    name = "editorial"
    verbose_name = "Editorial"
    default_auto_field = "django.db.models.BigAutoField"
    default = True


class EditorialAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with a home page that shows each person their own work."""

    default = False
    default_site = "editorial.sites.EditorialAdminSite"
