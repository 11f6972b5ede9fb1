"""Answer list benchmark: median and p95 of the admin list at N answers, and its queries.

    .venv/bin/python bench/admin_list_bench.py [N] [--json PATH]     # N defaults to 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/editorial_list_bench \\
        .venv/bin/python bench/admin_list_bench.py 200000 --json /tmp/list-pg.json

Grows the export benchmark's throwaway database (bench/export_bench.py builds it: the
SQLite file EXPORT_BENCH_DB, default /tmp/editorial-export-bench.sqlite3, or the PostgreSQL
database DATABASE_URL names, created if missing; use one of its own, never a real one) to
N answers, with a third of them drafts and the documents' subjects spread over fifty
states, as a working corpus has them. Then requests the answer list through Django's test
client, signed in as a superuser: unfiltered, by status, by subject, a text search, a deep
page (three quarters of the way through) of the list and of the search, each at 25 and 100
rows a page. Prints median and p95 over the repeats, the page size and the number of
queries, so the two page sizes can be compared; --json writes the same figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# export_bench points Django at its SQLite file unless given a database of its own.
if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    os.environ.setdefault("BENCH_DATABASE_URL", os.environ["DATABASE_URL"])

import export_bench  # noqa: E402  (sets up Django on the benchmark database)
from corpus import SEED_STATES, STATES  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models.functions import Mod  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from editorial.admin.answer_list import SEARCH_COUNT_CAP  # noqa: E402
from editorial.admin.answers import AnswerAdmin  # noqa: E402
from editorial.models import Answer, Document, Status  # noqa: E402

SEARCH = "warrant"
SUBJECTS = [*SEED_STATES, *STATES]


def create_database() -> None:
    """PostgreSQL: create the benchmark's database if it is not there yet."""
    if connection.vendor != "postgresql":
        return
    import psycopg

    params = connection.get_connection_params()
    name = params.pop("dbname")
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, dbname="postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def build(size: int) -> None:
    export_bench.call_command("migrate", verbosity=0)
    reviewer, _ = get_user_model().objects.get_or_create(username="bench-reviewer")
    export_bench.grow_to(size, reviewer, export_bench.seed_texts())
    # The builder approves everything in one state; a working corpus is mixed.
    Answer.objects.alias(third=Mod("id", 3)).filter(third=0).exclude(status=Status.DRAFT).update(
        status=Status.DRAFT
    )
    for index, subject in enumerate(SUBJECTS):
        Document.objects.alias(state=Mod("id", len(SUBJECTS))).filter(state=index).exclude(
            subject=subject
        ).update(subject=subject)
    if connection.vendor == "postgresql":
        # What autovacuum does soon after a bulk load: statistics and the visibility map.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def measure(client: Client, params: dict, repeats: int) -> dict:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/admin/editorial/answer/", params)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        # Each listed answer has its checkbox; an empty page would be fast for nothing.
        shown = response.content.count(b'name="_selected_action"')
        assert shown, params
    timings.sort()
    return {
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 1),
        "kb": round(len(response.content) / 1024, 1),
        "queries": len(queries),
        "rows_shown": shown,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("size", nargs="?", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    create_database()
    started = time.perf_counter()
    build(args.size)
    built = time.perf_counter() - started
    total = Answer.objects.count()
    found = Answer.objects.search(SEARCH).count()
    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    # The test client's host; DEBUG is off in the benchmark, as in production.
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SECURE_SSL_REDIRECT = False
    client = Client()
    client.force_login(user)
    vendor = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[connection.vendor]
    print(
        f"Answer list at {total} answers ({vendor}; data ready in {built:.0f} s), "
        f"{args.repeats} requests each; '{SEARCH}' is in {found} answers"
    )
    print(f"{'page':18} {'rows':>5} {'median ms':>10} {'p95 ms':>8} {'KB':>6} {'queries':>8}")
    figures = []
    for rows in (25, 100):
        AnswerAdmin.list_per_page = rows
        pages = {
            "unfiltered": {},
            "by status": {"status__exact": Status.DRAFT},
            "by subject": {"document__subject": "Massachusetts"},
            "text search": {"q": SEARCH},
            "deep page": {"p": str(total // rows * 3 // 4)},
            # A search's pages reach its counted rows (answer_list.SEARCH_COUNT_CAP: "1,000+").
            "text search, deep": {
                "q": SEARCH,
                "p": str(min(found, SEARCH_COUNT_CAP) // rows * 3 // 4),
            },
        }
        for name, params in pages.items():
            row = {"page": name, "rows": rows, "params": params}
            row.update(measure(client, params, args.repeats))
            figures.append(row)
            print(
                f"{name:18} {rows:>5} {row['median_ms']:>10.0f} {row['p95_ms']:>8.0f} "
                f"{row['kb']:>6.0f} {row['queries']:>8}",
                flush=True,
            )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "benchmark": "admin_list",
                    "database": connection.vendor,
                    "answers": total,
                    "search_matches": found,
                    "repeats": args.repeats,
                    "figures": figures,
                },
                indent=2,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
