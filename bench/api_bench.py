"""Issue 24's read API figures on PostgreSQL at N approved answers (default 200,000).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/editorial_api_bench \\
        .venv/bin/python bench/api_bench.py 200000 [--repeats 40] [--json PATH]

Grows the export benchmark's throwaway database (bench/export_bench.py: approved answers
with their pinned approvals; use a database of its own) to N answers, makes an API key
that reads everything, then through Django's test client with DEBUG off (the time is the
server's: the request handled in this process, no network):

- a page of 100 answers, the first and one three quarters of the way through: p50, p95;
- the same page revalidated with its ETag (304): p50, p95;
- a full initial sync, every page of 1,000 followed to its sync token: the server's seconds
  (the requests' own), and with the client's JSON parsing between them;
- 1,000 approvals through the admin's bulk approve (bench/bulk_approve_bench.py) and 10
  archives through the workflow, then the delta sync from that token: the server's ms over
  its pages, how many records and tombstones (one of each is printed as JSON);

with the queries of each request, which must not grow with N, and NOT MET beside a figure
over its target (page p95 ≤ 30 ms, 304 ≤ 5 ms, initial sync ≤ 15 s, delta ≤ 200 ms).
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

import admin_list_bench  # noqa: E402  (sets up Django on the benchmark database)
import bulk_approve_bench  # noqa: E402
import export_bench  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from editorial import workflow  # noqa: E402
from editorial.api import keys  # noqa: E402
from editorial.models import Answer, ApiKey, Status  # noqa: E402

TARGETS = {"page_p95_ms": 30, "revalidate_p95_ms": 5, "initial_sync_s": 15, "delta_ms": 200}


def timed(client: Client, path: str, token: str, **headers) -> tuple[float, object, int]:
    """Seconds, the response and the queries of one request."""
    count = bulk_approve_bench.QueryCount()
    with connection.execute_wrapper(count):
        started = time.perf_counter()
        response = client.get(path, headers={"Authorization": f"Bearer {token}", **headers})
        seconds = time.perf_counter() - started
    assert response.status_code in (200, 304), (response.status_code, response.content[:300])
    return seconds, response, len(count)


def backend_cpu() -> tuple[int, float]:
    """The PostgreSQL backend serving this process: its id and CPU seconds so far (/proc).

    On a machine others share, wall time is mostly waiting for a core; the CPU seconds of
    both processes say what the same work costs on an idle one.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # the database on another machine
        return pid, float("nan")
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_since(start: tuple[int, float], cpu_start: float) -> dict[str, float]:
    """This process's and the database backend's CPU seconds since the starting points."""
    pid, seconds = backend_cpu()
    database = seconds - start[1] if pid == start[0] else float("nan")
    return {"python_cpu_s": time.process_time() - cpu_start, "database_cpu_s": database}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def cursor_at(client: Client, token: str, fraction: float) -> str | None:
    """The cursor of the page starting `fraction` of the way through the answers."""
    ids = Answer.objects.approved().order_by("pk").values_list("pk", flat=True)
    at = int(ids.count() * fraction)
    if at == 0:
        return None
    from editorial.api import tokens
    from editorial.api.scope import Scope

    scope = Scope(ApiKey.objects.get(prefix=token.split("_")[1]))
    return tokens.make("cursor", a=ids[at - 1], f=[None, None, None], s=scope.fingerprint)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("answers", nargs="?", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    admin_list_bench.create_database()
    export_bench.call_command("migrate", verbosity=0)
    User = get_user_model()
    reviewer, _ = User.objects.get_or_create(username="bench-reviewer")
    export_bench.grow_to(args.answers, reviewer, export_bench.seed_texts())
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum does soon after bulk work
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SECURE_SSL_REDIRECT = False
    managing, _ = User.objects.get_or_create(username="bench-managing", defaults={"is_staff": True})
    managing.groups.set(Group.objects.filter(name="Managing editors"))
    _, token = keys.issue(
        key=ApiKey(name="bench", everything=True, requests_per_minute=10**9), created_by=managing
    )
    client = Client()
    approved = Answer.objects.approved().count()
    figures: dict = {"answers": args.answers, "approved": approved}

    # A page of 100: the first, and one three quarters of the way in.
    for label, fraction in (("first", 0.0), ("deep", 0.75)):
        cursor = cursor_at(client, token, fraction)
        path = "/api/v1/answers?limit=100" + (f"&cursor={cursor}" if cursor else "")
        timed(client, path, token)  # warm
        samples, queries, etag = [], 0, ""
        database_start, python_start = backend_cpu(), time.process_time()
        for _ in range(args.repeats):
            seconds, response, queries = timed(client, path, token)
            samples.append(seconds)
            etag = response["ETag"]
        spent = cpu_since(database_start, python_start)
        assert len(json.loads(response.content)["answers"]) == 100
        figures[f"page_{label}"] = {
            "cpu_mean_ms": (spent["python_cpu_s"] + spent["database_cpu_s"]) * 1000 / args.repeats,
            "p50_ms": percentiles(samples)[0], "p95_ms": percentiles(samples)[1],
            "queries": queries, "bytes": len(response.content),
        }  # fmt: skip
        samples = []
        database_start, python_start = backend_cpu(), time.process_time()
        for _ in range(args.repeats):
            seconds, response, queries = timed(client, path, token, **{"If-None-Match": etag})
            assert response.status_code == 304
            samples.append(seconds)
        spent = cpu_since(database_start, python_start)
        figures[f"revalidate_{label}"] = {
            "cpu_mean_ms": (spent["python_cpu_s"] + spent["database_cpu_s"]) * 1000 / args.repeats,
            "p50_ms": percentiles(samples)[0], "p95_ms": percentiles(samples)[1],
            "queries": queries,
        }  # fmt: skip

    # A full initial sync.
    started, cpu_started = time.perf_counter(), time.process_time()
    database_start = backend_cpu()
    seconds, response, queries = timed(client, "/api/v1/sync", token)
    pages, received, page_queries, server, parsing = 1, 0, {queries}, seconds, 0.0
    while True:
        parse_started = time.process_time()
        page = json.loads(response.content)
        parsing += time.process_time() - parse_started
        received += len(page["answers"])
        if page["next_sync_token"]:
            sync_token = page["next_sync_token"]
            break
        seconds, response, queries = timed(client, f"/api/v1/sync?token={page['next_page']}", token)
        pages, server = pages + 1, server + seconds
        page_queries.add(queries)
    figures["initial_sync"] = {
        "seconds": server, "with_client_seconds": time.perf_counter() - started,
        **cpu_since(database_start, cpu_started), "client_parsing_cpu_s": parsing,
        "pages": pages, "answers": received,
        "queries_per_page": sorted(page_queries),
    }  # fmt: skip

    # 1,000 approvals through the admin and 10 archives through the workflow, then the delta.
    approver, _ = User.objects.get_or_create(username="bench-approver", defaults={"is_staff": True})
    approver.groups.add(Group.objects.get(name="Reviewers"))
    editor, _ = User.objects.get_or_create(username="bench-editor", defaults={"is_staff": True})
    reviewing = Client()
    reviewing.force_login(approver)
    run = bulk_approve_bench.one_run(1000, reviewing, approver, editor)
    archived = list(
        Answer.objects.filter(status=Status.APPROVED)
        .order_by("-pk")
        .values_list("pk", flat=True)[:10]
    )
    for pk in archived:
        workflow.archive(Answer.objects.get(pk=pk), managing)
    path = f"/api/v1/sync?token={sync_token}"
    delta_records, tombstones, delta_pages, delta_queries, server = 0, [], 0, set(), 0.0
    database_start, python_start = backend_cpu(), time.process_time()
    example = None
    while True:
        seconds, response, queries = timed(client, path, token)
        delta_pages, server = delta_pages + 1, server + seconds
        delta_queries.add(queries)
        page = json.loads(response.content)
        example = example or (page["answers"][:1] or None)
        delta_records += len(page["answers"])
        tombstones += page["deleted"]
        if page["next_sync_token"]:
            break
        path = f"/api/v1/sync?token={page['next_page']}"
    figures["delta_sync"] = {
        "ms": server * 1000, "pages": delta_pages, "example": example,
        **cpu_since(database_start, python_start),
        "approved_by_admin": run["approved"], "records": delta_records,
        "tombstones": len(tombstones), "queries_per_page": sorted(delta_queries),
        "tombstone_example": tombstones[0] if tombstones else None,
    }  # fmt: skip

    load = os.getloadavg()
    figures["load"] = load
    print(f"PostgreSQL, {approved:,} approved answers, load average {load[0]:.2f} {load[1]:.2f}")
    for label in ("first", "deep"):
        page, again = figures[f"page_{label}"], figures[f"revalidate_{label}"]
        print(
            f"  page of 100 ({label}): p50 {page['p50_ms']:.1f} ms, p95 {page['p95_ms']:.1f} ms "
            f"(target ≤ 30){_missed(page['p95_ms'], 'page_p95_ms')}; CPU {page['cpu_mean_ms']:.1f}"
            f" ms a request (Python and PostgreSQL), {page['queries']} queries, "
            f"{page['bytes'] / 1024:.0f} KB"
        )
        print(
            f"  304 revalidation ({label}): p50 {again['p50_ms']:.1f} ms, p95 "
            f"{again['p95_ms']:.1f} ms (target ≤ 5){_missed(again['p95_ms'], 'revalidate_p95_ms')}"
            f"; CPU {again['cpu_mean_ms']:.1f} ms a request, {again['queries']} queries"
        )
    initial = figures["initial_sync"]
    print(
        f"  initial sync: {initial['answers']:,} answers in {initial['pages']} pages, "
        f"{initial['seconds']:.1f} s server time (target ≤ 15)"
        f"{_missed(initial['seconds'], 'initial_sync_s')}; {initial['with_client_seconds']:.1f} s "
        f"with the client's JSON parsing; CPU {initial['python_cpu_s']:.1f} s Python (of which "
        f"{initial['client_parsing_cpu_s']:.1f} s the client's parsing) + "
        f"{initial['database_cpu_s']:.1f} s PostgreSQL; queries a page "
        f"{initial['queries_per_page']}"
    )
    delta = figures["delta_sync"]
    print(
        f"  delta sync after {delta['approved_by_admin']} approvals and 10 archives: "
        f"{delta['ms']:.0f} ms (target ≤ 200){_missed(delta['ms'], 'delta_ms')}, "
        f"{delta['records']} records, {delta['tombstones']} tombstones, {delta['pages']} pages; "
        f"CPU {delta['python_cpu_s'] * 1000:.0f} ms Python + "
        f"{delta['database_cpu_s'] * 1000:.0f} ms PostgreSQL; queries a page "
        f"{delta['queries_per_page']}"
    )
    print("  a delta record:", json.dumps(delta["example"][0] if delta["example"] else None))
    print("  a tombstone:", json.dumps(delta["tombstone_example"]))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))


def _missed(value: float, target: str) -> str:
    return " NOT MET" if value > TARGETS[target] else ""


if __name__ == "__main__":
    main()
