"""Import benchmark: Editorial's import beside django-import-export and a bulk_create floor.

    .venv/bin/pip install -e '.[bench]'                       # django-import-export, bench only
    .venv/bin/python bench/import_bench.py [--files 2000] [--more 100] [--repeat 1] [--json PATH]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/editorial_bench \\
        .venv/bin/python bench/import_bench.py --files 500

Each figure comes from its own process on its own fresh database (an SQLite file under
/tmp/editorial-bench, or the PostgreSQL database of DATABASE_URL, flushed), all in this one
run, on the same generated seed-format files (bench/corpus.py):

- editorial: `import_paths` as `import_answers` runs it: per file atomic, one reversion
  revision per file, a version and an event per answer, flags;
- more: 100 further files into the database the editorial run left (its size grows), and
  the same 100 files into an empty one, each run started alike in a process of its own:
  the rate must not fall as the database grows. --more-sets such sets a round (8), each
  after the last into the large database, each into an empty one of its own; the ratio is
  the round's rate over all its sets (SQLite's search index merges during some of them);
- peer-fast: django-import-export into the same Answer table (documents created first,
  untimed), at its documented best: use_bulk, skip_diff, force_init_instance, batch_size
  1000, the documents read once into its foreign-key widget (its docs' advice) and row
  results keeping the id only; its statements are counted and asserted to grow by batch,
  not by row. Timed: reading and parsing the files with the product's own parser, building
  its Dataset, the import and (SQLite) the final checkpoint, as for Editorial. It writes
  no history, no events, no flags;
- peer-default: the same with django-import-export's defaults (a save, a document query
  and a str() per row);
- floor: `bulk_create` of the same rows, nothing else (parse and checkpoint timed too).

--modes chooses the runs; --repeat alternates them in rounds. CPU time counts child
processes (Editorial may prepare files in a second one). Prints each run as it ends with
the load average, one table of medians, Editorial's ratio to each peer by the clock and by
CPU (the median of the rounds' ratios) against its target, NOT MET where missed, and writes
the figures as JSON (--json) so runs can be compared.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("EDITORIAL_BENCH_DIR", "/tmp/editorial-bench"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _setup_django(database: str) -> None:
    os.environ["DATABASE_URL"] = database
    os.environ["DEBUG"] = "0"  # DEBUG keeps every query's SQL in memory
    os.environ.setdefault("SECRET_KEY", "import-benchmark-only-not-a-deployment-secret")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    # A throwaway benchmark database: flush may empty its history (migration 0007).
    os.environ["EDITORIAL_FLUSH_ERASES_HISTORY"] = "1"
    import django

    django.setup()
    from django.core.management import call_command

    if database.startswith("postgres"):
        call_command("migrate", verbosity=0)
        call_command("flush", interactive=False, verbosity=0)
        call_command("migrate", verbosity=0)  # flush empties the groups too
    else:
        call_command("migrate", verbosity=0)
    # The migrations' garbage (their model states are full of reference cycles) collected
    # before anything is timed, as in a process that did not migrate first: every mode
    # starts from the same heap, and the import, which pauses the collector, is not left
    # holding it.
    gc.collect()


class Clock:
    """Seconds on the clock and of this process's CPU since it was made.

    CPU time is steadier than the clock on a shared machine; with PostgreSQL it leaves
    out the server's own work, so there the clock is the figure.
    """

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), self._cpu()

    @staticmethod
    def _cpu() -> float:
        # Child processes too (a parallel prepare's), counted once they have ended.
        return sum(
            usage.ru_utime + usage.ru_stime
            for usage in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        )

    def figures(self, answers: int, *, plus: Clock | None = None) -> dict:
        """The answers and both times, with another clock's time added (the parse)."""
        wall, cpu = time.perf_counter() - self.wall, self._cpu() - self.cpu
        if plus is not None:
            wall, cpu = wall + plus.wall, cpu + plus.cpu
        return {"answers": answers, "seconds": wall, "cpu_seconds": round(cpu, 2)}

    def stop(self) -> Clock:
        self.wall, self.cpu = time.perf_counter() - self.wall, self._cpu() - self.cpu
        return self


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _parsed(files: list[Path]):
    from editorial.importers import detect_subject, parse_file

    for path in files:
        _, items = parse_file(path)
        yield path, detect_subject(items), items


