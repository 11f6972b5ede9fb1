"""Faults on PostgreSQL: a process killed (SIGKILL) in the middle of writing leaves nothing
half-written, the history verifies clean and the next request is served.

Made deterministic with the history chain's own lock (storage.chain.CHAIN_LOCK): a
transaction takes it last, just before it commits, after every row it writes. The test holds
it, so the process it starts blocks there with its rows written and not committed, is seen
waiting in pg_stat_activity, and is killed. Its PostgreSQL backend, still waiting, gets the
lock once the test lets it go, finds its client gone and rolls the transaction back.
"""

from __future__ import annotations

import http.cookiejar
import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import Client
from reversion.models import Revision, Version

from editorial import workflow
from editorial.importers import FILES_PER_COMMIT
from editorial.models import Answer, ApprovedVersion, Document, HistoryLink, Status, WorkflowEvent
from editorial.storage.chain import CHAIN_LOCK
from tests.conftest import SEED_FILES, a_source, settle_claims

ROOT = Path(__file__).resolve().parents[2]
ANSWERS_PER_FILE = 20

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif("connection.vendor != 'postgresql'"),
    # Committed, so that the processes started see it; the groups restored after the flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def database_url() -> str:
    """The test database, as the processes started connect to it."""
    db = connection.settings_dict
    login = f"{db['USER']}:{db['PASSWORD']}" if db["PASSWORD"] else db["USER"]
    return f"postgres://{login}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    # The same key: the chain is sealed with it, and sessions are signed with it.
    env.update(
        ENV_FILE=os.devnull, DEBUG="1", DATABASE_URL=database_url(),
        SECRET_KEY=settings.SECRET_KEY, **extra,
    )  # fmt: skip
    return env


