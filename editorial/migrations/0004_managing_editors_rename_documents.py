"""Managing editors may rename documents (the title people read); nobody else may."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(
        content_type__app_label="editorial", codename="change_document"
    )
    Group.objects.get(name="Managing editors").permissions.add(permission)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(
        content_type__app_label="editorial", codename="change_document"
    )
    Group.objects.get(name="Managing editors").permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [("editorial", "0003_document_title_notice")]

    operations = [migrations.RunPython(grant, revoke)]