def _documents(parsed) -> dict[str, object]:
    from django.utils import timezone

    from editorial.models import Document

    now = timezone.now()
    Document.objects.bulk_create(
        [Document(name=path.name, content_hash=path.name, subject=subject, imported_at=now)
         for path, subject, _ in parsed]
    )  # fmt: skip
    return dict(Document.objects.values_list("name", "pk"))


def run_mode(mode: str, folder: Path, database: str) -> dict:
    """One measurement, in this process, on a fresh database."""
    _setup_django(database)
    files = sorted(folder.glob("*.txt"))
    if mode == "editorial":
        from editorial.importers import batch, import_paths

        # Whether files are prepared in a second process: only with a core idle (batch).
        second = len(files) > batch.FILES_PER_COMMIT and batch._second_process()
        clock = Clock()
        summary = import_paths(files)
        assert not summary.failed, summary.failed[0].error
        _checkpoint()
        return {**clock.figures(summary.total("created")), "second_process": second}
    parse_clock = Clock()
    parsed = list(_parsed(files))
    parse_clock.stop()
    document_ids = _documents(parsed)
    rows = [
        (document_ids[path.name], item.position, item.question, item.answer)
        for path, _, items in parsed
        for item in items
    ]
    if mode == "floor":
        from editorial.models import Answer

        clock = Clock()
        Answer.objects.bulk_create(
            [Answer(document_id=d, position=p, question=q, text=t, imported_question=q,
                    imported_text=t) for d, p, q, t in rows],
            batch_size=1000,
        )  # fmt: skip
        _checkpoint()
        return clock.figures(len(rows), plus=parse_clock)
    from editorial.models import Answer

    clock = Clock()
    with QueryCount() as queries:
        result = _peer_fast(rows) if mode == "peer-fast" else _peer_default(rows)
    _checkpoint()
    figures = clock.figures(len(rows), plus=parse_clock)
    assert not result.has_errors()
    assert Answer.objects.count() == len(rows)
    figures["queries"] = queries.count
    if mode == "peer-fast":
        # O(batches), none per row: per batch of 1,000 rows a savepoint, its release and
        # the INSERTs Django splits it into (SQLite binds at most 999 values a statement).
        from django.db import connection

        fields = [field for field in Answer._meta.concrete_fields if not field.primary_key]
        per_insert = connection.ops.bulk_batch_size(fields, [None] * PEER_BATCH)
        batches = -(-len(rows) // PEER_BATCH)
        inserts = batches * -(-PEER_BATCH // per_insert)
        assert queries.count <= 10 + 2 * batches + inserts, (queries.count, batches, inserts)
    return figures


# django-import-export's batch size in its fastest configuration (its docs: None, one
# batch for everything, measured worse in time and memory).
PEER_BATCH = 1000


class QueryCount:
    """The statements run inside, counted by a connection execute wrapper (Django's
    documented hook; executemany counts once)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self) -> QueryCount:
        from django.db import connection

        self._wrapped = connection.execute_wrapper(self)
        self._wrapped.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._wrapped.__exit__(*exc)


def _dataset(rows):
    import tablib

    dataset = tablib.Dataset(headers=["id", "document", "position", "question", "text"])
    for document, position, question, text in rows:
        dataset.append(("", document, position, question, text))
    return dataset


def _peer_default(rows):
    """django-import-export with its defaults: a save per row, each in its own savepoint,
    a diff of each row, the default ForeignKeyWidget (a Document.objects.get per row) and
    the row result's str(answer), which reads the answer's document (a query per row)."""
    from import_export import fields, resources

    from editorial.models import Answer

    class AnswerResource(resources.ModelResource):
        imported_question = fields.Field(attribute="imported_question", column_name="question")
        imported_text = fields.Field(attribute="imported_text", column_name="text")

        class Meta:
            model = Answer
            fields = ("id", "document", "position", "question", "text")

    return AnswerResource().import_data(_dataset(rows), raise_errors=True)


def _peer_fast(rows):
    """django-import-export at its documented best (docs/bulk_import.rst, "Performance
    tuning"): use_bulk, skip_diff, force_init_instance, batch_size 1000, and its caveat
    followed: "If you use ForeignKeyWidget then this can affect performance, because it
    reads from the database for each row. … create a subclass which caches get_queryset()
    results". The documents are read once, as instances, so the answer's str() (the row
    result's object_repr) reads its document from memory; the row result keeps the id
    alone (the documented get_row_result_class hook), as nothing here shows the repr.
    CachedForeignKeyWidget (4.4) does the caching too, but builds a namedtuple class per
    lookup; a dict is the faster of the two."""
    from import_export import fields, resources, results, widgets

    from editorial.models import Answer, Document

    class PreloadedDocuments(widgets.ForeignKeyWidget):
        def __init__(self) -> None:
            super().__init__(Document)
            self.documents = {document.pk: document for document in Document.objects.all()}

        def clean(self, value, row=None, **kwargs):
            return self.documents[value]

    class IdOnly(results.RowResult):
        def add_instance_info(self, instance):
            self.object_id = instance.pk

    class AnswerResource(resources.ModelResource):
        document = fields.Field(
            attribute="document", column_name="document", widget=PreloadedDocuments()
        )
        imported_question = fields.Field(attribute="imported_question", column_name="question")
        imported_text = fields.Field(attribute="imported_text", column_name="text")

        class Meta:
            model = Answer
            fields = ("id", "document", "position", "question", "text")
            use_bulk = True
            skip_diff = True
            force_init_instance = True
            batch_size = PEER_BATCH

        @classmethod
        def get_row_result_class(cls):
            return IdOnly

    return AnswerResource().import_data(_dataset(rows), raise_errors=True)


def _checkpoint() -> None:
    """SQLite: copy what the log still holds into the database, inside the timing, so a
    run is charged with all its writes (a larger autocheckpoint leaves more for the end)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")


def _child(mode: str, folder: Path, database: str) -> list[str]:
    """The command of one child run: a measurement, or (migrate) an empty database made."""
    return [sys.executable, __file__, "--mode", mode, "--folder", str(folder),
            "--database", database]  # fmt: skip


def _measure(mode: str, folder: Path, database: str, *, label: str = "") -> dict:
    # Each run starts with the disks idle: not paying for writing out the run before it
    # (the 10,000-file build leaves gigabytes for the OS to write behind the next run).
    os.sync()
    load = os.getloadavg()[0]
    output = subprocess.run(
        _child(mode, folder, database),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    figures["rate"] = figures["answers"] / figures["seconds"]
    figures["cpu_rate"] = figures["answers"] / max(figures["cpu_seconds"], 0.01)
    # The 1-minute load average as the run started and as it ended: others' work too.
    figures["load"] = [round(load, 2), round(os.getloadavg()[0], 2)]
    print(
        f"  {label or mode:14} {figures['rate']:8.0f}/s  {figures['cpu_rate']:8.0f} per CPU s  "
        f"load {figures['load'][0]:.2f} → {figures['load'][1]:.2f}"
        + (f"  {figures['queries']} queries" if "queries" in figures else "")
        + ("  (second process preparing)" if figures.get("second_process") else ""),
        flush=True,
    )
    return figures


MODES = ("editorial", "peer-fast", "peer-default", "floor")
# Targets (issue 22): Editorial's rate over each peer's, by the clock and by CPU time.
TARGETS = {"peer-fast": 1.0, "peer-default": 4.0, "floor": 0.8}


def _median_run(runs: list[dict]) -> dict:
    """The run with the median rate (the lower middle one of an even count)."""
    return sorted(runs, key=lambda run: run["rate"])[(len(runs) - 1) // 2]


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def ratios(runs: dict[str, list[dict]]) -> dict[str, dict[str, float]]:
    """Editorial over each peer, by the clock ("rate") and by CPU ("cpu_rate"): the median
    of the ratios of runs made side by side (round i of Editorial over round i of the
    peer), so a busy spell weighs on both sides of a ratio alike."""
    found = {}
    for peer in TARGETS:
        if peer not in runs or "editorial" not in runs:
            continue
        pairs = list(zip(runs["editorial"], runs[peer], strict=False))
        found[peer] = {
            key: _median([ours[key] / theirs[key] for ours, theirs in pairs])
            for key in ("rate", "cpu_rate")
        }
    return found


def more_ratio(runs: dict[str, list[dict]], sets: int = 1) -> float:
    """The 'more' files' rate into the large database over into an empty one: in each round,
    all its sets' answers over all their seconds on each side (`sets` a round), and the
    median of the rounds' ratios, as for the peers. A round's sets follow one another into
    the large database, so some land while the search index merges and some do not."""
    large, empty = runs["more (into the large database)"], runs["more (into an empty database)"]
    assert len(large) == len(empty) and len(large) % sets == 0, (len(large), len(empty), sets)

    def rate(measured: list[dict]) -> float:
        return sum(run["answers"] for run in measured) / sum(run["seconds"] for run in measured)

    return _median([
        rate(large[start : start + sets]) / rate(empty[start : start + sets])
        for start in range(0, len(large), sets)
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--more", type=int, default=100)
    parser.add_argument(
        "--more-sets",
        type=int,
        default=8,
        help="sets of --more files per round, each into the large and into an empty database: "
        "one such import takes half a second, one pair a round swung by a fifth, and the search "
        "index merges (SQLite) during some of them: 8 sets, one cycle of its merges",
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds of each; medians shown")
    parser.add_argument(
        "--modes",
        default=",".join(MODES),
        help="which runs, alternated in each round (peer-default takes long at 10,000 files)",
    )
    parser.add_argument(
        "--editorial-only", action="store_true", help="only Editorial and the 'more' runs"
    )
    parser.add_argument("--json", type=Path, default=WORK / "import-bench.json")
    parser.add_argument("--mode")
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--database")
    args = parser.parse_args()
    if args.mode:  # a child process: one measurement
        from memory import PeakAnonymous

        heap = PeakAnonymous()
        heap.start()
        if args.mode == "migrate":  # an empty database for the 'more' run, untimed
            _setup_django(args.database)
            print(json.dumps({}))
            return
        if args.mode == "more":
            # The database the editorial run left, or one just migrated: no migrate, no flush.
            os.environ["DATABASE_URL"] = args.database
            os.environ["DEBUG"] = "0"
            os.environ.setdefault("SECRET_KEY", "import-benchmark-only-not-a-deployment-secret")
            os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
            import django

            django.setup()
            from editorial.importers import import_paths

            clock = Clock()
            summary = import_paths(sorted(args.folder.glob("*.txt")))
            _checkpoint()
            figures = clock.figures(summary.total("created"))
        else:
            figures = run_mode(args.mode, args.folder, args.database)
        figures["peak_rss_mb"] = round(_peak_rss_mb(), 1)
        figures["peak_heap_mb"] = round(heap.peak_kb / 1024, 1)
        print(json.dumps(figures))
        return

    from corpus import VERSION, generate

    WORK.mkdir(parents=True, exist_ok=True)
    corpus = WORK / f"corpus-v{VERSION}-{args.files}"
    more = WORK / f"more-v{VERSION}-{args.files}+{args.more}x{args.more_sets}"
    extras = [more / f"set{number}" for number in range(args.more_sets)] if args.more else []
    if not corpus.exists():
        generate(args.files, corpus)
    if extras and not more.exists():
        # The files after the corpus's own: generated whole, each set in a folder of its own.
        with tempfile.TemporaryDirectory(dir=WORK) as scratch:
            generate(args.files + args.more * args.more_sets, Path(scratch))
            after = sorted(Path(scratch).glob("*.txt"))[args.files :]
            for number, extra in enumerate(extras):
                extra.mkdir(parents=True)
                for path in after[number * args.more : (number + 1) * args.more]:
                    path.rename(extra / path.name)
    postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")

    def sqlite_file(name: str) -> Path:
        return WORK / f"{name}.sqlite3"

    def database(name: str) -> str:
        if postgres:
            return os.environ["DATABASE_URL"]
        for leftover in WORK.glob(f"{name}.sqlite3*"):
            leftover.unlink()
        return f"sqlite:///{sqlite_file(name)}"

    modes = ("editorial",) if args.editorial_only else tuple(args.modes.split(","))
    engine = "PostgreSQL" if postgres else "SQLite"
    print(f"{args.files} files, {engine}, {args.repeat} round(s) of {', '.join(modes)}")
    runs: dict[str, list[dict]] = {}
    for round_ in range(args.repeat):  # modes alternated, so a busy spell hits them alike
        print(f"round {round_ + 1}", flush=True)
        editorial_db = database("editorial")
        for mode in modes:
            db = editorial_db if mode == "editorial" else database(mode)
            runs.setdefault(mode, []).append(_measure(mode, corpus, db))
            if mode == "editorial":
                for extra in extras:  # each set after the last: the database grows a little
                    runs.setdefault("more (into the large database)", []).append(
                        _measure("more", extra, editorial_db)
                    )
        for number, extra in enumerate(extras):
            # Measured as into the large one: a process of its own, started on a database
            # it did not make (a migrate just before in the same process had its connection
            # open and its caches warm: 0.32 against 0.34 s for the 100 files). SQLite: one
            # database migrated a round, copied for each set (a migrate takes 3.5 s).
            empty = database("empty")
            if postgres or number == 0:
                subprocess.run(_child("migrate", extra, empty), check=True, capture_output=True)
                if not postgres:
                    shutil.copyfile(sqlite_file("empty"), sqlite_file("empty-template"))
            else:
                shutil.copyfile(sqlite_file("empty-template"), sqlite_file("empty"))
            runs.setdefault("more (into an empty database)", []).append(
                _measure("more", extra, empty, label="more-empty")
            )
    figures = {name: _median_run(measured) for name, measured in runs.items()}
    found = ratios(runs)

    answers = figures["editorial"]["answers"]
    print(f"\nImport of {args.files} files ({answers} answers), {engine}, median of {args.repeat}")
    print(
        f"{'':34} {'answers/s':>10} {'seconds':>9} {'per CPU s':>10} {'peak RSS MB':>12} "
        f"{'peak heap MB':>13} {'queries':>8} {'load':>12}"
    )
    for name, row in figures.items():
        load = "→".join(f"{value:.1f}" for value in row["load"])
        print(
            f"{name:34} {row['rate']:>10.0f} {row['seconds']:>9.2f} {row['cpu_rate']:>10.0f} "
            f"{row['peak_rss_mb']:>12.1f} {row['peak_heap_mb']:>13.1f} "
            f"{row.get('queries', ''):>8} {load:>12}"
        )
    if found:
        print("\nEditorial (full history) over each peer, median of the rounds' ratios:")
    for peer, ratio in found.items():
        for basis, key in (("clock", "rate"), ("CPU", "cpu_rate")):
            met = ratio[key] >= TARGETS[peer]
            print(
                f"  / {peer:13} by the {basis:5} {ratio[key]:5.2f} ×   target ≥ {TARGETS[peer]:.1f}"
                f"   {'met' if met else 'NOT MET'}"
            )
    if extras:
        print(
            f"{args.more} more files into the large database ({answers} answers) / into an "
            f"empty one: {more_ratio(runs, args.more_sets):.2f} (the rounds' rates, median)"
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "engine": engine,
                "files": args.files,
                "more_sets": args.more_sets,
                **figures,
                "ratios": found,
                "runs": runs,
            },
            indent=2,
        )
    )
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