class ChainLock:
    """The chain's lock held by the test on its own connection, and what waits for it."""

    def __init__(self) -> None:
        self.session = psycopg.connect(database_url(), autocommit=True)

    def hold(self) -> None:
        self.session.execute("SELECT pg_advisory_lock(%s)", [CHAIN_LOCK])

    def release(self) -> None:
        self.session.execute("SELECT pg_advisory_unlock(%s)", [CHAIN_LOCK])

    def waiting(self) -> list[tuple[int, str, str | None]]:
        """(backend pid, query, transaction id) of the transactions waiting for the lock; a
        transaction has an id once it has written a row."""
        return self.session.execute(
            "SELECT pid, query, backend_xid::text FROM pg_stat_activity "
            "WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND wait_event = 'advisory' "
            "AND xact_start IS NOT NULL AND pid <> pg_backend_pid()"
        ).fetchall()

    def wait_for_waiter(self, process: subprocess.Popen, timeout: float = 120) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert process.poll() is None, "the process ended before it reached the lock"
            if found := self.waiting():
                [(pid, query, written)] = found
                assert "pg_advisory_xact_lock" in query
                assert written is not None, "the transaction killed had written nothing yet"
                print(f"killed at the seal: backend {pid}, transaction {written}")
                return pid
            time.sleep(0.05)
        raise AssertionError("nothing came to wait for the chain's lock")

    def wait_until_gone(self, backend: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            left = self.session.execute(
                "SELECT 1 FROM pg_stat_activity WHERE pid = %s", [backend]
            ).fetchall()
            if not left:
                return
            time.sleep(0.05)
        raise AssertionError(f"backend {backend} outlived its killed client")

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def chain_lock():
    lock = ChainLock()
    yield lock
    lock.close()


def history_verifies() -> str:
    out = io.StringIO()
    call_command("verify_history", stdout=out)
    assert "History verified" in out.getvalue(), out.getvalue()
    return out.getvalue()


def assert_nothing_half_written() -> None:
    """Every document with all its answers, every answer with its import event and version,
    every revision linked in the chain, every approval with its event and revision."""
    counts = dict(Document.objects.values_list("name").annotate(n=Count("answers")))
    assert set(counts.values()) <= {ANSWERS_PER_FILE}, counts
    answers = Answer.objects.count()
    imported = WorkflowEvent.objects.filter(action=WorkflowEvent.Action.IMPORT)
    assert imported.values("answer").distinct().count() == answers
    versioned = Version.objects.filter(content_type__model="answer").values("object_id")
    assert versioned.distinct().count() == answers
    assert HistoryLink.objects.filter(revision__isnull=False).count() == Revision.objects.count()
    approvals = ApprovedVersion.objects.all()
    approve_events = WorkflowEvent.objects.filter(action=WorkflowEvent.Action.APPROVE)
    assert approvals.count() == approve_events.count()
    assert set(approvals.values_list("revision", flat=True)) == set(
        approve_events.values_list("revision", flat=True)
    )
    assert Answer.objects.filter(status=Status.APPROVED, approved__isnull=True).count() == 0
    history_verifies()


def files_to_import(folder: Path, count: int) -> Path:
    """`count` files of 20 answers each, the seeds under other names."""
    folder.mkdir()
    for index in range(count):
        seed = SEED_FILES[index % len(SEED_FILES)]
        (folder / f"copy_{index:03d}_{seed.name}").write_bytes(seed.read_bytes())
    return folder


# The import command as it is (a second process prepares files unless every core is busy,
# importers.batch), and with one always: killed, it must leave no process holding its
# connection.
_WITH_SECOND_PROCESS = (
    "import os, sys, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; "
    "django.setup(); from django.core.management import call_command; "
    "from editorial.importers import batch; batch.PARALLEL_PREPARE = True; "
    "call_command('import_answers', sys.argv[1])"
)


@pytest.mark.parametrize(
    "how",
    [["manage.py", "import_answers"], ["-c", _WITH_SECOND_PROCESS]],
    ids=["command", "second process"],
)
def test_an_import_killed_mid_write_leaves_whole_files_and_the_next_import_finishes(
    tmp_path, chain_lock, how
):
    files = 3 * FILES_PER_COMMIT  # three commits
    folder = files_to_import(tmp_path / "many", files)
    command = [sys.executable, *how, str(folder)]
    importer = subprocess.Popen(command, cwd=ROOT, env=process_env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)  # fmt: skip
    # Let a first commit land, then catch the next one with its rows written.
    deadline = time.monotonic() + 120
    while not Document.objects.exists():
        assert importer.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    chain_lock.hold()
    backend = chain_lock.wait_for_waiter(importer)
    committed = Document.objects.count()

    children = Path(f"/proc/{importer.pid}/task/{importer.pid}/children").read_text().split()
    os.kill(importer.pid, signal.SIGKILL)
    assert importer.wait(timeout=30) == -signal.SIGKILL
    chain_lock.release()
    chain_lock.wait_until_gone(backend)
    # A process it started (the second one preparing files) dies with it.
    assert children or how[0] != "-c"  # the command as it is may prepare in its own process
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{child}").exists() for child in children):
        assert time.monotonic() < deadline, f"{children} outlived the killed import"
        time.sleep(0.05)

    print(f"{committed} of {files} files committed when the import was killed")
    assert 0 < committed < files
    assert Document.objects.count() == committed  # the killed commit left nothing
    assert_nothing_half_written()
    # The next import takes the rest.
    again = subprocess.run(command, cwd=ROOT, env=process_env(), capture_output=True, text=True,
                           timeout=600)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert Document.objects.count() == files
    assert Answer.objects.count() == files * ANSWERS_PER_FILE
    assert_nothing_half_written()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """A signed-in person's browser against the gunicorn started: cookies, CSRF token."""

    def __init__(self, base: str, user) -> None:
        self.base = base
        client = Client()
        client.force_login(user)  # the session is in the shared database
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        host = urllib.parse.urlsplit(base).hostname
        self.cookies.set_cookie(
            http.cookiejar.Cookie(
                0, settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value,
                None, False, host, False, False, "/", True, False, None, False, None, None, {},
            )
        )  # fmt: skip

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read().decode()

    def post(self, path: str, fields: dict, token_from: str) -> int:
        page = self.get(token_from)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
        with self.opener.open(self.base + path, data=data, timeout=60) as response:
            return response.status


def worker_of(master: int) -> int:
    """The one worker gunicorn runs under this master (its child)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


@pytest.fixture
def gunicorn():
    """gunicorn serving config.wsgi (as dev.py serve does) on a free port, one worker."""
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "--bind",
         f"127.0.0.1:{port}", "--workers", "1", "--timeout", "120", "--chdir", str(ROOT)],
        cwd=ROOT, env=process_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            assert server.poll() is None, server.stderr.read().decode()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)
    yield server, base
    server.terminate()
    server.wait(timeout=30)


def test_a_gunicorn_worker_killed_mid_approval_approves_nothing_and_the_next_is_served(
    seeds, people, chain_lock, gunicorn
):
    server, base = gunicorn
    editor, reviewer = people["editor"], people["reviewer"]
    answer = Answer.objects.get(document__name=SEED_FILES[0].name, position=2)
    workflow.edit(answer, user=editor, sources=[a_source()])
    settle_claims(answer, editor)
    workflow.submit(answer, editor, reviewer=reviewer)
    answer.refresh_from_db()
    before = (
        Revision.objects.count(),
        WorkflowEvent.objects.count(),
        ApprovedVersion.objects.count(),
    )
    browser = Browser(base, reviewer)
    page = f"/admin/editorial/answer/{answer.pk}/change/"
    approve = {"step": "approve", "comment": "", "reviewer": "", "editor": "",
               "loaded_version": answer.version}  # fmt: skip
    token_page = browser.get(page)  # the worker has served a page: it is the one to kill
    assert "Approve" in token_page
    worker = worker_of(server.pid)

    chain_lock.hold()
    outcome: dict = {}

    def post() -> None:
        try:
            outcome["status"] = browser.post(
                f"/admin/editorial/answer/{answer.pk}/workflow/", approve, page
            )
        except OSError as error:  # the connection dies with the worker
            outcome["error"] = error

    request = threading.Thread(target=post)
    request.start()
    backend = chain_lock.wait_for_waiter(server)
    os.kill(worker, signal.SIGKILL)
    request.join(timeout=60)
    chain_lock.release()
    chain_lock.wait_until_gone(backend)

    assert "error" in outcome, outcome  # no answer to the request that was killed
    row = Answer.objects.get(pk=answer.pk)
    assert (row.status, row.approved_id) == (Status.IN_REVIEW, None)
    assert (
        Revision.objects.count(),
        WorkflowEvent.objects.count(),
        ApprovedVersion.objects.count(),
    ) == before
    assert_nothing_half_written()

    # gunicorn starts another worker, which serves the next request: the approval again.
    assert browser.post(f"/admin/editorial/answer/{answer.pk}/workflow/", approve, page) == 200
    assert worker_of(server.pid) != worker
    row = Answer.objects.get(pk=answer.pk)
    assert row.status == Status.APPROVED
    assert (
        row.approved.revision_id == row.events.get(action=WorkflowEvent.Action.APPROVE).revision_id
    )
    assert_nothing_half_written()
