"""Related answers benchmark: median and p95 of related_answers at N answers, and its queries.

    .venv/bin/python bench/related_bench.py [N] [--json PATH]     # N defaults to 200000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/editorial_related_bench \\
        .venv/bin/python bench/related_bench.py 200000 --json /tmp/related-pg.json

Uses (and grows to N answers) the list benchmark's database, built as
bench/admin_list_bench.py builds it (the export benchmark's SQLite file EXPORT_BENCH_DB,
or the PostgreSQL database DATABASE_URL names: use one of its own, never a real one). Every
document there is a copy of a seed file, so each question is asked in thousands of
documents: the worst case for "the same question elsewhere". Then calls
editorial.insights.related.related_answers for --answers answers spread evenly over the ids (each
once to warm up, then --repeats times), and prints the median and p95 in milliseconds and
the queries per call; --json writes the same figures. Target: p95 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import admin_list_bench  # noqa: E402  (sets up Django on the benchmark database)
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from editorial.insights.related import related_answers  # noqa: E402
from editorial.models import Answer  # noqa: E402


def sample(count: int) -> list[Answer]:
    """`count` answers spread evenly over the ids, their documents read with them."""
    ids = list(Answer.objects.order_by("pk").values_list("pk", flat=True))
    step = max(1, len(ids) // count)
    chosen = ids[::step][:count]
    return list(Answer.objects.filter(pk__in=chosen).select_related("document").order_by("pk"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("size", nargs="?", type=int, default=200_000)
    parser.add_argument("--answers", type=int, default=200, help="answers measured")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    admin_list_bench.create_database()
    started = time.perf_counter()
    admin_list_bench.build(args.size)
    built = time.perf_counter() - started
    total = Answer.objects.count()
    answers = sample(args.answers)
    for answer in answers:  # warm the database's cache and Python's, as a running server is
        related_answers(answer)

    timings, queries, found, elsewhere = [], set(), [], []
    for _ in range(args.repeats):
        for answer in answers:
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                related = related_answers(answer)
                timings.append((time.perf_counter() - started) * 1000)
            queries.add(len(captured))
            found.append(len(related))
            elsewhere.append(sum(not item.same_document for item in related))
    timings.sort()
    vendor = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[connection.vendor]
    figures = {
        "vendor": vendor,
        "answers": total,
        "measured": len(answers),
        "calls": len(timings),
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 1),
        "max_ms": round(timings[-1], 1),
        "queries": sorted(queries),
        "related_median": statistics.median(found),
        "from_other_documents_median": statistics.median(elsewhere),
    }
    print(
        f"related_answers at {total} answers ({vendor}; data ready in {built:.0f} s): "
        f"{len(answers)} answers × {args.repeats}"
    )
    print(
        f"median {figures['median_ms']} ms, p95 {figures['p95_ms']} ms, "
        f"max {figures['max_ms']} ms; queries per call {figures['queries']}; "
        f"{figures['related_median']:.0f} related, "
        f"{figures['from_other_documents_median']:.0f} from other documents (medians)"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
