"""The plans of the home pages' queries, with and without the index each relies on (issue 21).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/editorial_scale \\
        .venv/bin/python bench/plans.py

For each query the managing editor's and the editor's home run (their first rows and their
capped counts, built by the home's own functions), prints EXPLAIN ANALYZE as the database
runs it, then again inside a transaction that drops the index meant for it and rolls back
(so the database is left as it was): the plan "before" that index, and its time.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "plans-only-not-a-deployment-secret")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from editorial.admin.home import COUNT_CAP, IN_ORDER, SHOWN  # noqa: E402
from editorial.models import Answer  # noqa: E402


class RolledBack(Exception):
    pass


def queries() -> dict[str, tuple[str, object]]:
    """Name: (the index meant for it, the queryset the home page runs)."""
    claimable = Answer.objects.claimable().select_related("document").order_by(*IN_ORDER)
    reimports = Answer.objects.reimport_waiting().select_related("document").order_by(*IN_ORDER)
    blocked = Answer.objects.blocked().select_related("document").order_by(*IN_ORDER)
    return {
        # No index of its own: after an import most answers are blocked (no source yet), so
        # the list's order finds the first rows at once and the count stops at the cap.
        "blocked, first rows": (None, blocked[:SHOWN]),
        "blocked, capped count": (None, blocked.order_by()[: COUNT_CAP + 1]),
        "answers to claim, first rows": ("answer_unassigned", claimable[:SHOWN]),
        "answers to claim, capped count": (
            "answer_unassigned",
            claimable.order_by()[: COUNT_CAP + 1],
        ),
        "re-imports to merge, first rows": ("answer_reimport_waiting", reimports[:SHOWN]),
        "re-imports to merge, capped count": (
            "answer_reimport_waiting",
            reimports.order_by()[: COUNT_CAP + 1],
        ),
    }


def explain(queryset, drop: str | None = None) -> str:
    if drop is None:
        return queryset.explain(analyze=True)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(drop)}")
            plan = queryset.explain(analyze=True)
            raise RolledBack
    except RolledBack:
        return plan


def main() -> None:
    print(f"{Answer.objects.count():,} answers ({connection.vendor})")
    for name, (index, queryset) in queries().items():
        runs = ((f"without {index}", index), (f"with {index}", None)) if index else (("", None),)
        for label, drop in runs:
            queryset = queryset.all()  # a new query each time, nothing cached
            print(f"\n== {name}{': ' + label if label else ''}\n{explain(queryset, drop)}")


if __name__ == "__main__":
    main()
