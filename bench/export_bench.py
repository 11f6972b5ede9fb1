"""Export benchmark: time and memory of the jsonl and csv exports at N/10 and N answers.

    .venv/bin/python bench/export_bench.py [N]     # N defaults to 100000

Builds a throwaway SQLite file (EXPORT_BENCH_DB, default /tmp/editorial-export-bench.sqlite3)
with N approved answers written straight into the tables (bulk data for the benchmark
only: no workflow, no versions), then runs each export into a sink that only counts
bytes. Streaming means the export's own peak memory (tracemalloc) is the same at N/10
and at N; the process peak (ru_maxrss) should barely move between the two. The file is
kept so `manage.py export_answers` can be measured against it (the command is printed).
"""

from __future__ import annotations

import gc
import os
import resource
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime
from itertools import cycle, islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = Path(os.environ.get("EXPORT_BENCH_DB", "/tmp/editorial-export-bench.sqlite3"))
# BENCH_DATABASE_URL puts the data in a PostgreSQL database instead (one of its own).
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{DB}"
# DEBUG off: with it on Django keeps the SQL of recent queries, bulk inserts included.
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "export-benchmark-only-not-a-deployment-secret")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from editorial.exporters import Export  # noqa: E402
from editorial.importers import parse_file  # noqa: E402
from editorial.models import Answer, ApprovedVersion, Document, Status  # noqa: E402

PER_DOCUMENT = 20
BATCH = 2000  # answers per bulk insert
APPROVED_AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SOURCES = [
    {
        "url": "https://www.mass.gov/orgs/massachusetts-registry-of-motor-vehicles",
        "title": "Registry of Motor Vehicles",
        "publisher": "Commonwealth of Massachusetts",
        "accessed": date(2026, 11, 1).isoformat(),
        "excerpt": "",
    }
]


class CountingSink:
    """A /dev/null that counts what it is given."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)


def seed_texts() -> list[tuple[str, str]]:
    """The real seed questions and answers, so rows have realistic lengths."""
    texts = []
    for path in sorted((ROOT / "fixtures").glob("*.txt")):
        _, items = parse_file(path)
        texts += [(item.question, item.answer) for item in items]
    return texts


def grow_to(size: int, reviewer, texts: list[tuple[str, str]]) -> None:
    """Add documents of approved answers until there are `size` answers."""
    have = Answer.objects.count()
    pool = cycle(texts)
    while have < size:
        count = min(BATCH, size - have)
        with transaction.atomic():
            first_doc = have // PER_DOCUMENT
            names = [
                f"bench_{number:07d}.txt"
                for number in range(first_doc, (have + count - 1) // PER_DOCUMENT + 1)
            ]
            existing = {d.name: d for d in Document.objects.filter(name__in=names)}
            Document.objects.bulk_create(
                Document(
                    name=name,
                    content_hash="0" * 64,
                    subject="Massachusetts",
                    imported_at=APPROVED_AT,
                )
                for name in names
                if name not in existing
            )
            by_name = {d.name: d for d in Document.objects.filter(name__in=names)}
            documents = [by_name[name] for name in names]
            answers = []
            for offset, (question, text) in enumerate(islice(pool, count)):
                index = have + offset
                answers.append(
                    Answer(
                        document=documents[index // PER_DOCUMENT - first_doc],
                        position=index % PER_DOCUMENT + 1,
                        question=question,
                        text=text,
                        imported_question=question,
                        imported_text=text,
                        status=Status.APPROVED,
                        version=2,
                    )
                )
            Answer.objects.bulk_create(answers)
            ApprovedVersion.objects.bulk_create(
                ApprovedVersion(
                    answer=answer,
                    question=answer.question,
                    text=answer.text,
                    sources=SOURCES,
                    approved_by=reviewer,
                    approved_at=APPROVED_AT,
                    version=2,
                )
                for answer in answers
            )
        have += count


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(format_name: str) -> dict[str, float]:
    """One timed run, then one under tracemalloc for the export's own peak."""
    gc.collect()
    sink = CountingSink()
    started = time.perf_counter()
    run = Export(format_name, channel="command")
    run.write_to(sink)
    elapsed = time.perf_counter() - started

    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    Export(format_name, channel="command").write_to(CountingSink())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "answers": run.count,
        "mib_out": sink.size / 2**20,
        "seconds": elapsed,
        "per_second": run.count / elapsed if elapsed else 0.0,
        "trace_peak_mib": peak / 2**20,
        "max_rss_mib": max_rss_mib(),
    }


def main(argv: list[str]) -> None:
    total = int(argv[0]) if argv else 100_000
    DB.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    reviewer = get_user_model().objects.create_user("bench-reviewer")
    texts = seed_texts()
    print(f"database {DB}; max RSS after setup {max_rss_mib():.1f} MiB", flush=True)
    print(
        f"{'answers':>8} {'format':>6} {'MiB out':>8} {'seconds':>8} {'answers/s':>10} "
        f"{'tracemalloc peak MiB':>21} {'max RSS MiB':>12}"
    )
    for size in (max(total // 10, 1), total):
        started = time.perf_counter()
        grow_to(size, reviewer, texts)
        build = time.perf_counter() - started
        print(f"(built {size} answers in {build:.1f} s; max RSS {max_rss_mib():.1f} MiB)")
        for format_name in ("jsonl", "csv"):
            row = measure(format_name)
            print(
                f"{row['answers']:>8} {format_name:>6} {row['mib_out']:>8.1f} "
                f"{row['seconds']:>8.2f} {row['per_second']:>10.0f} "
                f"{row['trace_peak_mib']:>21.2f} {row['max_rss_mib']:>12.1f}",
                flush=True,
            )
    print(
        "\nThe command against the same data:\n"
        f"  DATABASE_URL=sqlite:///{DB} DEBUG=0 SECRET_KEY=bench /usr/bin/time -v "
        ".venv/bin/python manage.py export_answers --format jsonl --output /dev/null"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
