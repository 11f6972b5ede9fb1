"""Bulk approve benchmark: "select all" 1,000 answers in review, the confirmation page, then
the approvals, over HTTP through the admin, on the export benchmark's database.

    .venv/bin/python bench/bulk_approve_bench.py [N] [--runs 3] [--json PATH]   # N: 1000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/editorial_bench \\
        .venv/bin/python bench/bulk_approve_bench.py 1000

Needs the database bench/export_bench.py builds (EXPORT_BENCH_DB, or DATABASE_URL's). Each
run puts N of its answers in review with a source, assigned to a reviewer, then times the
two POSTs a reviewer makes: the action (the page showing every answer's changes) and the
confirmation (every approval checked, versioned and logged). Prints the median of --runs
runs (seconds, queries per answer) and writes every run as JSON (--json).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import date
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))

import export_bench  # noqa: E402  (sets up Django on the benchmark database)
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from editorial.flags import find_claims  # noqa: E402
from editorial.models import Answer, ClaimEvidence, Source, Status  # noqa: E402

LIST = "/admin/editorial/answer/"


class QueryCount:
    """Counts the statements run inside it (without keeping their SQL, as DEBUG would)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __len__(self) -> int:
        return self.count


def one_run(count: int, client: Client, reviewer, editor) -> dict:
    """Put `count` answers in review, then post "select all" and its confirmation."""
    Answer.objects.filter(status=Status.IN_REVIEW).update(status=Status.DRAFT)
    ids = list(Answer.objects.order_by("pk").values_list("pk", flat=True)[:count])
    Source.objects.filter(answer_id__in=ids).delete()
    Source.objects.bulk_create(
        Source(
            answer_id=pk, url="https://example.org/rmv", title="RMV", accessed_on=date(2026, 11, 1)
        )
        for pk in ids
    )
    # Every claim of their texts settled, as approval requires (common knowledge here).
    ClaimEvidence.objects.filter(answer_id__in=ids).delete()
    ClaimEvidence.objects.bulk_create(
        ClaimEvidence(
            answer_id=pk, claim_key=claim.key, claim_text=claim.text[:300],
            kind=ClaimEvidence.Kind.COMMON_KNOWLEDGE, reason="Benchmark.", settled_by=editor,
            settled_at=timezone.now(),
        )
        for pk, text in Answer.objects.filter(pk__in=ids).values_list("pk", "text")
        for claim in {found.key: found for found in find_claims(text)}.values()
    )  # fmt: skip
    Answer.objects.filter(pk__in=ids).update(
        status=Status.IN_REVIEW, reviewer=reviewer, editor=editor, flags="", flag_level=0
    )
    first = str(ids[0])
    action = {"action": "approve_selected", "select_across": "1", "_selected_action": first}
    url = f"{LIST}?status__exact=in_review"
    started = time.perf_counter()
    shown_queries = QueryCount()
    with connection.execute_wrapper(shown_queries):
        shown = client.post(url, action)
    shown_seconds = time.perf_counter() - started
    html = shown.content.decode()
    carried = re.search(r'name="loaded_versions" value="([\d:,]+)"', html).group(1)
    confirm = {**action, "confirm": "yes", "step": "approve_selected", "comment": "",
               "loaded_versions": carried}  # fmt: skip
    started, cpu_started = time.perf_counter(), time.process_time()
    approve_queries = QueryCount()
    with connection.execute_wrapper(approve_queries):
        done = client.post(url, confirm)
    approve_seconds = time.perf_counter() - started
    approve_cpu_seconds = time.process_time() - cpu_started
    approved = Answer.objects.filter(pk__in=ids, status=Status.APPROVED).count()
    return {
        "selected": count,
        "page_seconds": shown_seconds,
        "page_kb": len(html) / 1024,
        "page_queries": len(shown_queries),
        "page_status": shown.status_code,
        "confirm_seconds": approve_seconds,
        "confirm_cpu_seconds": approve_cpu_seconds,
        "approved": approved,
        "confirm_queries": len(approve_queries),
        "queries_per_answer": len(approve_queries) / max(approved, 1),
        "confirm_status": done.status_code,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("answers", nargs="?", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3, help="runs (median shown)")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args()
    export_bench.call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SECURE_SSL_REDIRECT = False
    User = export_bench.get_user_model()
    reviewer, _ = User.objects.get_or_create(username="bench-approver", defaults={"is_staff": True})
    reviewer.groups.add(Group.objects.get(name="Reviewers"))
    editor, _ = User.objects.get_or_create(username="bench-editor", defaults={"is_staff": True})
    client = Client()
    client.force_login(reviewer)
    runs = [one_run(args.answers, client, reviewer, editor) for _ in range(args.runs)]
    figures = {key: median(run[key] for run in runs) for key in runs[0]}
    engine = "PostgreSQL" if export_bench.POSTGRES else "SQLite"
    print(f"{engine}, median of {args.runs} runs:")
    print(
        f"select all {args.answers} in review → confirmation page: "
        f"{figures['page_seconds']:.2f} s, {figures['page_kb']:.0f} KB, "
        f"{figures['page_queries']:.0f} queries (HTTP {runs[-1]['page_status']})"
    )
    print(
        f"confirm: {figures['confirm_seconds']:.2f} s ({figures['confirm_cpu_seconds']:.2f} s CPU) "
        f"for {figures['approved']:.0f} approvals, "
        f"{figures['confirm_queries']:.0f} queries, {figures['queries_per_answer']:.2f} per answer "
        f"(HTTP {runs[-1]['confirm_status']})"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"engine": engine, "median": figures, "runs": runs}, indent=2)
        )
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
