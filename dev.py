#!/usr/bin/env python3
"""Set up and run Editorial with nothing but Python installed.

    python3 dev.py run    # virtualenv, dependencies, database, fixtures, demo accounts, admin
                          # and a task worker beside it (imports, exports, e-mail)
    python3 dev.py test   # virtualenv, dependencies, the test suite (extra args go to pytest)
    python3 dev.py serve [ADDRESS]   # production: static files, migrate, gunicorn (and
                                     # TASK_WORKERS task workers, 1 by default), DEBUG off
    python3 dev.py worker  # production: one more task worker, here or on another machine
                           # sharing the PostgreSQL database (settings from the environment)

The virtual environment lives in .venv and is refreshed when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".editorial-installed"


def ensure_environment() -> None:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print("Creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing dependencies …", flush=True)
    subprocess.run(
        [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-e", f"{ROOT}[test]"],
        check=True,
    )  # fmt: skip
    STAMP.write_text(wanted)


def run(*args: str, env: dict[str, str] | None = None) -> None:
    completed = subprocess.run([str(PYTHON), *args], cwd=ROOT, env=env)
    if completed.returncode:
        sys.exit(completed.returncode)


def local_env() -> dict[str, str]:
    """Development settings, also written to .env so plain `manage.py` commands work too."""
    dotenv = ROOT / ".env"
    if not dotenv.exists():
        dotenv.write_text(
            "# Written by dev.py for local development; never commit, never use in production.\n"
            "DEBUG=1\n"
            f"SECRET_KEY=dev-{secrets.token_urlsafe(40)}\n"
        )
    env = dict(os.environ)
    env.setdefault("DEBUG", "1")  # local development and demo only
    # var/static: STATIC_ROOT, filled by collectstatic in production; WhiteNoise wants it to exist.
    (ROOT / "var" / "static").mkdir(parents=True, exist_ok=True)
    return env


# The task worker: Django's tasks framework's database backend (django-tasks-db) runs what
# the admin queued; any number of them, on any machine sharing the database, each task once.
WORKER = ("manage.py", "db_worker", "--queue-name", "*")


def production_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DEBUG", "0")
    env.setdefault("ENV_FILE", os.devnull)
    env.pop("EDITORIAL_AS_OWNER", None)
    return env


def worker() -> None:
    """A production worker: settings from the environment; exec, so a process manager's
    SIGTERM reaches it (it finishes the task in hand, then exits)."""
    os.execve(str(PYTHON), [str(PYTHON), *WORKER, "--no-reload"], production_env())


def serve(address: str) -> None:
    """Production: settings only from the environment (or ENV_FILE), never the local .env.

    With DATABASE_MIGRATE_URL set (PostgreSQL, `manage.py create_db_roles`), migrations run
    as the tables' owner and gunicorn as DATABASE_URL's role, which owns nothing.
    """
    env = production_env()
    run("manage.py", "check", "--deploy", "--database", "default", "--fail-level", "ERROR",
        env=env)  # fmt: skip
    run("manage.py", "collectstatic", "--no-input", "-v", "0", env=env)
    run("manage.py", "migrate", "--no-input", "-v", "0", env={**env, "EDITORIAL_AS_OWNER": "1"})
    gunicorn = str(BIN / "gunicorn")
    # exec: gunicorn receives the signals a process manager sends.
    os.execve(
        gunicorn,
        # Its settings file trusts forwarded headers only from a declared proxy.
        [gunicorn, "config.wsgi", "--config", str(ROOT / "config" / "gunicorn.conf.py"),
         "--bind", address, "--access-logfile", "-", "--chdir", str(ROOT)],
        env,
    )  # fmt: skip


def main(argv: list[str]) -> None:
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    if command not in {"run", "test", "serve", "worker"}:
        sys.exit(__doc__)
    ensure_environment()
    if command == "serve":
        serve(rest[0] if rest else "127.0.0.1:8000")
        return
    if command == "worker":
        worker()
        return
    env = local_env()
    if command == "test":
        run("-m", "pytest", *rest, env=env)
        return
    run("manage.py", "migrate", "--no-input", "-v", "0", env=env)
    run("manage.py", "setup_demo", env=env)
    address = rest[0] if rest else "127.0.0.1:8000"
    print(f"\nAdmin: http://{address}/admin/  (Ctrl-C stops it and its task worker)\n",
          flush=True)  # fmt: skip
    # The worker beside the dev server: it reloads on code changes as runserver does.
    tasks = subprocess.Popen([str(PYTHON), *WORKER], cwd=ROOT, env=env)
    server = subprocess.Popen([str(PYTHON), "manage.py", "runserver", address], cwd=ROOT, env=env)
    interrupted = False
    try:
        returncode = server.wait()
    except KeyboardInterrupt:
        # Ctrl-C reached the server and the worker too: they stop themselves, closing their
        # database connections; no traceback here, and no signal that would cut that short.
        interrupted, returncode = True, 0
    finally:
        for process in (server, tasks):
            if not interrupted:
                process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    if returncode:
        sys.exit(returncode)


if __name__ == "__main__":
    main(sys.argv[1:])
