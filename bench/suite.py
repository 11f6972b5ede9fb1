"""Every scale benchmark on SQLite and PostgreSQL, and one table against the targets.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/suite.py                      # both databases, full sizes (~1 h)
    .venv/bin/python bench/suite.py --quick              # small sizes, minutes: a smoke run
    .venv/bin/python bench/suite.py --engines sqlite     # one database
    .venv/bin/python bench/suite.py --only import,import-large --repeat 3   # the import race

Runs each benchmark in its own process (bench/import_bench.py, admin_list_bench.py,
bulk_approve_bench.py, export_bench.py, history_bench.py, related_bench.py), each writing
its figures as JSON under --out, then reads them back into one table: every figure of issue 9 beside
its target, with the ratios to django-import-export from the same run (issue 22: the
import at 2,000 and 10,000 files beside the peer at its documented best and a plain
bulk_create, by the clock and by CPU time, each ratio the median of alternated rounds, with
the load average over the runs). PostgreSQL databases are throwaway ones named
editorial_bench_* (or $BENCH_DB_PREFIX_*) on DATABASE_URL's server (default
postgres://postgres@127.0.0.1:5432). The JSON files stay, so runs can be compared.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

from import_bench import more_ratio

ROOT = Path(__file__).resolve().parent.parent
FULL = {"files": 2000, "large_files": 10000, "list": 200_000, "approve": 1000, "export": 200_000}
DATABASES = {"list": "data", "approve": "data", "export": "data", "related": "data"}
QUICK = {"files": 100, "large_files": 300, "list": 20_000, "approve": 100, "export": 20_000,
         "export_small": 10_000}  # fmt: skip
# The export's memory is compared between two sizes both above what its pipe holds when full
# (4 × CHUNK_SIZE rows, editorial.exporters.streaming): at 1,000 of 20,000 answers quick
# mode compared a pipe still filling (37 MB) with a full one (95 MB), not growth.


def run(name: str, args: list[str], *, engine: str, server: str, out: Path) -> Path:
    """One benchmark in its own process; its printed table goes to out/<engine>-<name>.txt."""
    target = out / f"{engine}-{name}.json"
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    if engine == "postgresql":
        # The list, approve and export benchmarks share one database (export builds it).
        prefix = os.environ.get("BENCH_DB_PREFIX", "editorial_bench")
        database = f"{prefix}_{DATABASES.get(name, name.split('-')[0])}"
        env["DATABASE_URL"] = f"{server}/{database}"
        _create_database(server, database)
    started = time.perf_counter()
    with (out / f"{engine}-{name}.txt").open("w") as log:
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / args[0]), *args[1:], "--json", str(target)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=True,
        )  # fmt: skip
    print(f"  {engine:10} {name:16} {time.perf_counter() - started:7.0f} s", flush=True)
    return target


def _create_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        if not connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


NAMES = ("import", "import-large", "list", "approve", "export", "history", "related")


def measure(
    engine: str, sizes: dict, server: str, out: Path, *, only, repeat: int, large_repeat: int
) -> dict:
    rounds = ["--repeat", str(repeat)]
    commands = {
        "import": ["import_bench.py", "--files", str(sizes["files"]), *rounds],
        # The peers at the large size too; the default one would take most of an hour.
        "import-large": ["import_bench.py", "--files", str(sizes["large_files"]),
                         "--repeat", str(large_repeat), "--modes", "editorial,peer-fast,floor"],
        "list": ["admin_list_bench.py", str(sizes["list"])],
        "approve": ["bulk_approve_bench.py", str(sizes["approve"])],
        "export": ["export_bench.py", str(sizes["export"]), "--no-trace",
                   *(["--small", str(sizes["export_small"])] if "export_small" in sizes else [])],
        "history": ["history_bench.py"],
        "related": ["related_bench.py", str(sizes["list"])],
    }  # fmt: skip
    return {
        name: run(name, command, engine=engine, server=server, out=out)
        for name, command in commands.items()
        if name in only
    }


def import_rows(data: dict, *, peers: tuple[str, ...]) -> list[tuple[str, str, str, bool]]:
    """Issue 22's rows: Editorial over each peer by the clock and by CPU, the medians of the
    alternated rounds' ratios, with the runs' load averages and the peer's queries."""
    from import_bench import TARGETS

    rows = []
    files, editorial = data["files"], data["editorial"]
    loads = [value for runs in data["runs"].values() for run in runs for value in run["load"]]
    for peer in (peer for peer in peers if peer in data["ratios"]):  # the runs made
        ratio, theirs = data["ratios"][peer], data[peer]
        queries = f", {theirs['queries']} queries" if "queries" in theirs else ""
        for basis, label in (("rate", "clock"), ("cpu_rate", "CPU")):
            rows.append((
                f"import {files} files: × {peer} ({label})",
                f"{shown(ratio[basis])} × ({editorial[basis]:.0f} vs {theirs[basis]:.0f}/s"
                f"{queries if basis == 'rate' else ''})",
                f"≥ {TARGETS[peer]:.1f} ×", ratio[basis] >= TARGETS[peer],
            ))  # fmt: skip
    rows.append((
        f"import {files} files: load average over the runs", f"{min(loads):.1f} to "
        f"{max(loads):.1f} ({len(data['runs']['editorial'])} alternated rounds)", "", True,
    ))  # fmt: skip
    return rows


