"""SQLite's write-ahead log goes with the last connection: a process that wrote leaves none
behind for the next one to copy again (editorial.storage.backends.sqlite3). Management
commands close their own thread's connections; a script, or any other thread, did not."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

# A script's write, outside any management command.
SCRIPT = """
import django
django.setup()
from django.contrib.auth.models import Group
Group.objects.create(name="written by a script")
"""
# A write from a thread of its own, whose connection the main thread never sees or closes.
WRITE_FROM_A_THREAD = """
import threading
from django.contrib.auth.models import Group

def write():
    Group.objects.create(name="written from a thread")

thread = threading.Thread(target=write)
thread.start()
thread.join()
"""


def _run(database: Path, *args: str) -> None:
    # This database only, whatever the suite's run was pointed at.
    elsewhere = {"DJANGO_SETTINGS_MODULE", "DATABASE_MIGRATE_URL", "EDITORIAL_AS_OWNER"}
    env = {key: value for key, value in os.environ.items() if key not in elsewhere}
    env.update(DATABASE_URL=f"sqlite:///{database}", DEBUG="1", ENV_FILE=os.devnull,
               DJANGO_SETTINGS_MODULE="config.settings")  # fmt: skip
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr + result.stdout


def _log_left(database: Path) -> list[str]:
    return sorted(
        f"{path.name}: {path.stat().st_size} bytes"
        for path in database.parent.glob(f"{database.name}-*")
    )


def test_processes_that_wrote_leave_no_log(tmp_path):
    database = tmp_path / "editorial.sqlite3"
    _run(database, "manage.py", "migrate", "--no-input")
    _run(database, "-c", SCRIPT)
    assert _log_left(database) == []
    _run(database, "manage.py", "shell", "-c", WRITE_FROM_A_THREAD)
    assert _log_left(database) == []
    _run(database, "manage.py", "shell", "-c", "from django.contrib.auth.models import Group; "
         "assert Group.objects.filter(name__startswith='written').count() == 2")  # fmt: skip
