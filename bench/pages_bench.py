"""The pages around the answer list at scale (issue 21): p50, p95, size and queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/editorial_pages_bench \\
        .venv/bin/python bench/pages_bench.py 200000 [--repeats 20] [--json PATH]

Grows the answer list benchmark's throwaway database (bench/admin_list_bench.py builds it:
documents of 20 answers, a third of them drafts, subjects over fifty states; use a
database of its own, never a real one) to N answers, then requests through Django's test
client, DEBUG off, each page the issue measured: the managing editor's home, an editor's
home, the Documents list and two text searches of the answer list, one matching every
answer. Each person is a member of the role's group, as on a deployment. Prints p50 and
p95 over the repeats, the page size, the number of queries and the load average, so a run
before a change compares with one after it.
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
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from editorial.models import Answer, Document  # noqa: E402

PAGES = {
    "managing editor's home": ("managing", "Managing editors", "/admin/", {}),
    "editor's home": ("editor", "Editors", "/admin/", {}),
    "Documents list": ("managing", "Managing editors", "/admin/editorial/document/", {}),
    "text search": ("editor", "Editors", "/admin/editorial/answer/", {"q": "warrant"}),
    # The search: its words are in every answer of the corpus.
    "search, most rows": (
        "editor",
        "Editors",
        "/admin/editorial/answer/",
        {"q": "ice data sharing"},
    ),
}


def person(username: str, group: str):
    user, _ = get_user_model().objects.get_or_create(
        username=f"bench-{username}", defaults={"is_staff": True}
    )
    user.groups.set(Group.objects.filter(name=group))
    return user


def measure(client: Client, path: str, params: dict, repeats: int) -> dict:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, params)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 1),
        "kb": round(len(response.content) / 1024, 1),
        "queries": len(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("size", nargs="?", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    admin_list_bench.create_database()
    started = time.perf_counter()
    admin_list_bench.build(args.size)  # migrates; grows only what is missing
    built = time.perf_counter() - started
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SECURE_SSL_REDIRECT = False
    print(
        f"{Answer.objects.count()} answers in {Document.objects.count()} documents "
        f"({connection.vendor}; data ready in {built:.0f} s), {args.repeats} requests each"
    )
    print(f"{'page':24} {'p50 ms':>8} {'p95 ms':>8} {'KB':>8} {'queries':>8}")
    figures = {}
    for name, (username, group, path, params) in PAGES.items():
        client = Client()
        client.force_login(person(username, group))
        client.get(path, params)  # warm: caches, the first connection
        figures[name] = row = measure(client, path, params, args.repeats)
        print(
            f"{name:24} {row['p50_ms']:8.0f} {row['p95_ms']:8.0f} {row['kb']:8.1f} "
            f"{row['queries']:8}",
            flush=True,
        )
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"pages": figures, "load": load}, indent=2))


if __name__ == "__main__":
    main()