def shown(ratio: float) -> str:
    """A ratio to two decimals, rounded down: 0.796 against a target of 0.80 reads 0.79, not
    an 0.80 beside NOT MET (a quick run printed one)."""
    return f"{math.floor(ratio * 100) / 100:.2f}"


def figures(paths: dict[str, Path], sizes: dict) -> list[tuple[str, str, str, bool]]:
    """(figure, value, target, met) rows read from one engine's JSON files."""
    data = {name: json.loads(path.read_text()) for name, path in paths.items() if path.exists()}
    rows = []
    if "import" in data:
        rows += import_rows(data["import"], peers=("peer-fast", "floor", "peer-default"))
    if "import-large" in data:
        rows += import_rows(data["import-large"], peers=("peer-fast", "floor"))
        rows += _large_rows(data["import-large"], sizes)
    for name, rows_of in (
        ("list", _list_rows), ("approve", _approve_rows), ("export", _export_rows),
        ("history", _history_rows), ("related", _related_rows),
    ):  # fmt: skip
        if name in data:  # each on its own: --only may leave any of them out
            rows += rows_of(data[name])
    return rows


def _large_rows(large: dict, sizes: dict) -> list[tuple[str, str, str, bool]]:
    rows = []
    heap = large["editorial"]["peak_heap_mb"]
    rows.append((
        f"import {sizes['large_files']} files: answers/s, peak heap (RSS)",
        f"{large['editorial']['rate']:.0f}/s, {heap:.0f} MB "
        f"({large['editorial']['peak_rss_mb']:.0f} MB)",
        "≤ 300 MB", heap <= 300,
    ))  # fmt: skip
    ratio = more_ratio(large["runs"], large.get("more_sets", 1))
    rows.append((
        f"100 files into {large['editorial']['answers']} answers / into none",
        shown(ratio), "≥ 0.80", ratio >= 0.8,
    ))  # fmt: skip
    return rows


def _list_rows(data: dict) -> list[tuple[str, str, str, bool]]:
    """Issue 9's rows of the answer list (the four after it: approve, export, history, related)."""
    rows = []
    pages = data["figures"]
    answers = data["answers"]
    for kinds, limit in (
        (("unfiltered", "by status", "by subject"), 150),
        (("text search",), 300),
        (("deep page", "text search, deep"), 300),
    ):
        worst = max((page for page in pages if page["page"] in kinds), key=lambda p: p["p95_ms"])
        rows.append((
            f"list at {answers}: {' / '.join(kinds)}, worst p95",
            f"{worst['p95_ms']:.0f} ms ({worst['page']}, {worst['rows']} rows)",
            f"≤ {limit} ms", worst["p95_ms"] <= limit,
        ))  # fmt: skip
    largest = max(page["kb"] for page in pages)
    rows.append(("list page size, largest", f"{largest:.0f} KB", "≤ 150 KB", largest <= 150))
    counts = {(page["page"], page["rows"]): page["queries"] for page in pages}
    same = all(counts[name, 25] == counts[name, 100] for name, _ in counts)
    rows.append((
        "list queries at 25 and 100 rows", f"{sorted(set(counts.values()))}",
        "identical, ≤ 10", same and max(counts.values()) <= 10,
    ))  # fmt: skip
    return rows


