"""The job tests use tests.conftest's db_tasks and run_worker."""
