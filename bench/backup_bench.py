"""Backup and restore at scale: time, size and memory of `backup`, time of `restore` into an
empty, migrated database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/editorial_backup_bench \\
        .venv/bin/python bench/backup_bench.py 200000 [--runs 3] [--code DIR] [--json PATH]

Grows DATABASE_URL's database (PostgreSQL, a throwaway one) to N answers with
admin_list_bench's builder, then gives every answer its history as an import writes it
(a revision per document, a version and an import event per answer, through
storage.versioning and storage.events, sealed into the history chain), so the backup
carries what a real one does. Then, --runs times each, in a process of its own: `manage.py
backup` to a file, and `manage.py restore` of that file into <database>_restore (dropped,
created and migrated before each run, not timed; dropped at the end). Prints the medians,
the file's size, each process's peak memory (max RSS) and the load average.

--code DIR runs the commands of another checkout (e.g. `git archive main | tar -x -C DIR`),
for a before-and-after; its backup is what that version writes (before: plain JSON).

The lead's suite imports `measure_backup(database_url)` and `measure_restore(path,
empty_database_url)`, which take a built database and return the figures of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
# Backup and restore must derive the same signing key: one secret for both, the bench's own.
SECRET = os.environ.get("SECRET_KEY", "backup-benchmark-only-not-a-deployment-secret-key-0")


def _env(database_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_MIGRATE_URL"}
    env.update(DATABASE_URL=database_url, SECRET_KEY=SECRET, DEBUG="0")
    return env


def _run(args: list[str], database_url: str, code: Path) -> tuple[float, float, str]:
    """manage.py ARGS in a process of its own: (seconds, peak MiB, stderr and stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(code / "manage.py"), *args],
        cwd=code, env=_env(database_url), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{output}")
    return seconds, usage.ru_maxrss / 1024, output


def measure_backup(
    database_url: str, path: Path | None = None, *, code: Path = ROOT
) -> dict[str, float]:
    """One `manage.py backup` of the database to `path` (a temporary file if None; kept):
    seconds, bytes, peak MiB, the path."""
    if path is None:
        path = Path(tempfile.mkstemp(prefix="editorial-backup-", suffix=".jsonl.gz")[1])
    seconds, peak, _ = _run(["backup", str(path)], database_url, code)
    return {
        "seconds": round(seconds, 1),
        "bytes": path.stat().st_size,
        "peak_mib": round(peak, 1),
        "path": str(path),
    }


def empty_database(database_url: str, *, code: Path = ROOT) -> None:
    """The database at the URL dropped if there, created and migrated: as a new deployment."""
    _recreate(database_url)
    _run(["migrate", "--verbosity", "0"], database_url, code)


def measure_restore(path: Path | str, empty_database_url: str, *, code: Path = ROOT) -> dict:
    """One `manage.py restore` of the file into an empty, migrated database: seconds, peak
    MiB, rows restored."""
    seconds, peak, output = _run(["restore", str(path)], empty_database_url, code)
    rows = int(output.split("Restored ")[1].split(" ")[0]) if "Restored " in output else None
    return {"seconds": round(seconds, 1), "peak_mib": round(peak, 1), "rows": rows}


def _server(database_url: str) -> tuple[str, str]:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def _recreate(database_url: str, *, create: bool = True) -> None:
    import psycopg

    server, name = _server(database_url)
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            connection.execute(f'CREATE DATABASE "{name}"')


def build(size: int, database_url: str) -> dict[str, int]:
    """The answers (admin_list_bench's builder), then their history, in a process of its own."""
    code = (
        "import json, sys; sys.path.insert(0, 'bench'); import admin_list_bench, backup_bench; "
        f"admin_list_bench.create_database(); admin_list_bench.build({size}); "
        "print(json.dumps(backup_bench.add_history()))"
    )
    env = _env(database_url) | {"DJANGO_SETTINGS_MODULE": "config.settings"}
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True
    )
    return json.loads(output.stdout.decode().strip().splitlines()[-1])


