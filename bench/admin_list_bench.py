"""Answer list benchmark: median and p95 of the admin list at N answers, and its queries.

    .venv/bin/python bench/admin_list_bench.py [N]      # N defaults to 100000

Grows the export benchmark's throwaway SQLite file (bench/export_bench.py builds it:
EXPORT_BENCH_DB, default /tmp/editorial-export-bench.sqlite3) to N answers with varied
statuses, then requests the answer list through Django's test client, signed in as a
superuser: unfiltered, by status, by subject, a text search and a deep page, each at 25
and 100 rows a page. Prints median and p95 over the repeats, the page size and the number
of queries, so the two page sizes can be compared.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import export_bench  # noqa: E402  (sets up Django on the benchmark database)
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from editorial.admin.answers import AnswerAdmin  # noqa: E402
from editorial.models import Answer, Status  # noqa: E402

REPEATS = 15
PAGES = {
    "unfiltered": {},
    "by status": {"status__exact": Status.DRAFT},
    "by subject": {"document__subject": "Massachusetts"},
    "text search": {"q": "warrant"},
    "deep page": {},  # three quarters of the way through the list, set below
}


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    export_bench.call_command("migrate", verbosity=0)
    reviewer, _ = get_user_model().objects.get_or_create(username="bench-reviewer")
    export_bench.grow_to(size, reviewer, export_bench.seed_texts())
    # Mixed statuses, as a working corpus has them (the builder approves everything).
    every = Answer.objects.order_by().values_list("pk", flat=True)
    Answer.objects.filter(pk__in=list(every[::3])).update(status=Status.DRAFT)
    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    # The test client's host; DEBUG is off in the benchmark, as in production.
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SECURE_SSL_REDIRECT = False
    client = Client()
    client.force_login(user)
    print(f"Answer list at {Answer.objects.count()} answers (SQLite), {REPEATS} requests each")
    print(f"{'page':14} {'rows':>5} {'median ms':>10} {'p95 ms':>8} {'KB':>6} {'queries':>8}")
    total = Answer.objects.count()
    for rows in (25, 100):
        AnswerAdmin.list_per_page = rows
        PAGES["deep page"] = {"p": str(total // rows * 3 // 4)}
        for name, params in PAGES.items():
            timings = []
            for _ in range(REPEATS):
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    response = client.get("/admin/editorial/answer/", params)
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.status_code
            timings.sort()
            p95 = timings[int(0.95 * (len(timings) - 1))]
            print(
                f"{name:14} {rows:>5} {statistics.median(timings):>10.0f} {p95:>8.0f} "
                f"{len(response.content) / 1024:>6.0f} {len(queries):>8}"
            )


if __name__ == "__main__":
    main()
