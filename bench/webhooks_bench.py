"""Webhooks benchmark: N answers approved (then some archived and restored) while task
workers deliver to a local receiver that fails each event's first two attempts.

    .venv/bin/python bench/webhooks_bench.py [N] [--workers 2] [--scale 0.01] [--json PATH]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/editorial_hooks_bench \\
        .venv/bin/python bench/webhooks_bench.py 500

A throwaway database (the SQLite file WEBHOOKS_BENCH_DB, default
/tmp/editorial-webhooks-bench.sqlite3, or DATABASE_URL's PostgreSQL database, which must be
named editorial_hooks…: it is dropped and made again) gets N imported answers. A receiver on
127.0.0.1 (tests/webhooks/receiver.py) verifies every request with standardwebhooks and
answers the first two of each webhook-id with 500. Task workers (`manage.py db_worker`
processes, --workers of them) run the delivery tasks the steps queue, while a reviewer
approves the N answers through workflow.approve_many, 25 at a time, and a managing editor
archives a quarter of them and restores half of those (withdrawn, then re-approved: three
events for those answers, which must arrive in order).

The retry schedule is the real one scaled by --scale (0.01: 5 s → 50 ms, 5 min → 3 s) so
the run takes seconds; the figures that do not depend on it are the first attempt's
latency (the step's commit to the receiver's first request: the queue and the worker, here
behind the backlog the run builds) and the accepted request's own time. Then, with nothing
waiting, --probes single archives are timed from commit to the receiver's first request
(the queue and a worker alone). Prints exactly-once, order and signature counts (NOT MET if
any event was accepted other than once, out of order, or unverified), the
latencies (median, p95) and one signed delivery with its verification.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date
from itertools import product
from pathlib import Path
from statistics import median, quantiles

ROOT = Path(__file__).resolve().parent.parent
DB = Path(os.environ.get("WEBHOOKS_BENCH_DB", "/tmp/editorial-webhooks-bench.sqlite3"))
POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
if not POSTGRES:
    os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
    DB.unlink(missing_ok=True)
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "webhooks-benchmark-only-not-a-deployment-secret")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["EDITORIAL_WEBHOOKS_ALLOW_PRIVATE"] = "1"  # the receiver is on 127.0.0.1
os.environ["EDITORIAL_APPROVAL_NEEDS_SETTLED_CLAIMS"] = "0"
os.environ["TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
sys.path.insert(0, str(ROOT))


def recreate_postgres_database() -> None:
    """Drop and make again DATABASE_URL's database: the benchmark's own (editorial_hooks…)."""
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    name = params.pop("dbname")
    if not name.startswith("editorial_hooks"):
        sys.exit(f"The benchmark drops its database; {name!r} is not an editorial_hooks… one.")
    for key in ("cursor_factory", "context"):
        params.pop(key, None)
    with psycopg.connect(**params, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from standardwebhooks import Webhook  # noqa: E402

from editorial import webhooks, workflow  # noqa: E402
from editorial.importers import import_paths  # noqa: E402
from editorial.models import (  # noqa: E402
    Answer,
    DeliveryState,
    Source,
    Status,
    WebhookAttempt,
    WebhookMessage,
)
from editorial.webhooks import delivery  # noqa: E402
from tests.webhooks.receiver import Receiver  # noqa: E402

WORDS = ["licence", "address", "photo", "vehicle", "insurance", "medical", "court", "tax"]
VERBS = ["keeps", "shares", "checks", "stores", "reviews", "seals"]
HOW = ["only as the rules allow", "on written request", "for a warrant", "never in bulk"]


def corpus(count: int) -> Path:
    """N distinct plain answers (no hedge, no specific claim), as a JSONL file to import."""
    path = Path(tempfile.mkdtemp(prefix="editorial-webhooks-")) / "webhooks-bench.jsonl"
    combos = product(WORDS, VERBS, HOW, WORDS)
    with path.open("w") as out:
        for index, (word, verb, how, other) in zip(range(count), combos, strict=False):
            question = f"What does the agency do with {word} and {other} records, case {index}?"
            answer = f"The agency {verb} {word} records and {other} records {how}."
            out.write(json.dumps({"question": question, "answer": answer}) + "\n")
    return path


def person(username: str, group: str):
    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"is_staff": True, "email": f"{username}@example.org"}
    )
    user.groups.set(Group.objects.filter(name=group))
    return user


class Workers:
    """`manage.py db_worker` processes, as production runs them, with the schedule scaled."""

    def __init__(self, count: int, scale: float) -> None:
        self.count, self.scale = count, scale
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> Workers:
        for number in range(self.count):
            code = (
                "import django; django.setup()\n"
                "from editorial.webhooks import delivery\n"
                f"delivery.SCHEDULE = tuple(wait * {self.scale!r} for wait in delivery.SCHEDULE)\n"
                "from django.core.management import call_command\n"
                "call_command('db_worker', '--no-reload', '--no-startup-delay', "
                f"'--interval', '0.05', '--worker-id', 'bench-{number}')\n"
            )
            self.processes.append(
                subprocess.Popen(
                    [sys.executable, "-c", code],
                    cwd=ROOT,
                    env=os.environ.copy(),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def p95(values: list[float]) -> float:
    return quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("answers", nargs="?", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scale", type=float, default=0.01, help="the retry schedule × this")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait at most")
    parser.add_argument("--probes", type=int, default=5, help="single steps timed idle")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    if POSTGRES:
        recreate_postgres_database()
    call_command("migrate", verbosity=0)
    delivery.SCHEDULE = tuple(wait * args.scale for wait in delivery.SCHEDULE)
    summary = import_paths([corpus(args.answers)])
    assert not summary.failed, summary.failed
    editor, reviewer = person("bench-editor", "Editors"), person("bench-reviewer", "Reviewers")
    managing = person("bench-managing", "Managing editors")
    ids = list(Answer.objects.order_by("pk").values_list("pk", flat=True))
    Source.objects.bulk_create(
        Source(
            answer_id=pk, url="https://example.org/rmv", title="RMV", accessed_on=date(2026, 11, 1)
        )
        for pk in ids
    )
    Answer.objects.filter(pk__in=ids).update(
        status=Status.IN_REVIEW, reviewer=reviewer, editor=editor, flags="", flag_level=0
    )

    with Receiver(fail_first=2) as receiver:
        endpoint = webhooks.create_endpoint(
            url=receiver.url,
            events=["answer.approved", "answer.reapproved", "answer.withdrawn"],
            user=managing,
        )
        receiver.secret = endpoint.secret
        started = time.perf_counter()
        with Workers(args.workers, args.scale):
            for start in range(0, len(ids), 25):
                batch = list(Answer.objects.filter(pk__in=ids[start : start + 25]))
                outcome = workflow.approve_many(answers=batch, user=reviewer)
                assert not outcome.refused, outcome.refused[:1]
            archived = list(Answer.objects.filter(pk__in=ids[::4]))
            for answer in archived:
                workflow.archive(answer, managing)
            for answer in archived[::2]:
                workflow.restore(answer, managing)
            steps_seconds = time.perf_counter() - started
            expected = WebhookMessage.objects.count()
            deadline = time.monotonic() + args.timeout
            while (
                WebhookMessage.objects.filter(state=DeliveryState.DELIVERED).count() < expected
                and time.monotonic() < deadline
            ):
                time.sleep(0.1)
            total_seconds = time.perf_counter() - started
            idle = probe(receiver, managing, ids[1::4][: args.probes], args.timeout)
        expected = WebhookMessage.objects.count()
        report(args, receiver, endpoint, expected, steps_seconds, total_seconds, idle)


def probe(receiver, managing, ids: list[int], timeout: float) -> list[float]:
    """With nothing waiting: archive one answer at a time, and time its withdrawal from the
    commit to the receiver's first request (the queue and a worker, no backlog)."""
    latencies = []
    for pk in ids:
        workflow.archive(Answer.objects.get(pk=pk), managing)
        message = WebhookMessage.objects.get(answer_id=pk, event_type="answer.withdrawn")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message.refresh_from_db()
            if message.state == DeliveryState.DELIVERED:
                break
            time.sleep(0.02)
        first = min(r.at for r in receiver.requests if r.webhook_id == message.webhook_id)
        latencies.append(first - message.created_at.timestamp())
    return latencies


