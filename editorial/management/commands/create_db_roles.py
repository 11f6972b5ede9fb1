"""Make the two PostgreSQL roles of a least-privilege deployment (editorial.storage.roles)."""

import secrets
from urllib.parse import quote

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from editorial.storage.roles import RoleError, Roles, create_roles


class Command(BaseCommand):
    help = (
        "PostgreSQL: create an owner role, which owns the tables and runs migrations, and a "
        "service role, which owns nothing and may only read and insert the history; hand "
        "the schema to the owner and grant the service what the app needs. Run once as a "
        "superuser (DATABASE_URL), on the database to serve; prints the two URLs to use: "
        "DATABASE_MIGRATE_URL (the owner) and DATABASE_URL (the service)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--owner", default="editorial_owner", help="the owner role's name")
        parser.add_argument("--service", default="editorial_app", help="the service role's name")
        parser.add_argument(
            "--keep-passwords",
            action="store_true",
            help="leave existing roles' passwords as they are (new roles get none: for "
            "peer or certificate authentication)",
        )
        parser.add_argument("--database", default="default")

    def handle(self, *args, **options):
        roles = Roles(owner=options["owner"], service=options["service"])
        passwords = (
            (None, None)
            if options["keep_passwords"]
            else (secrets.token_urlsafe(24), secrets.token_urlsafe(24))
        )
        try:
            with transaction.atomic(using=options["database"]):
                ran = create_roles(
                    roles,
                    owner_password=passwords[0],
                    service_password=passwords[1],
                    using=options["database"],
                )
        except RoleError as error:
            raise CommandError(str(error)) from None
        if options["verbosity"] > 1:
            for statement in ran:
                self.stderr.write(statement.replace("%s", "…"))
        settings_dict = settings.DATABASES[options["database"]]
        self.stdout.write(
            f"Roles {roles.owner} (owns the tables, runs migrations) and {roles.service} "
            "(the service: reads and inserts history, changes nothing of it) are ready. Use:"
        )
        self.stdout.write(f"DATABASE_MIGRATE_URL={_url(settings_dict, roles.owner, passwords[0])}")
        self.stdout.write(f"DATABASE_URL={_url(settings_dict, roles.service, passwords[1])}")


def _url(settings_dict: dict, user: str, password: str | None) -> str:
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    login = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    return f"postgres://{login}@{host}{port}/{quote(settings_dict['NAME'], safe='')}"
