"""A task that writes down each run of itself, for the exactly-once test's workers."""

from __future__ import annotations

import os
import time

from django_tasks import task


@task()
def record_run(number: int, path: str) -> int:
    time.sleep(0.2)  # long enough for the workers to overlap
    with open(path, "a", encoding="utf-8") as runs:
        runs.write(f"{number} {os.getpid()}\n")
    return number
