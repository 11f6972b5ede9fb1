"""Prepare a demo: import fixtures/ and create one account per staff group.

Demo only: it prints passwords. It refuses to run with DEBUG off unless forced.
"""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from editorial.importers import import_paths

DEMO_ACCOUNTS = [
    ("editor", "Editors", "Eda", "Editor"),
    ("reviewer", "Reviewers", "Rey", "Reviewer"),
    ("managing", "Managing editors", "Mona", "Managing"),
]


class Command(BaseCommand):
    help = "Import fixtures/ (idempotent) and (re)create the demo accounts, printing credentials."

    def add_arguments(self, parser):
        parser.add_argument("--fixtures", default=str(Path(settings.BASE_DIR) / "fixtures"))
        parser.add_argument(
            "--force", action="store_true", help="run even with DEBUG off (never in production)"
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("setup_demo prints passwords; it runs only with DEBUG on.")
        summary = import_paths([options["fixtures"]])
        for result in summary.failed:
            self.stderr.write(result.error)
        self.stdout.write(f"Fixtures: {summary}")
        if summary.failed:
            raise CommandError("Some fixtures failed to import.")

        User = get_user_model()
        lines = []
        with transaction.atomic():
            for username, group_name, first, last in DEMO_ACCOUNTS:
                password = secrets.token_urlsafe(9)
                user, _ = User.objects.get_or_create(username=username)
                user.first_name, user.last_name = first, last
                user.email = f"{username}@example.org"
                user.is_staff = True
                user.set_password(password)
                user.save()
                user.groups.set([Group.objects.get(name=group_name)])
                lines.append(f"  {group_name:<17} {username:<9} {password}")
        self.stdout.write("Demo accounts (demo only; new passwords on every run):")
        self.stdout.write(f"  {'group':<17} {'username':<9} password")
        self.stdout.write("\n".join(lines))
