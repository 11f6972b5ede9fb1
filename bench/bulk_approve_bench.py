"""Bulk approve benchmark: "select all" 1,000 answers in review, the confirmation page, then
the approvals, over HTTP through the admin, on the export benchmark's database.

    .venv/bin/python bench/bulk_approve_bench.py [N]     # N answers to approve, default 1000

Needs the database bench/export_bench.py builds (EXPORT_BENCH_DB). Puts N of its answers
in review with a source, assigned to a reviewer, then times the two POSTs a reviewer makes:
the action (the page showing every answer's changes) and the confirmation (every approval
checked, versioned and logged). Prints seconds and queries per answer.
"""

from __future__ import annotations

import re
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import export_bench  # noqa: E402  (sets up Django on the benchmark database)
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from editorial.models import Answer, Source, Status  # noqa: E402

LIST = "/admin/editorial/answer/"


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    export_bench.call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SECURE_SSL_REDIRECT = False
    User = export_bench.get_user_model()
    reviewer, _ = User.objects.get_or_create(username="bench-approver", defaults={"is_staff": True})
    reviewer.groups.add(Group.objects.get(name="Reviewers"))
    editor, _ = User.objects.get_or_create(username="bench-editor", defaults={"is_staff": True})
    Answer.objects.filter(status=Status.IN_REVIEW).update(status=Status.DRAFT)
    ids = list(Answer.objects.order_by("pk").values_list("pk", flat=True)[:count])
    Source.objects.filter(answer_id__in=ids).delete()
    Source.objects.bulk_create(
        Source(
            answer_id=pk, url="https://example.org/rmv", title="RMV", accessed_on=date(2026, 11, 1)
        )
        for pk in ids
    )
    Answer.objects.filter(pk__in=ids).update(
        status=Status.IN_REVIEW, reviewer=reviewer, editor=editor, flags="", flag_level=0
    )
    client = Client()
    client.force_login(reviewer)
    first = str(ids[0])
    action = {"action": "approve_selected", "select_across": "1", "_selected_action": first}
    url = f"{LIST}?status__exact=in_review"
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as shown_queries:
        shown = client.post(url, action)
    shown_seconds = time.perf_counter() - started
    html = shown.content.decode()
    carried = re.search(r'name="loaded_versions" value="([\d:,]+)"', html).group(1)
    confirm = {**action, "confirm": "yes", "step": "approve_selected", "comment": "",
               "loaded_versions": carried}  # fmt: skip
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as approve_queries:
        done = client.post(url, confirm)
    approve_seconds = time.perf_counter() - started
    approved = Answer.objects.filter(pk__in=ids, status=Status.APPROVED).count()
    print(
        f"select all {count} in review → confirmation page: {shown_seconds:.2f} s, "
        f"{len(html) / 1024:.0f} KB, {len(shown_queries)} queries (HTTP {shown.status_code})"
    )
    print(
        f"confirm: {approve_seconds:.2f} s for {approved} approvals, "
        f"{len(approve_queries) / max(approved, 1):.1f} queries per answer "
        f"(HTTP {done.status_code})"
    )


if __name__ == "__main__":
    main()