def _approve_rows(data: dict) -> list[tuple[str, str, str, bool]]:
    approve = data["median"]
    return [(
        f"bulk approve {approve['approved']:.0f} (select all)",
        f"{approve['confirm_seconds']:.2f} s, {approve['queries_per_answer']:.2f} queries/answer",
        "≤ 5 s", approve["confirm_seconds"] <= 5,
    )]  # fmt: skip


def _export_rows(data: dict) -> list[tuple[str, str, str, bool]]:
    rows = []
    exported = [row for row in data["rows"] if row["format"] == "jsonl"]
    small, big = sorted(exported, key=lambda row: row["answers"])[:1] + [max(
        exported, key=lambda row: row["answers"]
    )]  # fmt: skip
    rows.append((
        f"export jsonl at {big['answers']}: answers/s",
        f"{big['per_second']:.0f}/s ({big['answers'] / big['cpu_seconds']:.0f} per CPU s)",
        "≥ 30,000/s", big["per_second"] >= 30_000,
    ))  # fmt: skip
    key = "peak_heap_mib" if "peak_heap_mib" in big else "max_rss_mib"
    growth = big[key] / small[key]
    rows.append((
        f"export jsonl heap (RSS) at {small['answers']} → {big['answers']}",
        f"{small[key]:.0f} → {big[key]:.0f} MB ({growth:.2f}) "
        f"({small['max_rss_mib']:.0f} → {big['max_rss_mib']:.0f} MB)",
        "≤ 150 MB, within 20 %", big[key] <= 150 and growth <= 1.2,
    ))  # fmt: skip
    return rows


def _history_rows(data: dict) -> list[tuple[str, str, str, bool]]:
    history = data["pages"]
    worst = max(history, key=lambda name: history[name]["p95_ms"])
    return [(
        f"history and diff pages, {data['versions']} versions: worst p95",
        f"{history[worst]['p95_ms']:.0f} ms ({worst})", "≤ 300 ms",
        history[worst]["p95_ms"] <= 300,
    )]  # fmt: skip


def _related_rows(related: dict) -> list[tuple[str, str, str, bool]]:
    return [(
        f"related answers at {related['answers']}: p95 (median)",
        f"{related['p95_ms']:.0f} ms ({related['median_ms']:.0f} ms), "
        f"{max(related['queries'])} queries",
        "≤ 100 ms", related["p95_ms"] <= 100,
    )]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--out", type=Path, default=Path("/tmp/editorial-bench-suite"))
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
        help="the PostgreSQL server for the throwaway databases",
    )
    parser.add_argument("--report-only", action="store_true", help="read --out, run nothing")
    parser.add_argument("--only", default=",".join(NAMES), help="which benchmarks")
    parser.add_argument("--repeat", type=int, default=1, help="the import's alternated rounds")
    parser.add_argument("--large-repeat", type=int, default=1, help="…at the large size")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    args.out.mkdir(parents=True, exist_ok=True)
    engines = args.engines.split(",")
    tables = {}
    for engine in engines:
        only = args.only.split(",")
        if args.report_only:
            paths = {name: args.out / f"{engine}-{name}.json" for name in only}
        else:
            print(f"{engine}:", flush=True)
            paths = measure(
                engine, sizes, args.server, args.out, only=only, repeat=args.repeat,
                large_repeat=args.large_repeat,
            )  # fmt: skip
        tables[engine] = figures(paths, sizes)
    print(f"\nIssues 9 and 22 figures ({'quick' if args.quick else 'full'} sizes), per engine")
    for engine, rows in tables.items():
        print(f"\n{engine}")
        width = max(len(row[0]) for row in rows)
        for figure, value, target, met in rows:
            verdict = ("met" if met else "NOT MET") if target else ""
            print(f"  {figure:{width}}  {value:46} {target:22} {verdict}")
    summary = {engine: [dict(zip(("figure", "value", "target", "met"), row, strict=True))
                        for row in rows] for engine, rows in tables.items()}  # fmt: skip
    (args.out / "suite.json").write_text(json.dumps(summary, indent=2))
    print(f"\nfigures in {args.out}")


if __name__ == "__main__":
    main()
