"""Least privilege on PostgreSQL: an owner role that migrates, a service role that owns nothing.

The documented single-role setup connects as the tables' owner (often a superuser), and an
owner can do anything to history: `ALTER TABLE … DISABLE TRIGGER`, DELETE under
`session_replication_role = replica` (a superuser), TRUNCATE, or simply the transaction-local
switch of migration 0007 (`editorial.history_unlocked`), which any role may set. The triggers
stop mistakes, not whoever holds the keys. So `create_db_roles` makes two roles:

- the owner (say `editorial_owner`): owns the schema, its tables, sequences and functions;
  `dev.py serve` runs migrate as it (DATABASE_MIGRATE_URL), and nothing else. Not a
  superuser, so not `session_replication_role`; as owner it could disable triggers, which
  is why the service never connects as it;
- the service (say `editorial_app`): owns nothing, creates nothing, is no superuser, and
  may only SELECT and INSERT the history (events, revisions, versions, approvals, the
  chain's links) and the export records (the heads they carry prove the chain's end);
  SELECT, INSERT, UPDATE, DELETE the other tables; read django_migrations. Disabling a
  trigger needs ownership, `session_replication_role` a superuser, TRUNCATE, UPDATE and
  DELETE a privilege it lacks: all are refused, and the unlock switch gives it nothing.

Tables a later migration makes get the service's grants through default privileges; after
every migrate `keep_history_insert_only` takes UPDATE, DELETE and TRUNCATE on the history
back from every role but the owner, so a history table added later is covered too.
Whoever holds the owner's or a superuser's password can still rewrite history: the hash
chain (storage.chain) is what shows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections

_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# What the service may only read and insert: the history, and the records of what left.
INSERT_ONLY = [
    "reversion.Revision",
    "reversion.Version",
    "editorial.WorkflowEvent",
    "editorial.ApprovedVersion",
    "editorial.HistoryLink",
    "editorial.ExportRecord",
]
# What the service may only read.
READ_ONLY = ["django_migrations"]


class RoleError(Exception):
    """The roles cannot be made as asked; the message says why."""


def insert_only_tables() -> list[str]:
    return [apps.get_model(label)._meta.db_table for label in INSERT_ONLY]


@dataclass(frozen=True)
class Roles:
    owner: str
    service: str


def create_roles(
    roles: Roles,
    *,
    owner_password: str | None,
    service_password: str | None,
    using: str = DEFAULT_DB_ALIAS,
) -> list[str]:
    """Make (or bring into line) both roles, give the owner the schema and everything in it,
    and grant the service what it needs; return the statements run. Run as a superuser."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise RoleError("Database roles are PostgreSQL's; this database is not PostgreSQL.")
    for name in (roles.owner, roles.service):
        if not _ROLE_NAME.fullmatch(name):
            raise RoleError(
                f"{name!r} is not a role name this command makes: lower-case letters, digits "
                "and underscores, not starting with a digit, at most 63."
            )
    if roles.owner == roles.service:
        raise RoleError("The owner and the service must be two roles.")
    quote = connection.ops.quote_name
    ran: list[str] = []

    def run(statement: str, params=None) -> None:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
        ran.append(statement)

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        me, superuser = cursor.fetchone()
        cursor.execute("SELECT current_database()")
        (database,) = cursor.fetchone()
    if not superuser:
        raise RoleError(
            f"Run this as a superuser (DATABASE_URL connects as {me}, who is not one): it "
            "creates roles and hands the tables to the owner."
        )
    if me in (roles.owner, roles.service):
        raise RoleError(f"{me} is the superuser running this; name other roles.")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolname FROM pg_roles WHERE rolname IN (%s, %s)", [roles.owner, roles.service]
        )
        existing = {name for (name,) in cursor.fetchall()}
    attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
    for name, password, extra in (
        (roles.owner, owner_password, ""),
        (roles.service, service_password, " NOINHERIT"),
    ):
        verb = "ALTER" if name in existing else "CREATE"
        if password is None:
            run(f"{verb} ROLE {quote(name)} {attributes}{extra}")
        else:
            run(f"{verb} ROLE {quote(name)} {attributes}{extra} PASSWORD %s", [password])
    owner, service = quote(roles.owner), quote(roles.service)
    run(f"GRANT CONNECT, TEMPORARY ON DATABASE {quote(database)} TO {owner}")
    run(f"GRANT CONNECT ON DATABASE {quote(database)} TO {service}")
    run(f"ALTER SCHEMA public OWNER TO {owner}")
    run("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    run(f"GRANT USAGE ON SCHEMA public TO {service}")
    for statement in _ownership(connection, owner):
        run(statement)
    # What migrate makes later, as the owner, the service may use as it uses the rest.
    run(
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {service}"
    )
    run(
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {service}"
    )
    run(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {service}")
    run(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {service}")
    for statement in _restrictions(connection, [roles.service]):
        run(statement)
    return ran


def _ownership(connection, owner: str) -> list[str]:
    """ALTER … OWNER for every table, standalone sequence and function of the schema."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relkind FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') "
            # Sequences owned by a column move with their table.
            "AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d "
            "WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))) ORDER BY c.relname"
        )
        relations = cursor.fetchall()
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'"
        )
        functions = [name for (name,) in cursor.fetchall()]
    quote = connection.ops.quote_name
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
    return [f"ALTER {kinds[kind]} {quote(name)} OWNER TO {owner}" for name, kind in relations] + [
        f"ALTER FUNCTION {name} OWNER TO {owner}" for name in functions
    ]


def _restrictions(connection, grantees: list[str]) -> list[str]:
    """Take back from `grantees` what they may not do to the history and the read-only."""
    quote = connection.ops.quote_name
    present = set(connection.introspection.table_names())
    to = ", ".join(quote(grantee) for grantee in grantees)
    return [
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {quote(table)} FROM {to}"
        for table in insert_only_tables()
        if table in present
    ] + [
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {quote(table)} FROM {to}"
        for table in READ_ONLY
        if table in present
    ]


def keep_history_insert_only(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate: every role the tables were granted to, but their owner, may again only
    read and insert the history (a table a migration just made had the default grants)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    tables = insert_only_tables() + READ_ONLY
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT g.grantee FROM information_schema.role_table_grants g "
            "JOIN pg_tables t ON t.tablename = g.table_name AND t.schemaname = g.table_schema "
            "WHERE g.table_schema = 'public' AND g.table_name = ANY(%s) "
            "AND g.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE', 'INSERT') "
            "AND g.grantee <> t.tableowner "
            "AND pg_has_role(current_user, t.tableowner, 'USAGE')",
            [tables],
        )
        grantees = [name for (name,) in cursor.fetchall() if name != "PUBLIC"]
    if not grantees:
        return
    for statement in _restrictions(connection, grantees):
        with connection.cursor() as cursor:
            cursor.execute(statement)


def service_role_problem(using: str = DEFAULT_DB_ALIAS) -> str | None:
    """Why the role this connection uses could change history, or None (the system check)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    table = apps.get_model("editorial", "WorkflowEvent")._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.rolsuper, t.tableowner = current_user, "
            "has_table_privilege(current_user, t.tablename, 'UPDATE'), "
            "has_table_privilege(current_user, t.tablename, 'DELETE'), current_user "
            "FROM pg_roles r, pg_tables t "
            "WHERE r.rolname = current_user AND t.schemaname = 'public' AND t.tablename = %s",
            [table],
        )
        found = cursor.fetchone()
    if found is None:
        return None  # not migrated yet
    superuser, owner, update, delete, me = found
    if superuser:
        return f"connects as {me}, a superuser"
    if owner:
        return f"connects as {me}, the owner of the history tables"
    if update or delete:
        return f"connects as {me}, who may change or delete the event log"
    return None
