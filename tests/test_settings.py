"""Settings come from the environment, and production settings pass the deploy check."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    clean["ENV_FILE"] = os.devnull  # only what each test passes, not the developer's .env
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="x" * 20 + "a-long-random-production-secret-key-value",
        ALLOWED_HOSTS="editorial.example.org",
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_database_url_selects_postgresql():
    result = manage(
        "shell",
        "-c",
        "from django.db import connection; print(connection.vendor)",
        DEBUG="1",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/editorial",
    )
    assert result.stdout.strip().splitlines()[-1] == "postgresql", result.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_production_command_serves_the_admin_its_static_files_and_health(tmp_path):
    """`python3 dev.py serve`: gunicorn with DEBUG off, WhiteNoise serving the static files."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        SECRET_KEY="x" * 20 + "a-long-random-production-secret-key-value",
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback; a TLS proxy fronts it in production
    )
    server = subprocess.Popen(
        [sys.executable, "dev.py", "serve", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as health:
                    assert json.load(health) == {"status": "ok", "database": "sqlite"}
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "the server did not answer in 90 s"
                time.sleep(0.5)
        with urllib.request.urlopen(f"{base}/static/admin/css/base.css", timeout=5) as css:
            assert css.status == 200 and b"body" in css.read()
        with urllib.request.urlopen(f"{base}/static/editorial/editorial.css", timeout=5) as css:
            assert css.status == 200
        with urllib.request.urlopen(f"{base}/favicon.ico", timeout=5) as icon:  # redirected
            assert icon.status == 200 and icon.headers["Content-Type"] == "image/svg+xml"
            assert icon.url.endswith("/static/editorial/favicon.svg")
        with urllib.request.urlopen(f"{base}/admin/login/", timeout=5) as login:
            page = login.read().decode()
            assert login.status == 200 and "/static/admin/css/base.css" in page
            assert "Server Error" not in page
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _gunicorn(tmp_path, port: int, **declared: str) -> subprocess.Popen:
    """gunicorn as `dev.py serve` starts it (its settings file), DEBUG off, HTTPS required."""
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
    for name in ("BEHIND_TLS_PROXY", "FORWARDED_ALLOW_IPS", "GUNICORN_CMD_ARGS"):
        env.pop(name, None)
    env.update(
        SECRET_KEY="x" * 20 + "a-long-random-production-secret-key-value",
        ALLOWED_HOSTS="127.0.0.1",
        ENV_FILE=os.devnull,
        DATABASE_URL=f"sqlite:///{tmp_path / 'forwarded.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        **declared,
    )
    return subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "--config",
            str(ROOT / "config" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _claims_https(port: int, server: subprocess.Popen) -> int:
    """The status of a plain-HTTP request from 127.0.0.1 saying X-Forwarded-Proto: https:
    301 (to https://) when it is not believed, 200 when it is (no redirect, HSTS sent)."""
    deadline = time.monotonic() + 60
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request(
                "GET",
                "/admin/login/",
                headers={"Host": "127.0.0.1", "X-Forwarded-Proto": "https"},
            )
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                assert "Strict-Transport-Security" in response.headers
            else:
                assert response.headers["Location"].startswith("https://")
            return response.status
        except OSError:
            assert server.poll() is None, server.stdout.read().decode()
            assert time.monotonic() < deadline, "gunicorn did not answer in 60 s"
            time.sleep(0.3)
        finally:
            connection.close()


@pytest.mark.parametrize(
    ("declared", "believed"),
    [
        ({}, False),  # before: believed from 127.0.0.1 (gunicorn's default) without a proxy
        ({"BEHIND_TLS_PROXY": "0"}, False),
        ({"BEHIND_TLS_PROXY": "1"}, True),  # a proxy on this machine
        ({"FORWARDED_ALLOW_IPS": "127.0.0.1"}, True),
        # The proxy is elsewhere: a local process claiming HTTPS is not it.
        ({"BEHIND_TLS_PROXY": "1", "FORWARDED_ALLOW_IPS": "192.0.2.5"}, False),
    ],
)
def test_gunicorn_believes_forwarded_headers_only_from_a_declared_proxy(
    tmp_path, declared, believed
):
    port = _free_port()
    server = _gunicorn(tmp_path, port, **declared)
    try:
        assert _claims_https(port, server) == (200 if believed else 301)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
