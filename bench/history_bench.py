"""History and diff pages of an answer with 200 versions: median and p95 over HTTP.

    .venv/bin/python bench/history_bench.py [--json PATH]
    DATABASE_URL=postgres://…/editorial_bench .venv/bin/python bench/history_bench.py

Builds a throwaway SQLite file (/tmp/editorial-history-bench.sqlite3), or empties the
PostgreSQL database of DATABASE_URL (history included): the seeds, then 200
edits of one answer through workflow.edit (a version each), then times the history page,
a comparison of the first version with now, "changes since import", a version page and
the change page, signed in as the editor, 11 requests each.
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = Path("/tmp/editorial-history-bench.sqlite3")
POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
if not POSTGRES:
    for leftover in DB.parent.glob(DB.name + "*"):
        leftover.unlink()
    os.environ["DATABASE_URL"] = f"sqlite:///{DB}"

os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "history-benchmark-only-not-a-deployment-secret")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from reversion.models import Version  # noqa: E402

from editorial import workflow  # noqa: E402
from editorial.importers import import_paths  # noqa: E402
from editorial.models import Answer  # noqa: E402

EDITS = 200
SOURCE = {"url": "https://example.org/x", "title": "T", "publisher": "P",
          "accessed_on": datetime.date(2026, 11, 1), "excerpt": ""}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SECURE_SSL_REDIRECT = False
    call_command("migrate", verbosity=0)
    if POSTGRES:
        # Not flush: it empties the groups, which only a data migration creates.
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        call_command("migrate", verbosity=0)
    import_paths([ROOT / "fixtures"])
    editor = get_user_model().objects.create_user("bench-editor", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    answer = Answer.objects.get(document__subject="Massachusetts", position=2)
    for number in range(EDITS):
        sources = [SOURCE] if number % 10 == 0 else None
        answer = workflow.edit(
            answer, user=editor, text=f"{answer.text} Sentence {number}.", sources=sources
        )
    versions = list(Version.objects.get_for_object(answer).values_list("pk", flat=True))
    client = Client()
    client.force_login(editor)
    base = f"/admin/editorial/answer/{answer.pk}"
    pages = {
        "history": f"{base}/history/",
        "first version → now": f"{base}/history/compare/?from={versions[-1]}&to=current",
        "since import": f"{base}/history/compare/?from=imported&to=current",
        "version page": f"{base}/history/{versions[-1]}/",
        "change page": f"{base}/change/",
    }
    engine = "PostgreSQL" if POSTGRES else "SQLite"
    print(f"An answer with {len(versions)} versions ({engine}), 11 requests each")
    figures = {"engine": engine, "versions": len(versions), "pages": {}}
    for name, url in pages.items():
        timings = []
        for _ in range(11):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (name, response.status_code)
        timings.sort()
        figures["pages"][name] = {
            "median_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 1),
            "kb": len(response.content) // 1024,
        }
        print(
            f"{name:22} median {statistics.median(timings):5.0f} ms   "
            f"p95 {timings[int(0.95 * (len(timings) - 1))]:5.0f} ms   "
            f"{len(response.content) // 1024} KB"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
