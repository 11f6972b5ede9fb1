"""Export benchmark: rate and memory of the jsonl and csv exports at N/20 and N answers.

    .venv/bin/python bench/export_bench.py [N] [--runs 3] [--json PATH]   # N: 200000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/editorial_bench \\
        .venv/bin/python bench/export_bench.py 200000

Builds a throwaway database (the SQLite file EXPORT_BENCH_DB, default
/tmp/editorial-export-bench.sqlite3, or the PostgreSQL database of DATABASE_URL, emptied)
with N approved answers written straight into the tables (bulk data for the benchmark
only: no workflow, no versions), then times each export into a sink that only counts
bytes, each run in a fresh process so its peak RSS (ru_maxrss) is the export's own, not
the build's. Prints the median of --runs runs and writes every figure as JSON (--json);
the rate per CPU second is the one to compare on a machine other work shares.
Streaming means the peak is the same at N/20 and at N; tracemalloc's peak (one run in the
parent process) shows the export's own Python allocations. The database is kept, so
`manage.py export_answers` (command printed) and bench/bulk_approve_bench.py use it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime
from itertools import cycle, islice
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
DB = Path(os.environ.get("EXPORT_BENCH_DB", "/tmp/editorial-export-bench.sqlite3"))
# DATABASE_URL (or BENCH_DATABASE_URL, as the list benchmark sets it) may name a
# PostgreSQL database of the benchmark's own; otherwise a throwaway SQLite file.
if os.environ.get("BENCH_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
if not POSTGRES:
    os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
# DEBUG off: with it on Django keeps the SQL of recent queries, bulk inserts included.
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "export-benchmark-only-not-a-deployment-secret")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from editorial.exporters import Export  # noqa: E402
from editorial.importers import parse_file  # noqa: E402
from editorial.models import Answer, ApprovedVersion, Document, Status  # noqa: E402
from editorial.storage import approvals  # noqa: E402

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
            # Through the one writer of approvals: each answer names its approval.
            approvals.record(
                [
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
                ]
            )
        have += count
    if connection.vendor == "postgresql":
        # What autovacuum does soon after a bulk load (and the product's own bulk paths at
        # once, storage.statistics): without statistics the planner took the approvals'
        # join for a few rows, and 20,000 answers took 34 s to export instead of 0.5 s.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def reset_database() -> None:
    """An empty, migrated benchmark database (the groups come from a data migration)."""
    if POSTGRES:
        # Not flush: it would empty the groups, which only a data migration creates.
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    else:
        connection.close()
        for leftover in DB.parent.glob(DB.name + "*"):
            leftover.unlink()
    call_command("migrate", verbosity=0)


def timed_export(format_name: str) -> dict[str, float]:
    """One export into a counting sink: answers, bytes, seconds, rate, this process's peak."""
    from memory import PeakAnonymous

    gc.collect()
    heap = PeakAnonymous()
    heap.start()
    sink = CountingSink()
    started, cpu_started = time.perf_counter(), time.process_time()
    run = Export(format_name, channel="command")
    run.write_to(sink)
    elapsed = time.perf_counter() - started
    return {
        "cpu_seconds": time.process_time() - cpu_started,
        "answers": run.count,
        "mib_out": sink.size / 2**20,
        "seconds": elapsed,
        "per_second": run.count / elapsed if elapsed else 0.0,
        "max_rss_mib": max_rss_mib(),
        # RSS also counts the database pages SQLite maps in (mmap_size): page cache.
        "peak_heap_mib": heap.peak_kb / 1024,
    }


