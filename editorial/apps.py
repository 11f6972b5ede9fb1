from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class EditorialConfig(AppConfig):
    name = "editorial"
    verbose_name = "Editorial"
    default_auto_field = "django.db.models.BigAutoField"
    default = True

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate, pre_delete
        from reversion.models import Revision, Version
        from reversion.signals import post_revision_commit

        from editorial import checks  # noqa: F401 - registers the settings' system checks
        from editorial.storage import chain, history, roles
        from editorial.webhooks import outbox  # noqa: F401 - writes events with their steps

        # History that cannot be erased: see editorial.storage.history and migration 0007.
        connection_created.connect(history.install_sqlite_function)
        for model in (Revision, Version):
            pre_delete.connect(history.refuse_delete, sender=model)
        # Every revision reversion saves is sealed into the hash chain as its transaction
        # commits (editorial.storage.chain); the bulk paths note theirs themselves.
        post_revision_commit.connect(chain.noted)
        # PostgreSQL with an owner and a service role (create_db_roles): after each migrate,
        # the service may again only read and insert the history, new tables included.
        post_migrate.connect(roles.keep_history_insert_only, sender=self)


class EditorialAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with a home page that shows each person their own work."""

    default = False
    default_site = "editorial.sites.EditorialAdminSite"
