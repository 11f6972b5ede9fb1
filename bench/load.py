"""Load: the production server on PostgreSQL under editors and reviewers working at once.

    .venv/bin/python bench/load.py [--clients 20] [--seconds 60] [--workers 2] [--think 1]
                                   [--files 50] [--json PATH]

Starts from an empty database (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/editorial_load: dropped and created again, so its name
must contain "load" or "bench"; `flush` would also empty the groups the data migration
made), migrates, imports fixtures/ and a generated corpus (bench/corpus.py), and creates
editors and reviewers with known passwords. Then it starts the production server exactly
as `python3 dev.py serve` does (check --deploy, collectstatic, migrate, gunicorn with
WhiteNoise, DEBUG off, a fresh SECRET_KEY) on 127.0.0.1, with the three TLS-only settings
off since loopback has no TLS, and drives it with plain threads speaking HTTP through the
admin's own pages: every client signs in through the login form (timed, reported apart:
PBKDF2 is slow on purpose), then the clock starts and each loops for --seconds.

- An editor lists answers (their drafts, requests for changes, answers nobody has
  claimed yet, by subject or search), opens one, corrects it (the hedges taken out, a
  source added, a line naming the edit) through the change form with every field the page
  carries, settles the claims of each sentence through the page's claims forms (linked to
  the source with its excerpt, as approval needs), and submits it for review, separately
  or, when every claim is settled already, with the typing in one post. Editors
  pick among the first unclaimed answers of one list, so they collide: the later one is
  refused (someone else is its editor, or the page is stale). Now and then an editor posts
  from a page opened earlier (an old tab): a stale-version refusal when the answer has
  moved on.
- A reviewer opens their review queue and approves (three in four) or requests changes
  with a comment; with an empty queue they look at the list and wait a second.

Every request is timed by kind. A refusal the rules make (a stale page, someone else's
answer) is a correct 200 page with the reason and counts as "refused", not as an error;
5xx and any other unexpected answer (a 4xx, a lost connection, a timeout, a page that is
not the one expected, a refusal of another kind) are errors. Beside the client's times:
the time inside gunicorn per route (its access log) and gunicorn's CPU per request, so a
missed p95 shows whether the app's work or the wait for a worker (and a CPU) was long.
After the run the server is stopped (also on an error, Ctrl-C or SIGTERM) and every edit
a client saw land (a redirect after its post) is looked up through the ORM: its text must
be the answer's current text or in one of the answer's reversion versions, else it is a
lost update. Prints one table; --json writes the figures.
Targets (issues 10 and 20): 0 5xx, 0 other errors, 0 lost updates, p95 <= 300 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from html import unescape
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/editorial_load"
PASSWORD = "load-test-password-1"  # every load account's; the database is a throwaway
ANSWERS = "/admin/editorial/answer/"
CHANGE_LINK = re.compile(r'href="/admin/editorial/answer/(\d+)/change/')
FORM_ERROR = re.compile(r'<ul class="errorlist[^"]*"[^>]*>\s*<li>(.*?)</li>', re.S)
EDIT_LINE = re.compile(r"\n*\(Corrected in the load test: [^)]*\)\s*$")
SUBJECTS = ("Massachusetts", "Mississippi", "Alabama", "Texas", "Ohio", "Utah")
SEARCHES = ("warrant", "license", "immigration", "federal")
P95_TARGET_MS = 300
MAX_SENTENCES = 40  # claim forms one answer page shows at most, with room to spare
# The refusals people working at once meet, by the message that says so.
REFUSALS = {
    r"Someone else saved|became .* while you had|merge offered": "stale page",
    r"is the editor of this answer": "another editor's answer",
    r"is in review and read-only": "in review meanwhile",
    r"was not done": "step not taken: its save was refused",
}


# --- the clients: HTTP through the admin's pages -------------------------------------------


class Page(HTMLParser):
    """What a client reads from a page: the change form's fields, messages, answer links."""

    def __init__(self, html: str, form_id: str = "answer_form") -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.html = html
        self.fields: list[tuple[str, str]] = []
        self.messages: list[tuple[str, str]] = []
        self.in_form = False
        self._textarea: tuple[str, list[str]] | None = None
        self._select: tuple[str, list[str]] | None = None  # name, [selected or first value]
        self._message: tuple[str, list[str]] | None = None
        self._in_messagelist = False
        self.feed(html)
        self.close()

    def _belongs(self, attrs: dict) -> bool:
        return self.in_form or attrs.get("form") == self.form_id

    def handle_starttag(self, tag, attrs):
        attrs = {key: value or "" for key, value in attrs}
        if tag == "form" and attrs.get("id") == self.form_id:
            self.in_form = True
        elif tag == "input" and attrs.get("name") and self._belongs(attrs):
            kind = attrs.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return  # only the button pressed is sent, and the client adds it
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            default = "on" if kind in {"checkbox", "radio"} else ""
            self.fields.append((attrs["name"], attrs.get("value", default)))
        elif tag == "textarea" and attrs.get("name") and self._belongs(attrs):
            self._textarea = (attrs["name"], [])
        elif tag == "select" and attrs.get("name") and self._belongs(attrs):
            self._select = (attrs["name"], [])
        elif tag == "option" and self._select is not None:
            chosen = self._select[1]
            if "selected" in attrs:
                chosen[:] = [attrs.get("value", ""), "selected"]
            elif not chosen:
                chosen[:] = [attrs.get("value", "")]
        elif tag == "li" and self._message is None and self._in_messagelist:
            self._message = (attrs.get("class", ""), [])
        if tag == "ul" and "messagelist" in attrs.get("class", ""):
            self._in_messagelist = True

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form = False
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            # HTML drops the newline right after <textarea>, which Django writes.
            self.fields.append((name, "".join(parts).removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, chosen = self._select
            if chosen:
                self.fields.append((name, chosen[0]))
            self._select = None
        elif tag == "li" and self._message is not None:
            level, parts = self._message
            self.messages.append((level, " ".join("".join(parts).split())))
            self._message = None
        elif tag == "ul" and self._in_messagelist and self._message is None:
            self._in_messagelist = False

    def handle_data(self, data):
        for holder in (self._textarea, self._message):
            if holder is not None:
                holder[1].append(data)

    def value(self, name: str, default: str = "") -> str:
        return next((value for key, value in self.fields if key == name), default)


CLAIM_FORM = re.compile(r'<form [^>]*class="claim-form[^"]*"[^>]*>.*?</form>', re.S)
FORM_ACTION = re.compile(r'action="([^"]+)"')
LEGEND = re.compile(r"<legend[^>]*>(.*?)</legend>", re.S)
SOURCE_EXCERPT = "Records are shared only under a judicial warrant."
COMMON_REASON = "Named in the question; any reader of it knows them."


@dataclass
class ClaimForm:
    """One sentence's form in the answer page's claims panel, as the page shows it."""

    action: str
    fields: list[tuple[str, str]]
    settled: bool

    @property
    def can_link(self) -> bool:
        return any(key == "source" for key, _ in self.fields)


def claim_forms(html: str) -> list[ClaimForm]:
    """The claims panel's forms, one a sentence: what each posts and whether it is settled."""
    forms = []
    for chunk in CLAIM_FORM.findall(html):
        action = unescape(FORM_ACTION.search(chunk).group(1))
        legend = LEGEND.search(chunk)
        settled = legend is not None and " ".join(legend.group(1).split()).endswith("(settled)")
        # Read with the change form's parser: this chunk is its only form, named as it expects.
        page = Page(re.sub(r"^<form [^>]*>", '<form id="claim_form">', chunk), "claim_form")
        forms.append(ClaimForm(action, page.fields, settled))
    return forms


def _letters(number: int) -> str:
    """A number in letters (1 → a, 27 → aa): a digit in the text would be a claim to settle."""
    word = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        word = chr(ord("a") + rest) + word
    return word


@dataclass
class Sample:
    kind: str
    ms: float
    status: int
    outcome: str  # ok, refused, 5xx, error


@dataclass
class Landed:
    answer_id: int
    text: str
    client: str
    kind: str


@dataclass
class Results:
    """What one client saw (each client has its own: no sharing between threads)."""

    samples: list[Sample] = field(default_factory=list)
    landed: list[Landed] = field(default_factory=list)
    refusals: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)

    def merge(self, other: Results) -> None:
        self.samples += other.samples
        self.landed += other.landed
        self.refusals.update(other.refusals)
        self.errors.update(other.errors)


class Unexpected(Exception):
    """The server answered something a browser would not have expected here."""


class TimeIsUp(Exception):
    """The run's time is over: no new request starts (one in flight may finish)."""


class Client:
    """One person in one browser: a session cookie, a CSRF cookie, one connection."""

    def __init__(
        self, name: str, port: int, username: str, *, think: float, deadline: float
    ) -> None:
        self.name, self.port, self.username, self.think = name, port, username, think
        self.deadline = deadline  # time.monotonic()
        self.signed_in = False
        self.results = Results()
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.random = random.Random(name)
        self.edits = 0

    # -- HTTP --

    def request(
        self,
        kind: str,
        method: str,
        path: str,
        fields: list[tuple[str, str]] | None = None,
        *,
        expect: tuple[int, ...] = (200,),
    ) -> tuple[int, str, str, Sample]:
        """One timed request; returns (status, body, Location, its sample)."""
        if time.monotonic() >= self.deadline:
            raise TimeIsUp
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            self._record(kind, started, 0, "error")
            self.results.errors[f"{kind}: {type(error).__name__}: {error}"[:160]] += 1
            raise Unexpected(str(error)) from error
        for header in response.headers.get_all("Set-Cookie") or []:
            for morsel in SimpleCookie(header).values():
                self.cookies[morsel.key] = morsel.value
        status = response.status
        location = response.headers.get("Location", "")
        if status >= 500:
            outcome = "5xx"
        elif status not in expect or ("/admin/login/" in location and kind != "login"):
            outcome = "error"
        else:
            outcome = "ok"
        sample = self._record(kind, started, status, outcome)
        if outcome in {"5xx", "error"}:
            self.results.errors[f"{kind}: HTTP {status} {path.split('?')[0]}"] += 1
            raise Unexpected(f"{kind} {path}: HTTP {status}")
        return status, text, location, sample

    def _record(self, kind: str, started: float, status: int, outcome: str) -> Sample:
        sample = Sample(kind, (time.perf_counter() - started) * 1000, status, outcome)
        self.results.samples.append(sample)
        return sample

    def pause(self) -> None:
        if self.think > 0:
            pause = min(self.random.expovariate(1 / self.think), 5 * self.think)
            time.sleep(max(0.0, min(pause, self.deadline - time.monotonic())))

    # -- pages --

    def login(self) -> None:
        _, html, _, _ = self.request("login page", "GET", "/admin/login/?next=/admin/")
        token = Page(html, form_id="login-form").value("csrfmiddlewaretoken")
        fields = [
            ("csrfmiddlewaretoken", token),
            ("username", self.username),
            ("password", PASSWORD),
            ("next", "/admin/"),
        ]
        self.request("login", "POST", "/admin/login/?next=/admin/", fields, expect=(302,))

    def answer_list(self, query: dict[str, str]) -> list[int]:
        _, html, _, _ = self.request("list", "GET", f"{ANSWERS}?{urlencode(query)}")
        if 'id="changelist"' not in html:
            self.results.errors["list: not the answer list"] += 1
            raise Unexpected("not the answer list")
        return list(dict.fromkeys(int(pk) for pk in CHANGE_LINK.findall(html)))

    def open(self, answer_id: int) -> Page:
        _, html, _, _ = self.request("open", "GET", f"{ANSWERS}{answer_id}/change/")
        page = Page(html)
        if not page.value("loaded_version"):
            self.results.errors["open: no version on the page"] += 1
            raise Unexpected("change page without its version")
        return page

    def post_form(
        self, kind: str, answer_id: int, fields: list[tuple[str, str]], *, path: str = ""
    ) -> tuple[bool, Page | None]:
        """Post the change form (or another form of the answer's page, at path); (landed, the
        page after it: followed redirect or refusal)."""
        path = path or f"{ANSWERS}{answer_id}/change/"
        status, html, location, sample = self.request(kind, "POST", path, fields, expect=(200, 302))
        if status == 302:
            _, html, _, _ = self.request("open", "GET", urlsplit(location).path)
            return True, Page(html)
        page = Page(html)
        reason = self._refusal(page, html)
        if reason in REFUSALS.values():
            # The right answer to a page that went stale: refused, neither done nor an error.
            sample.outcome = "refused"
            self.results.refusals[f"{kind}: {reason}"] += 1
        else:
            # A refusal this test should never cause (a form it filled wrongly, say).
            sample.outcome = "error"
            self.results.errors[f"{kind}: refused: {reason}"[:160]] += 1
        return False, page

    def _refusal(self, page: Page, html: str) -> str:
        """The reason the page gives, named if it is one of the expected refusals."""
        errors = [text for level, text in page.messages if "error" in level]
        if not errors and "stale-diff" in html:
            errors = ["Someone else saved"]
        if not errors and 'class="merge-page"' in html:
            # A stale save is merged, not refused (issue 18): the page offers the merge.
            errors = ["Changed by someone else meanwhile: merge offered"]
        errors += [" ".join(unescape(m).split()) for m in FORM_ERROR.findall(html)]
        reason = errors[0] if errors else "no reason shown"
        return next(
            (label for pattern, label in REFUSALS.items() if re.search(pattern, reason)), reason
        )


class Editor(Client):
    old_tab: tuple[int, Page] | None = None

    def work(self) -> None:
        roll = self.random.random()
        if roll < 0.1 and self.old_tab is not None:
            answer_id, page = self.old_tab
            self.old_tab = None
            self.edit(answer_id, page, step=None)
            return
        if roll < 0.35:
            mine = self.answer_list({"mine": "changes"})
            if mine:
                answer_id = self.random.choice(mine[:5])
                self.pause()
                self.correct_and_submit(answer_id, self.open(answer_id))
                return
        if roll < 0.6:
            mine = self.answer_list({"mine": "drafts"})
            if mine:
                answer_id = self.random.choice(mine[:5])
                self.pause()
                page = self.open(answer_id)
                if self.random.random() < 0.3:
                    self.old_tab = (answer_id, page)
                self.pause()
                landed, page = self.edit(answer_id, page, step=None)
                if landed and page is not None:
                    self.pause()
                    page = self.settle_claims(answer_id, page)
                    if page is not None:
                        self.step(answer_id, page, "submit")
                return
        # Something new: the first unclaimed answers of a subject, as everyone sees them.
        query = {"mine": "unassigned", "document__subject": self.random.choice(SUBJECTS)}
        if self.random.random() < 0.2:
            query = {"mine": "unassigned", "q": self.random.choice(SEARCHES)}
        free = self.answer_list(query) or self.answer_list({"mine": "unassigned"})
        if free:
            answer_id = self.random.choice(free[:4])
            self.pause()
            page = self.open(answer_id)
            self.pause()
            if self.random.random() < 0.5:
                self.correct_and_submit(answer_id, page)
            else:
                self.edit(answer_id, page, step=None)

    def correct_and_submit(self, answer_id: int, page: Page) -> None:
        """The submit button saves the typing first: with every claim settled already (an
        answer sent back), correct and submit in one go; else save, settle, then submit."""
        if not any(not form.settled for form in claim_forms(page.html)):
            self.edit(answer_id, page, step="submit")
            return
        landed, page = self.edit(answer_id, page, step=None)
        if landed and page is not None:
            self.pause()
            page = self.settle_claims(answer_id, page)
            if page is not None:
                self.step(answer_id, page, "submit")

    def settle_claims(self, answer_id: int, page: Page) -> Page | None:
        """Settle each sentence whose claims are open, as a person does on the answer page:
        link them to the answer's source with the excerpt that supports them (or, with no
        source, mark them common knowledge with a reason), one sentence's form at a time.
        Returns the page after the last one, or None when one was refused (a stale page)."""
        for _ in range(MAX_SENTENCES):
            open_forms = [form for form in claim_forms(page.html) if not form.settled]
            if not open_forms:
                return page
            form = open_forms[0]
            if form.can_link:
                typed = {"excerpt": SOURCE_EXCERPT}
                button = ("action", "link")
            else:
                typed = {"reason": COMMON_REASON}
                button = ("action", "common")
            fields = [(key, typed.get(key, value)) for key, value in form.fields]
            landed, after = self.post_form("settle", answer_id, [*fields, button], path=form.action)
            if not landed or after is None:
                return None
            page = after
            self.pause()
        self.results.errors["settle: claims still open after every sentence"] += 1
        return None

    def edit(self, answer_id: int, page: Page, *, step: str | None) -> tuple[bool, Page | None]:
        """Correct the text, add a source if there is none, post it (with a step, or Save)."""
        from editorial.flags import HEDGE_RE

        if not any(key == "text" for key, _ in page.fields):
            # Read-only (in review meanwhile, or someone else's): nothing to type into.
            self.results.refusals["edit: read-only page (another's, or in review)"] += 1
            return False, None
        self.edits += 1
        text = EDIT_LINE.sub("", HEDGE_RE.sub("", page.value("text"))).strip()
        text += f"\n\n(Corrected in the load test: {self.name}, edit {_letters(self.edits)}.)"
        fields = [(key, text if key == "text" else value) for key, value in page.fields]
        if page.value("sources-TOTAL_FORMS", "0") == "0":
            # "Add another source", as the admin's script does: the empty form, numbered 0.
            fields = [(k, "1" if k == "sources-TOTAL_FORMS" else v) for k, v in fields]
            typed = {
                "url": f"https://www.example.org/rmv/{answer_id}",
                "title": "Registry of Motor Vehicles: data sharing",
                "publisher": "Example State",
                "accessed_on": date.today().isoformat(),
                "excerpt": "Records are shared only under a judicial warrant.",
            }
            template = "sources-__prefix__-"
            fields += [
                (f"sources-0-{name}", typed.get(name, value))
                for key, value in page.fields
                if (name := key.removeprefix(template)) != key
            ]
        fields.append(("step", step) if step else ("_continue", "Save and continue editing"))
        landed, after = self.post_form(step or "edit", answer_id, fields)
        if landed:
            self.results.landed.append(Landed(answer_id, text, self.name, step or "edit"))
        return landed, after

    def step(self, answer_id: int, page: Page, step: str) -> bool:
        fields = [*page.fields, ("step", step)]
        landed, _ = self.post_form(step, answer_id, fields)
        return landed


class Reviewer(Client):
    def work(self) -> None:
        queue = self.answer_list({"mine": "review"})
        if not queue:
            self.answer_list({"status__exact": self.random.choice(["approved", "in_review"])})
            time.sleep(max(0.0, min(1.0, self.deadline - time.monotonic())))
            return
        answer_id = self.random.choice(queue[:3])
        self.pause()
        page = self.open(answer_id)
        self.pause()
        if self.random.random() < 0.75:
            fields = [*_without(page.fields, "comment"), ("comment", "Checked against the source.")]
            self.post_form("approve", answer_id, [*fields, ("step", "approve")])
        else:
            comment = "Please name the statute the second paragraph relies on."
            fields = [*_without(page.fields, "comment"), ("comment", comment)]
            self.post_form("request changes", answer_id, [*fields, ("step", "request_changes")])


def _without(fields: list[tuple[str, str]], name: str) -> list[tuple[str, str]]:
    return [(key, value) for key, value in fields if key != name]


def sign_in(client: Client) -> None:
    try:
        client.login()
        client.signed_in = True
    except (Unexpected, TimeIsUp):
        pass  # counted as an error; this client does not work


def drive(client: Client, stop: threading.Event) -> None:
    """One client's work until the deadline; errors are counted, and the work goes on."""
    client.pause()  # twenty people do not all click in the same millisecond
    while client.signed_in and not stop.is_set():
        try:
            client.work()
        except Unexpected:
            time.sleep(0.2)  # a person would reload
        except TimeIsUp:
            return
        client.pause()


def run_all(clients: list[Client], target, *args, timeout: float) -> None:
    """Run target(client, *args) in one thread per client, all at once, and wait."""
    threads = [
        threading.Thread(target=target, args=(client, *args), daemon=True) for client in clients
    ]
    for thread in threads:
        thread.start()
    ends = time.monotonic() + timeout
    for thread in threads:
        thread.join(timeout=max(0.0, ends - time.monotonic()))


# --- the server and its database -------------------------------------------------------------


def recreate_database(url: str) -> None:
    """An empty database of that name (dropped first: the history refuses to be flushed)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.search(r"load|bench", name):
        sys.exit(f"Refusing to drop database {name!r}: its name must contain 'load' or 'bench'.")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def prepare(files: int, editors: int, reviewers: int, work: Path) -> dict:
    """Migrate, import fixtures/ and a generated corpus, create the load accounts."""
    import django

    django.setup()
    import corpus
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connections

    from editorial.importers import import_paths
    from editorial.models import Answer

    call_command("migrate", verbosity=0)
    corpus.generate(files, work / "corpus")
    summary = import_paths([ROOT / "fixtures", work / "corpus"])
    if summary.failed:
        sys.exit(f"Import failed: {[result.error for result in summary.failed]}")
    accounts = {"Editors": [], "Reviewers": []}
    User = get_user_model()
    for group_name, count, prefix in (("Editors", editors, "ed"), ("Reviewers", reviewers, "rev")):
        group = Group.objects.get(name=group_name)
        for index in range(1, count + 1):
            user = User.objects.create_user(
                username=f"load-{prefix}{index:02}",
                password=PASSWORD,
                email=f"load-{prefix}{index:02}@example.org",
                is_staff=True,
            )
            user.groups.add(group)
            accounts[group_name].append(user.username)
    answers = Answer.objects.count()
    connections.close_all()
    return {"answers": answers, **accounts}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    """`python3 dev.py serve`: check --deploy, collectstatic, migrate, then exec gunicorn."""
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "dev.py"), "serve", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: gunicorn's workers stop with it
        )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if server.poll() is not None:
                sys.exit(f"The server exited ({server.returncode}); see {log}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/healthz", headers={"Host": f"127.0.0.1:{port}"})
                if connection.getresponse().status == 200:
                    return server
            except OSError:
                pass
            time.sleep(0.5)
        sys.exit(f"The server did not answer /healthz within 120 s; see {log}")
    except BaseException:  # Ctrl-C while it starts too: never leave a server behind
        stop_server(server)
        raise


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM to gunicorn's master (it stops its workers), then the group if it lingers."""
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def group_cpu_seconds(group: int) -> float:
    """CPU time (user + system) of the live processes of a process group (Linux /proc)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        # After the command name: state, ppid, pgrp, …, utime (14th field), stime (15th).
        if int(fields[2]) == group:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def server_env(database_url: str, workers: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        ENV_FILE=os.devnull,
        # Loopback has no TLS; everything else stays as production sets it.
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        WEB_CONCURRENCY=str(workers),
        # Gunicorn's control socket defaults to one path per user: others run gunicorn here.
        GUNICORN_CMD_ARGS=" ".join(
            [
                os.environ.get("GUNICORN_CMD_ARGS", ""),
                "--no-control-socket",
                f"--access-logformat={shlex.quote(ACCESS_LOG_FORMAT)}",
            ]
        ),
    )
    return env


# --- after the run ---------------------------------------------------------------------------


def lost_updates(landed: list[Landed]) -> list[dict]:
    """Landed edits whose text is in no version of the answer and is not its current text."""
    from reversion.models import Version

    from editorial.models import Answer

    texts: dict[int, set[str]] = defaultdict(set)
    ids = {edit.answer_id for edit in landed}
    for answer in Answer.objects.filter(pk__in=ids).only("pk", "text"):
        texts[answer.pk].add(answer.text)
    for version in Version.objects.get_for_model(Answer).filter(
        object_id__in=[str(pk) for pk in ids]
    ):
        texts[int(version.object_id)].add(version.field_dict["text"])
    return [
        {"answer": edit.answer_id, "client": edit.client, "kind": edit.kind}
        for edit in landed
        if edit.text not in texts[edit.answer_id]
    ]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def figures(times: list[float], outcomes: Counter | None = None) -> dict:
    outcomes = outcomes or Counter()
    return {
        "requests": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
        "refused": outcomes["refused"],
        "5xx": outcomes["5xx"],
        "errors": outcomes["error"],
    }


def summarise(results: Results, elapsed: float) -> dict:
    """Per kind of request and for all the work after sign-in (the timed part)."""
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for sample in results.samples:
        by_kind[sample.kind].append(sample)

    def of(samples: list[Sample]) -> dict:
        return figures([s.ms for s in samples], Counter(s.outcome for s in samples))

    work = [sample for sample in results.samples if not sample.kind.startswith("login")]
    return {
        "seconds": round(elapsed, 1),
        "requests": len(work),
        "requests_per_second": round(len(work) / elapsed, 1),
        "by_kind": {kind: of(samples) for kind, samples in sorted(by_kind.items())},
        "work": of(work) if work else {},
        "5xx": sum(sample.outcome == "5xx" for sample in results.samples),
        "errors": sum(sample.outcome == "error" for sample in results.samples),
        "error_kinds": dict(results.errors.most_common()),
        "refusals": dict(results.refusals.most_common()),
        "landed_edits": len(results.landed),
    }


# The access log line the load run asks gunicorn for: method, path, status, time in ms.
ACCESS_LOG_FORMAT = '"%(r)s" %(s)s %(M)s'
ACCESS_LINE = re.compile(r'^"(GET|POST) (\S+) HTTP/[\d.]+" (\d{3}) (\d+)$', re.M)


def server_times(log: str) -> dict:
    """Time inside gunicorn's worker per route (without the wait for a free worker)."""
    routes: dict[str, list[float]] = defaultdict(list)
    for method, path, _status, ms in ACCESS_LINE.findall(log):
        if path.startswith("/admin/login/"):
            route = f"{method} login"
        elif re.match(r"/admin/editorial/answer/\d+/change/", path):
            route = f"{method} change page"
        elif re.match(r"/admin/editorial/answer/\d+/claims/", path):
            route = f"{method} claims"
        elif path.startswith(ANSWERS):
            route = f"{method} answer list"
        else:
            route = f"{method} {path.split('?')[0]}"
        routes[route].append(float(ms))
    return {route: figures(times) for route, times in sorted(routes.items())}


def print_table(report: dict) -> None:
    print(
        f"\n{report['requests']} requests in {report['seconds']} s after sign-in: "
        f"{report['requests_per_second']} requests/s"
    )
    header = f"{'kind':22} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
    print(f"{header} {'refused':>8} {'5xx':>5} {'errors':>6}")
    work = {k: v for k, v in report["by_kind"].items() if not k.startswith("login")}
    signin = {f"({k}, at start)": v for k, v in report["by_kind"].items() if k.startswith("login")}
    for kind, row in [*work.items(), ("all of the above", report["work"]), *signin.items()]:
        print(
            f"{kind:22} {row['requests']:>8} {row['p50_ms']:>8.0f} {row['p95_ms']:>8.0f} "
            f"{row['max_ms']:>8.0f} {row['refused']:>8} {row['5xx']:>5} {row['errors']:>6}"
        )
    print("Inside gunicorn (access log; the rest of a client's time is the wait for a worker):")
    for route, row in report["server_ms"].items():
        print(
            f"  {route:22} {row['requests']:>6} requests, p50 {row['p50_ms']:.0f} ms, "
            f"p95 {row['p95_ms']:.0f} ms, max {row['max_ms']:.0f} ms"
        )
    cpu = report["cpu"]
    print(
        f"CPU: gunicorn {cpu['gunicorn_cpu_s']} s ({cpu['gunicorn_cpu_ms_per_request']} ms a "
        f"request, {cpu['gunicorn_cores_busy']} cores busy), this driver "
        f"{cpu['load_driver_cpu_s']} s; load average {cpu['load_average_1min_at_end']} on "
        f"{report['config']['cpus']} CPUs"
    )
    for title, counts in (("Refused (correctly)", "refusals"), ("Error", "error_kinds")):
        for reason, count in report[counts].items():
            print(f"  {title}: {count} × {reason}")
    print(
        f"Landed edits {report['landed_edits']}, lost updates {report['lost_updates']}; "
        f"5xx {report['5xx']}, other errors {report['errors']}; "
        f"p95 {report['work'].get('p95_ms')} ms (target {P95_TARGET_MS}): "
        f"{'PASS' if report['targets_met'] else 'MISS'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20, help="half editors, half reviewers")
    parser.add_argument("--seconds", type=float, default=60)
    # Sync workers, CPU-bound pages: on 2 cores 2 and 3 workers measured alike (within noise).
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean pause between a person's clicks, s"
    )
    parser.add_argument("--files", type=int, default=50, help="corpus files of 20 answers")
    parser.add_argument("--editors", type=int, default=10, help="editor accounts")
    parser.add_argument("--reviewers", type=int, default=10, help="reviewer accounts")
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("The load test runs on PostgreSQL: set DATABASE_URL=postgres://…")
    env = server_env(database_url, args.workers)
    # This process prepares the data and checks the history, on the same database.
    os.environ.update({key: env[key] for key in ("DATABASE_URL", "DEBUG", "SECRET_KEY")})
    os.environ["ENV_FILE"] = os.devnull
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

    work = Path(tempfile.mkdtemp(prefix="editorial-load-"))
    started = time.perf_counter()
    recreate_database(database_url)
    people = prepare(args.files, args.editors, args.reviewers, work)
    print(
        f"Prepared {people['answers']} answers, {args.editors} editors, {args.reviewers} "
        f"reviewers in {time.perf_counter() - started:.0f} s ({work})",
        flush=True,
    )
    port = args.port or free_port()
    log = work / "server.log"
    # A `kill` stops the run as Ctrl-C does: through the `finally` that stops the server.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    server = start_server(port, env, log)
    results = Results()
    stop = threading.Event()
    try:
        timing = {"think": args.think, "deadline": time.monotonic() + 300}
        editor_clients = (args.clients + 1) // 2
        clients: list[Client] = [
            Editor(f"editor-{i:02}", port, people["Editors"][i % args.editors], **timing)
            for i in range(editor_clients)
        ] + [
            Reviewer(f"reviewer-{i:02}", port, people["Reviewers"][i % args.reviewers], **timing)
            for i in range(args.clients - editor_clients)
        ]
        print(
            f"Server on 127.0.0.1:{port} ({args.workers} gunicorn workers, log {log}); "
            f"{len(clients)} clients for {args.seconds:g} s, think {args.think:g} s …",
            flush=True,
        )
        # Everyone signs in at once (timed, reported apart), then the clock starts.
        run_all(clients, sign_in, timeout=300)
        deadline = time.monotonic() + args.seconds
        for client in clients:
            client.deadline = deadline
        began = time.perf_counter()
        server_cpu, driver_cpu = group_cpu_seconds(server.pid), time.process_time()
        # A request in flight at the deadline may finish (the socket's timeout is 60 s).
        run_all(clients, drive, stop, timeout=args.seconds + 65)
        elapsed = time.perf_counter() - began
        server_cpu = group_cpu_seconds(server.pid) - server_cpu
        driver_cpu = time.process_time() - driver_cpu
        load_average = os.getloadavg()[0]
        for client in clients:
            results.merge(client.results)
    except KeyboardInterrupt:
        print("Interrupted; stopping the server.", file=sys.stderr)
        raise
    finally:
        stop.set()
        stop_server(server)

    report = summarise(results, elapsed)
    lost = lost_updates(results.landed)
    report["lost_updates"] = len(lost)
    report["lost_update_samples"] = lost[:20]
    report["server_ms"] = server_times(log.read_text(errors="replace"))
    report["targets_met"] = (
        report["5xx"] == 0
        and report["errors"] == 0
        and not lost
        and report["work"].get("p95_ms", 0) <= P95_TARGET_MS
    )
    report["config"] = {
        "clients": args.clients,
        "seconds": args.seconds,
        "workers": args.workers,
        "think_s": args.think,
        "answers": people["answers"],
        "cpus": os.cpu_count(),
    }
    # Where the time went: the app's own CPU per request against the time a client waited.
    report["cpu"] = {
        "gunicorn_cpu_s": round(server_cpu, 1),
        "gunicorn_cpu_ms_per_request": round(1000 * server_cpu / max(1, report["requests"]), 1),
        "gunicorn_cores_busy": round(server_cpu / elapsed, 2),
        "load_driver_cpu_s": round(driver_cpu, 1),
        "load_average_1min_at_end": round(load_average, 2),
    }
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"Figures written to {args.json}")
    return 0 if report["targets_met"] else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)  # the server was stopped on the way out
