"""Least privilege on PostgreSQL, end to end: a database made as the README makes one (roles by
`create_db_roles`, migrated as the owner by `dev.py serve`, served as the service role), the
app's work done as the service role, then every way the issue found to change history tried
as that role, each refused."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
HISTORY = [
    "editorial_workflowevent",
    "reversion_revision",
    "reversion_version",
    "editorial_approvedversion",
    "editorial_historylink",
]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif("connection.vendor != 'postgresql'"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """The test's PostgreSQL server, reached as the superuser the suite connects as."""

    def __init__(self) -> None:
        settings = connection.settings_dict
        self.host, self.port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
        self.user, self.password = settings["USER"], settings["PASSWORD"] or ""

    def url(self, database: str, user: str | None = None, password: str | None = None) -> str:
        user = user or self.user
        password = self.password if user == self.user else password
        login = f"{user}:{password}" if password else user
        return f"postgres://{login}@{self.host}:{self.port}/{database}"

    def run(self, *statements: str, database: str = "postgres") -> None:
        with psycopg.connect(self.url(database), autocommit=True) as admin:
            for statement in statements:
                admin.execute(statement)


def manage(*args: str, database_url: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    clean.update(ENV_FILE=os.devnull, DEBUG="1", DATABASE_URL=database_url, **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """A new database, its two roles, migrated as the owner and served as the service by
    `dev.py serve`, with a day's work done as the service role."""
    cluster = Cluster()
    suffix = os.getpid()
    database, owner, service = (
        f"editorial_hist_roles_{suffix}",
        f"edhist_owner_{suffix}",
        f"edhist_app_{suffix}",
    )
    cluster.run(f"DROP DATABASE IF EXISTS {database}", f"CREATE DATABASE {database}")
    server = None
    try:
        made = manage(
            "create_db_roles", "--owner", owner, "--service", service,
            database_url=cluster.url(database),
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        urls = dict(
            line.split("=", 1) for line in made.stdout.splitlines() if line.startswith("DATA")
        )
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
        env.update(
            SECRET_KEY="x" * 20 + "a-long-random-production-secret-key-value",
            ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=urls["DATABASE_URL"],
            DATABASE_MIGRATE_URL=urls["DATABASE_MIGRATE_URL"],
            STATIC_ROOT=str(tmp_path_factory.mktemp("static")),
            SECURE_SSL_REDIRECT="0",
        )
        server = subprocess.Popen(
            [sys.executable, "dev.py", "serve", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as up:
                    assert json.load(up)["status"] == "ok"
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "the server did not answer in 120 s"
                time.sleep(0.5)
        as_service = {"database_url": urls["DATABASE_URL"]}
        imported = manage("import_answers", str(ROOT / "fixtures"), **as_service)
        assert imported.returncode == 0, imported.stderr
        worked = manage(
            "shell", "-c", "from tests.history_day import main; main()", **as_service
        )  # fmt: skip
        assert worked.returncode == 0 and "A day's work done" in worked.stdout, worked.stderr
        yield {
            "cluster": cluster,
            "database": database,
            "owner": owner,
            "service": service,
            "urls": urls,
            "port": port,
        }
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        cluster.run(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'"
        )
        cluster.run(f"DROP DATABASE IF EXISTS {database}")
        for role in (service, owner):
            cluster.run(f"DROP ROLE IF EXISTS {role}")


def test_serve_migrates_as_the_owner_and_serves_as_the_service(deployment):
    cluster, database = deployment["cluster"], deployment["database"]
    with psycopg.connect(cluster.url(database)) as admin:
        owners = {
            owner
            for (owner,) in admin.execute(
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
            )
        }
        assert owners == {deployment["owner"]}
        # gunicorn's workers keep their connection (CONN_MAX_AGE): the service role's.
        users = {
            user
            for (user,) in admin.execute(
                "SELECT usename FROM pg_stat_activity WHERE datname = %s", [database]
            )
        }
        assert deployment["service"] in users and deployment["owner"] not in users
        for name, superuser in admin.execute(
            "SELECT rolname, rolsuper FROM pg_roles WHERE rolname IN (%s, %s)",
            [deployment["owner"], deployment["service"]],
        ):
            assert not superuser, name


def test_the_service_does_the_apps_work_and_the_history_verifies(deployment):
    """The day's work (tests/history_day.py: every kind of history write) ran as the service
    role; the chain it sealed verifies."""
    verified = manage("verify_history", database_url=deployment["urls"]["DATABASE_URL"])
    assert verified.returncode == 0, verified.stderr
    assert "History verified" in verified.stdout
    checked = manage(
        "check", "--deploy", "--database", "default",
        database_url=deployment["urls"]["DATABASE_URL"],
    )  # fmt: skip
    assert "editorial.W011" not in checked.stderr + checked.stdout


ATTACKS = [
    *(f"DELETE FROM {table}" for table in HISTORY),
    *(f"UPDATE {table} SET id = id" for table in HISTORY if table != "editorial_historylink"),
    "UPDATE editorial_historylink SET digest = ''",
    *(f"TRUNCATE {table} CASCADE" for table in HISTORY),
    "UPDATE editorial_approvedversion SET text = 'Forged.'",
    "UPDATE editorial_exportrecord SET sha256 = ''",
    "DELETE FROM editorial_exportrecord",
    "SET session_replication_role = replica",
    "SET LOCAL session_replication_role = replica",
    *(f"ALTER TABLE {table} DISABLE TRIGGER USER" for table in HISTORY),
    "ALTER TABLE editorial_workflowevent DISABLE TRIGGER ALL",
    "DROP TRIGGER editorial_workflowevent_permanent ON editorial_workflowevent",
    "CREATE OR REPLACE FUNCTION editorial_history_guard() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN RETURN NULL; END $$",
    "DROP FUNCTION editorial_history_guard() CASCADE",
    "CREATE TABLE editorial_shadow (id int)",
    "ALTER TABLE editorial_workflowevent RENAME TO editorial_workflowevent_old",
    "DROP TABLE editorial_historylink",
    "DELETE FROM django_migrations",
]


@pytest.mark.parametrize("statement", ATTACKS)
def test_the_service_role_is_refused_every_way_round_the_history_guard(deployment, statement):
    cluster, urls = deployment["cluster"], deployment["urls"]
    with psycopg.connect(urls["DATABASE_URL"]) as service:
        # First the switch any role may set, as the attacker did: it gives nothing.
        service.execute("SELECT set_config('editorial.history_unlocked', 'on', true)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            service.execute(statement)
    with psycopg.connect(cluster.url(deployment["database"])) as admin:
        (events,) = admin.execute("SELECT count(*) FROM editorial_workflowevent").fetchone()
        assert events > 40  # all still there


def test_the_owner_cannot_change_session_replication_role_either(deployment):
    with (
        psycopg.connect(deployment["urls"]["DATABASE_MIGRATE_URL"]) as owner,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        owner.execute("SET session_replication_role = replica")


def test_a_history_table_a_later_migration_makes_is_insert_only_for_the_service(deployment):
    """Default privileges give a table a migration makes every grant; after each migrate they
    are taken back from the history (here granted by hand, then taken back by migrating)."""
    owner_url = deployment["urls"]["DATABASE_MIGRATE_URL"]
    with psycopg.connect(owner_url) as owner:
        owner.execute(f"GRANT UPDATE, DELETE ON editorial_historylink TO {deployment['service']}")
    migrated = manage("migrate", "-v", "0", database_url=owner_url)
    assert migrated.returncode == 0, migrated.stderr
    with psycopg.connect(deployment["urls"]["DATABASE_URL"]) as service:
        (update, delete, insert) = service.execute(
            "SELECT has_table_privilege('editorial_historylink', 'UPDATE'), "
            "has_table_privilege('editorial_historylink', 'DELETE'), "
            "has_table_privilege('editorial_historylink', 'INSERT')"
        ).fetchone()
    assert (update, delete, insert) == (False, False, True)
