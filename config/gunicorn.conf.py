"""gunicorn's settings for `python3 dev.py serve`: forwarded headers only from a declared proxy.

gunicorn believes X-Forwarded-Proto (and so tells Django a request came over HTTPS) from the
addresses in `forwarded_allow_ips`, which defaults to 127.0.0.1 and ::1: anyone on the
machine, or any local process relaying a client's headers, could claim HTTPS. Here nobody is
trusted unless the deployment declares its proxy, as it declares everything else, in the
environment (or ENV_FILE, read the way config/settings.py reads it):

- BEHIND_TLS_PROXY=1: a TLS proxy on this machine (127.0.0.1, ::1) sets X-Forwarded-Proto;
- FORWARDED_ALLOW_IPS=addresses or networks: the proxy is there (implies the above).

Django does not read the header itself (SECURE_PROXY_SSL_HEADER stays None): it takes the
scheme gunicorn worked out, so there is one place that decides, and it checks the peer.

The master also starts TASK_WORKERS task workers (`manage.py db_worker`, default 1) once it
is ready and stops them when it exits, so `dev.py serve` alone imports, exports and mails;
TASK_WORKERS=0 where the workers run elsewhere (`dev.py worker` on other machines).
"""

import os
import subprocess
import sys
from pathlib import Path

import environ

env = environ.Env()
environ.Env.read_env(
    env.str("ENV_FILE", default=str(Path(__file__).resolve().parent.parent / ".env"))
)

_declared = env.str("FORWARDED_ALLOW_IPS", default="").strip()
if not _declared and env.bool("BEHIND_TLS_PROXY", default=False):
    _declared = "127.0.0.1,::1"

forwarded_allow_ips = _declared
# gunicorn's documented starting point, (2 x cores) + 1 workers, rather than its default of
# one: with one, /healthz and every page waited behind a slow request (13.8 s behind an
# upload before imports moved to tasks; up to 0.2 s behind job-status polls during one).
# WEB_CONCURRENCY still decides where it is set.
workers = env.int("WEB_CONCURRENCY", default=2 * (os.cpu_count() or 1) + 1)
# Each worker tells the master it lives by touching a file between requests; gunicorn's
# docs warn that on a disk-backed folder this may block a worker "for arbitrary time",
# which is what a big import's commit does to the disk. In memory where the system has it.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
# The one header the proxy is documented to set (.env.example); gunicorn's other defaults
# (X-Forwarded-Ssl, X-Forwarded-Protocol) are headers nobody here promised to overwrite.
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

_task_workers: list[subprocess.Popen] = []


def when_ready(server) -> None:
    root = Path(__file__).resolve().parent.parent
    # Beside the web workers on one machine, a long import must not slow the pages: the
    # task workers run at a lower CPU priority (TASK_WORKER_NICE, 0 for the same).
    nice = env.int("TASK_WORKER_NICE", default=10)
    for _ in range(env.int("TASK_WORKERS", default=1)):
        _task_workers.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--no-reload"],
                cwd=root,
                preexec_fn=lambda: os.nice(nice),  # in the child, before it runs Python
            )
        )


def on_exit(server) -> None:
    # SIGTERM: each worker finishes the task in hand (a file is whole or not at all anyway).
    for process in _task_workers:
        process.terminate()
    for process in _task_workers:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
