"""Create the staff groups with their permissions, so every deployment has them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen here: a later change of a group's rights is a migration of its own.
GROUP_PERMISSIONS: dict[str, list[str]] = {
    "Editors": [
        "view_document",
        "view_answer",
        "change_answer",
        "view_source",
        "add_source",
        "change_source",
        "delete_source",
        "view_workflowevent",
    ],
    "Reviewers": [
        "view_document",
        "view_answer",
        "review_answer",
        "view_source",
        "view_workflowevent",
    ],
    "Managing editors": [
        "view_document",
        "import_documents",
        "view_answer",
        "assign_answer",
        "archive_answer",
        "export_answers",
        "view_source",
        "view_workflowevent",
        "view_approvedversion",
        "view_exportrecord",
    ],
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; make them exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="editorial", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Unknown permissions for {name}: {sorted(missing)}")
        group.permissions.set(permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUP_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