def report(args, receiver, endpoint, expected, steps_seconds, total_seconds, idle) -> None:
    messages = list(WebhookMessage.objects.order_by("pk"))
    counts = receiver.accepted_counts()
    once = sum(1 for m in messages if counts.get(m.webhook_id) == 1)
    extra = sum(count - 1 for count in counts.values() if count > 1)
    accepted_at = {r.webhook_id: r.at for r in receiver.accepted}
    first_at = {}
    for r in receiver.requests:
        first_at.setdefault(r.webhook_id, r.at)
    # In order: each event of an answer first tried after the one before it was accepted.
    by_answer: dict[int, list[WebhookMessage]] = {}
    for message in messages:
        by_answer.setdefault(message.answer_id, []).append(message)
    in_order = out_of_order = 0
    for chain in by_answer.values():
        for earlier, later in zip(chain, chain[1:], strict=False):
            ok = (
                earlier.webhook_id in accepted_at
                and later.webhook_id in first_at
                and first_at[later.webhook_id] > accepted_at[earlier.webhook_id]
            )
            in_order, out_of_order = in_order + ok, out_of_order + (not ok)
    verified = sum(1 for r in receiver.requests if r.verified)
    first = [
        first_at[m.webhook_id] - m.created_at.timestamp()
        for m in messages
        if m.webhook_id in first_at
    ]
    whole = [
        accepted_at[m.webhook_id] - m.created_at.timestamp()
        for m in messages
        if m.webhook_id in accepted_at
    ]
    # How long the accepted request took, as the attempt log has it.
    took = list(
        WebhookAttempt.objects.filter(status_code__gte=200, status_code__lt=300).values_list(
            "duration_ms", flat=True
        )
    )
    schedule_to_third = (delivery.SCHEDULE[1] + delivery.SCHEDULE[2]).total_seconds()
    figures = {
        "answers": args.answers,
        "events": expected,
        "database": connection.vendor,
        "workers": args.workers,
        "schedule_scale": args.scale,
        "steps_seconds": round(steps_seconds, 2),
        "total_seconds": round(total_seconds, 2),
        "requests": len(receiver.requests),
        "accepted_exactly_once": once,
        "accepted_more_than_once": extra,
        "never_accepted": sum(1 for m in messages if m.webhook_id not in counts),
        "order_pairs_in_order": in_order,
        "order_pairs_out_of_order": out_of_order,
        "requests_verified": verified,
        "first_attempt_latency_ms_median": round(median(first) * 1000, 1),
        "first_attempt_latency_ms_p95": round(p95(first) * 1000, 1),
        "accepted_latency_s_median": round(median(whole), 3),
        "accepted_latency_s_p95": round(p95(whole), 3),
        "scheduled_wait_before_third_attempt_s": schedule_to_third,
        "accepted_request_ms_median": median(took) if took else None,
        "idle_first_attempt_latency_ms": sorted(round(value * 1000, 1) for value in idle),
        "load_average": os.getloadavg(),
    }
    for name, value in figures.items():
        print(f"{name:40} {value}")
    met = (
        once == expected
        and extra == 0
        and out_of_order == 0
        and verified == len(receiver.requests)
        and len(receiver.requests) == 3 * expected
    )
    print("exactly once, in order, all verified:", "MET" if met else "NOT MET")
    sample = receiver.accepted[0]
    headers = {
        k: sample.headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
    print("\nOne signed delivery (the receiver's view):")
    print(f"POST {receiver.url}")
    for name in ("content-type", "user-agent", *headers):
        print(f"{name}: {sample.headers[name]}")
    print()
    print(sample.body.decode())
    try:
        payload = Webhook(endpoint.secret).verify(sample.body, headers)
        print(f"\nWebhook(secret).verify(body, headers) → {payload['type']} of answer "
              f"{payload['data']['id']}: verified")  # fmt: skip
    except Exception as error:  # the sample's own failure is the figure
        print(f"\nverification failed: {error!r}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()
