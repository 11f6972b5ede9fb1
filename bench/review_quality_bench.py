"""Review-quality dashboard benchmark: its time at N decisions, before and after the totals.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rq_bench DEBUG=1 \\
        .venv/bin/python bench/review_quality_bench.py populate 50000 [--code /work/main]
    DATABASE_URL=… .venv/bin/python bench/review_quality_bench.py measure [--code DIR] [--runs 20]

Use a scratch database of its own, migrated first (`manage.py migrate`). `populate` writes a
steady-state history straight into the tables, as the dashboard finds it: N decisions (one
in five a request for changes) by eight reviewers over N/10 answers, each after its submit
event, with its ReviewDecision row (a time from opening to deciding for three in four, from
seconds to days; warnings and unchanged approvals sprinkled). No versions or openings: every
decision is kept already, so neither code derives anything, and both read what they would
read on a real database. Written with the tables both releases share, so one database
serves both: populate and measure with --code pointing at a checkout of the release before
(it imports `editorial` from there), then `migrate` with this one (0019 fills the totals
from the kept decisions) and measure again.

`measure` times the dashboard's data (editorial.admin.quality.review_quality_rows: every
reviewer's figures and links) --runs times and prints the median, p95, the queries and the
load average.

Measured 2026-12-06 on the shared 2-core machine (load average 5.6-7.0 throughout), 20 runs,
DEBUG off; before = main at 19b4505, after = this branch (the same database, migrated):

    decisions  database          before (median / p95)   after (median / p95)   queries
    5,000      PostgreSQL        288 / 358 ms            37 / 52 ms             5 -> 4
    5,000      PostgreSQL, no JIT 107 / 129 ms           43 / 58 ms
    50,000     PostgreSQL        3,356 / 4,267 ms        30 / 38 ms             5 -> 4
    50,000     PostgreSQL, no JIT 558 / 652 ms           27 / 36 ms
    50,000     SQLite            616 / 676 ms            55 / 77 ms             5 -> 4

Before, PostgreSQL compiled the refresh's anti-join with JIT (its cost estimate grows with
the history): most of the time at 50,000. Migration 0019 at 50,000 decisions: 13 s for the
whole `migrate` command on PostgreSQL, 5 s on SQLite (mostly start-up).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

REVIEWERS = 8


def setup(code: str | None) -> None:
    root = Path(code).resolve() if code else Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import editorial

    print(f"code: {Path(editorial.__file__).parent}")


def populate(decisions: int) -> None:
    from django.contrib.auth.models import Group, User
    from django.db import connection, transaction
    from django.utils import timezone

    from editorial.models import Answer, Document, ReviewDecision, WorkflowEvent

    Action = WorkflowEvent.Action
    picks = random.Random(21)
    now = timezone.now()
    with transaction.atomic():
        group = Group.objects.get(name="Reviewers")
        reviewers = []
        for index in range(REVIEWERS):
            user = User.objects.create_user(f"bench_reviewer{index}", is_staff=True)
            user.groups.add(group)
            reviewers.append(user)
        document = Document.objects.create(
            name="review_quality_bench.txt", content_hash="0" * 64, imported_at=now
        )
        answers = Answer.objects.bulk_create(
            Answer(document=document, position=position, question=f"Q{position}?",
                   text=f"A{position}.", imported_question=f"Q{position}?",
                   imported_text=f"A{position}.", status="approved")
            for position in range(1, max(decisions // 10, 1) + 1)
        )  # fmt: skip
        events = []
        for index in range(decisions):
            answer = answers[index % len(answers)]
            reviewer = reviewers[picks.randrange(REVIEWERS)]
            at = now - timedelta(minutes=decisions - index)
            action = Action.REQUEST_CHANGES if picks.random() < 0.2 else Action.APPROVE
            events.append(WorkflowEvent(answer=answer, action=Action.SUBMIT, from_status="draft",
                                        to_status="in_review", created_at=at))  # fmt: skip
            events.append(WorkflowEvent(answer=answer, actor=reviewer, action=action,
                                        from_status="in_review", to_status="approved",
                                        created_at=at))  # fmt: skip
        WorkflowEvent.objects.bulk_create(events, batch_size=5000)
        decided = [event for event in events if event.action != Action.SUBMIT]
        kept = []
        for event in decided:
            approval = event.action == Action.APPROVE
            timed = picks.random() < 0.75
            kept.append(
                ReviewDecision(
                    event=event,
                    reviewer=event.actor,
                    answer=event.answer,
                    action=event.action,
                    decided_at=event.created_at,
                    seconds_to_decide=int(picks.lognormvariate(6, 2)) if timed else None,
                    opened_at=event.created_at if timed else None,
                    with_warnings=approval and picks.random() < 0.1,
                    unchanged=approval and picks.random() < 0.3,
                )  # fmt: skip
            )
        ReviewDecision.objects.bulk_create(kept, batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"populated: {len(decided)} decisions by {REVIEWERS} reviewers on {len(answers)} answers")


def measure(runs: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from editorial.admin.quality import review_quality_rows
    from editorial.models import ReviewDecision

    review_quality_rows()  # warm: content types, permissions, the first refresh if any
    with CaptureQueriesContext(connection) as queries:
        rows = review_quality_rows()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        review_quality_rows()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    with open("/proc/loadavg") as loadavg:
        load = " ".join(loadavg.read().split()[:3])
    print(
        f"{connection.vendor}: {ReviewDecision.objects.count()} decisions kept, "
        f"{len(rows)} reviewer rows, {len(queries)} queries; "
        f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms over {runs} runs; "
        f"load {load}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["populate", "measure"])
    parser.add_argument("decisions", nargs="?", type=int, default=50_000)
    parser.add_argument("--code", help="the checkout whose editorial to run (default: this)")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    setup(args.code)
    if args.what == "populate":
        populate(args.decisions)
    else:
        measure(args.runs)


if __name__ == "__main__":
    main()
