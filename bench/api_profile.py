"""Where a read API request's milliseconds go, on the database bench/api_bench.py built.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/editorial_api_bench \\
        .venv/bin/python bench/api_profile.py [--repeats 30] [--top 25] [--explain]

For a page of 100 (three quarters of the way in), its 304 revalidation and a sync page of
1,000 (half way through the initial sync): the wall and CPU milliseconds of a request
(median over the repeats), each query's own milliseconds, with --explain PostgreSQL's
EXPLAIN ANALYZE of each, and cProfile's heaviest functions by their own time and in all.
The figures say what to make cheaper; api_bench.py says whether the targets are met. Run it
after api_bench.py (it reads the database as built, adds one key, changes nothing else).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api_bench  # noqa: E402  (sets up Django on the benchmark database)
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from editorial.api import keys, tokens  # noqa: E402
from editorial.api.scope import Scope  # noqa: E402
from editorial.models import Answer, ApiKey  # noqa: E402
from editorial.storage import chain  # noqa: E402


class Queries:
    """Each statement's SQL, parameters and milliseconds."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, object, float]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seen.append((sql, params, (time.perf_counter() - started) * 1000))


def request(client: Client, path: str, token: str, **headers):
    return client.get(path, headers={"Authorization": f"Bearer {token}", **headers})


def measure(client, path, token, repeats, headers, explain, top) -> None:
    request(client, path, token, **headers)  # warm
    walls, cpus = [], []
    database_cpu = api_bench.backend_cpu()
    for _ in range(repeats):
        started, cpu = time.perf_counter(), time.process_time()
        response = request(client, path, token, **headers)
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    database = api_bench.cpu_since(database_cpu, 0.0)["database_cpu_s"] * 1000 / repeats
    print(
        f"  status {response.status_code}, {len(response.content) / 1024:.0f} KB; wall median "
        f"{statistics.median(walls):.2f} ms, p95 {sorted(walls)[int(0.95 * (repeats - 1))]:.2f}"
        f" ms; Python CPU median {statistics.median(cpus):.2f} ms; PostgreSQL CPU mean "
        f"{database:.2f} ms"
    )
    queries = Queries()
    with connection.execute_wrapper(queries):
        request(client, path, token, **headers)
    for sql, params, ms in queries.seen:
        print(f"  query {ms:6.2f} ms: {sql[:300]}{' …' if len(sql) > 300 else ''}")
        if explain and sql.lstrip().upper().startswith("SELECT"):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                for (line,) in cursor.fetchall():
                    print("      " + line)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(repeats):
        request(client, path, token, **headers)
    profile.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(order).print_stats(top)
        print(f"  cProfile by {order} ({repeats} requests):")
        print("\n".join("    " + line for line in out.getvalue().splitlines()[6:] if line))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SECURE_SSL_REDIRECT = False
    managing = get_user_model().objects.get(username="bench-managing")
    key, token = keys.issue(
        key=ApiKey(name="profile", everything=True, requests_per_minute=10**9),
        created_by=managing,
    )
    client = Client()
    ids = Answer.objects.approved().order_by("pk").values_list("pk", flat=True)
    total = ids.count()
    scope = Scope(key)
    cursor = tokens.make("cursor", a=ids[int(total * 0.75) - 1], f=[None] * 3, s=scope.fingerprint)
    page = f"/api/v1/answers?limit=100&cursor={cursor}"
    etag = request(client, page, token)["ETag"]
    sync = tokens.make(
        "sync",
        k=key.pk,
        s=scope.fingerprint,
        m="initial",
        h=chain.head().position,
        a=ids[total // 2],
    )
    for label, path, headers in (
        ("page of 100, deep", page, {}),
        ("304 of that page", page, {"If-None-Match": etag}),
        ("sync page of 1,000, half way", f"/api/v1/sync?token={sync}", {}),
    ):
        print(f"{label}:")
        measure(client, path, token, args.repeats, headers, args.explain, args.top)


if __name__ == "__main__":
    main()
