"""The database backend as production runs it, and its worker run here, in this process."""

from __future__ import annotations

import pytest
from django_tasks_db.management.commands.db_worker import Worker

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker(max_tasks: int | None = None, worker_id: str = "test-worker") -> None:
    """`manage.py db_worker --batch`: every waiting task, then return."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()


@pytest.fixture
def db_tasks(settings, tmp_path):
    """Tasks queued in the database, uploads and exports stored in a scratch folder."""
    settings.TASKS = DATABASE_BACKEND
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return run_worker