def in_fresh_process(format_name: str, code: Path = ROOT) -> dict[str, float]:
    """timed_export in a new interpreter, so its peak RSS is the export's alone; `code` is
    the checkout whose exporter runs (another one for a before/after comparison)."""
    output = subprocess.run(
        [sys.executable, str(code / "bench" / "export_bench.py"), "--child", format_name],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def traced_peak_mib(format_name: str) -> float:
    """The export's own peak of Python allocations (tracemalloc), in this process."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    Export(format_name, channel="command").write_to(CountingSink())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def measure(format_name: str, runs: int, codes: list[Path], *, trace: bool) -> list[dict]:
    """Per checkout, the median rate and peak RSS of `runs` fresh-process runs (the
    checkouts' runs alternating, so both meet the same load), and one traced peak of this
    checkout's export."""
    samples: dict[Path, list[dict]] = {code: [] for code in codes}
    for _ in range(runs):
        for code in codes:
            samples[code].append(in_fresh_process(format_name, code))
    return [
        _summary(samples[code], code, traced_peak_mib(format_name) if trace and code == ROOT
                 else float("nan"))
        for code in codes
    ]  # fmt: skip


def _summary(samples: list[dict], code: Path, trace_peak_mib: float) -> dict:
    return {
        "code": str(code),
        "answers": samples[0]["answers"],
        "mib_out": samples[0]["mib_out"],
        "seconds": median(sample["seconds"] for sample in samples),
        "cpu_seconds": median(sample["cpu_seconds"] for sample in samples),
        "per_second": median(sample["per_second"] for sample in samples),
        "max_rss_mib": median(sample["max_rss_mib"] for sample in samples),
        "peak_heap_mib": median(sample["peak_heap_mib"] for sample in samples),
        "trace_peak_mib": trace_peak_mib,
        "runs": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("answers", nargs="?", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median shown)")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (e.g. `git worktree add /tmp/base main`) measured on the same "
        "data, its runs interleaved with this one's, for a before/after comparison",
    )
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc run")
    parser.add_argument(
        "--small",
        type=int,
        help="the smaller size (default N/20). The export holds up to four chunks of "
        "CHUNK_SIZE rows (one read ahead, two queued, one written): below that its memory "
        "is still filling, so a smaller size than that shows the pipe filling, not growth",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)  # one timed export, for measure()
    args = parser.parse_args()
    if args.child:
        print(json.dumps(timed_export(args.child)))
        return
    total = args.answers
    engine = "PostgreSQL" if POSTGRES else "SQLite"
    reset_database()
    reviewer = get_user_model().objects.create_user("bench-reviewer")
    texts = seed_texts()
    print(f"{engine} database {connection.settings_dict['NAME']}; median of {args.runs} runs")
    print(
        f"{'answers':>8} {'format':>6} {'MiB out':>8} {'seconds':>8} {'CPU s':>6} "
        f"{'answers/s':>10} {'per CPU s':>10} {'max RSS MiB':>12} {'tracemalloc peak MiB':>21}"
    )
    rows = []
    for size in (args.small or max(total // 20, 1), total):
        started = time.perf_counter()
        grow_to(size, reviewer, texts)
        build = time.perf_counter() - started
        print(f"(built {size} answers in {build:.1f} s)", flush=True)
        for format_name in ("jsonl", "csv"):
            codes = [ROOT] if args.baseline is None else [args.baseline.resolve(), ROOT]
            for figures in measure(format_name, args.runs, codes, trace=not args.no_trace):
                row = {"format": format_name, **figures}
                rows.append(row)
                show(row, label=("" if row["code"] == str(ROOT) else " (baseline)"))
    for format_name in ("jsonl", "csv"):
        small, large = (
            row for row in rows if row["format"] == format_name and row["code"] == str(ROOT)
        )
        print(
            f"{format_name}: max RSS at {large['answers']} / at {small['answers']}: "
            f"{large['max_rss_mib'] / small['max_rss_mib']:.2f}"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        figures = {"engine": engine, "answers": total, "rows": rows}
        args.json.write_text(json.dumps(figures, indent=2))
        print(f"figures written to {args.json}")
    if not POSTGRES:
        print(
            "\nThe command against the same data:\n"
            f"  DATABASE_URL=sqlite:///{DB} DEBUG=0 SECRET_KEY=bench /usr/bin/time -v "
            ".venv/bin/python manage.py export_answers --format jsonl --output /dev/null"
        )


def show(row: dict, label: str) -> None:
    """One line of the table."""
    print(
        f"{row['answers']:>8} {row['format']:>6} {row['mib_out']:>8.1f} "
        f"{row['seconds']:>8.2f} {row['cpu_seconds']:>6.2f} {row['per_second']:>10.0f} "
        f"{row['answers'] / row['cpu_seconds']:>10.0f} "
        f"{row['max_rss_mib']:>12.1f} {row['trace_peak_mib']:>21.2f}{label}",
        flush=True,
    )


if __name__ == "__main__":
    main()