def counts(database_url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(database_url) as connection:
        return {
            name: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for name, table in (
                ("answers", "editorial_answer"),
                ("versions", "reversion_version"),
                ("events", "editorial_workflowevent"),
            )
        }


def add_history(batch: int = 5000) -> dict[str, int]:
    """Each answer without a version gets what an import writes: a revision per document
    (by the bench's user), a version and an import event per answer. Returns the counts."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.db.models import Max
    from django.utils import timezone
    from reversion.models import Revision, Version

    from editorial.models import Answer, Document, Status, WorkflowEvent
    from editorial.storage import events, versioning

    user, _ = get_user_model().objects.get_or_create(username="bench-importer")
    now = timezone.now()
    while True:
        with transaction.atomic():
            # Documents are given their history in order: resume after the last one done.
            done = WorkflowEvent.objects.filter(action=WorkflowEvent.Action.IMPORT).aggregate(
                last=Max("answer__document")
            )["last"]
            documents = list(
                Document.objects.filter(pk__gt=done or 0)
                .order_by("pk")
                .values_list("pk", "name")[: batch // 20]
            )
            if not documents:
                break
            answers = list(
                Answer.objects.filter(document__in=[pk for pk, _ in documents]).order_by(
                    "document", "position"
                )
            )
            revisions = versioning.create_revisions(
                Revision(date_created=now, user=user, comment=f"Imported from {name}")
                for _, name in documents
            )
            revision_of = dict(zip((pk for pk, _ in documents), revisions, strict=True))
            per_answer = [revision_of[answer.document_id] for answer in answers]
            versioning.write_versions(versioning.versions_of(answers, per_answer))
            events.log(
                [
                    events.Entry(
                        answer.pk,
                        WorkflowEvent.Action.IMPORT,
                        Status.DRAFT,
                        Status.DRAFT,
                        "From the benchmark",
                    )
                    for answer in answers
                ],  # fmt: skip
                actor=user,
                revisions=[revision.pk for revision in per_answer],
                at=now,
            )
    return {
        "answers": Answer.objects.count(),
        "versions": Version.objects.count(),
        "events": WorkflowEvent.objects.count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("size", type=int, help="answers the database is grown to")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose commands run")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", type=Path, help="keep the last backup file here")
    parser.add_argument("--built", action="store_true", help="the database is built: skip that")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL: a throwaway PostgreSQL database to grow and back up.")
    restore_url = database_url.rstrip("/") + "_restore"

    started = time.perf_counter()
    built = counts(database_url) if args.built else build(args.size, database_url)
    print(f"Data ready in {time.perf_counter() - started:.0f} s: {built}", flush=True)
    backups, restores = [], []
    path = args.keep or Path(tempfile.gettempdir()) / "editorial-backup-bench.backup"
    try:
        for run in range(args.runs):
            backups.append(measure_backup(database_url, path, code=args.code))
            empty_database(restore_url, code=args.code)
            restores.append(measure_restore(path, restore_url, code=args.code))
            print(f"run {run + 1}: backup {backups[-1]}, restore {restores[-1]}", flush=True)
    finally:
        _recreate(restore_url, create=False)
        if args.keep is None:
            path.unlink(missing_ok=True)
    figures = {
        "answers": built["answers"],
        "versions": built["versions"],
        "events": built["events"],
        "code": str(args.code),
        "runs": args.runs,
        "backup_seconds": statistics.median(b["seconds"] for b in backups),
        "backup_mb": round(statistics.median(b["bytes"] for b in backups) / 1e6, 1),
        "backup_peak_mib": max(b["peak_mib"] for b in backups),
        "restore_seconds": statistics.median(r["seconds"] for r in restores),
        "restore_peak_mib": max(r["peak_mib"] for r in restores),
        "rows": restores[-1]["rows"],
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }
    print(
        f"Backup of {figures['answers']} answers ({figures['versions']} versions, "
        f"{figures['events']} events, {figures['rows']} rows; {args.code}), median of "
        f"{args.runs}: backup {figures['backup_seconds']} s, {figures['backup_mb']} MB, "
        f"peak {figures['backup_peak_mib']} MiB; restore {figures['restore_seconds']} s, "
        f"peak {figures['restore_peak_mib']} MiB; load {' '.join(figures['loadavg'])}"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
