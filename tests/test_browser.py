"""The whole editorial flow in a real browser (Debian's Chromium, driven by Playwright).

The service under test is the real one: migrations, the seed files imported and the demo
accounts made by `setup_demo`, served by Django's live server on a loopback port. Every
step goes through the pages as a person would: typing, clicking, Tab and Enter. Each page
is checked for server errors (5xx) and browser console errors, each step leaves a
screenshot under artifacts/browser/, and axe-core checks the pages people work on.

Without /usr/bin/chromium these tests skip with one line saying so; with
EDITORIAL_BROWSER_TESTS=required (set by .ci/run) a missing browser fails instead.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from pathlib import Path
from unittest import mock

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group
from django.core.management import call_command
from playwright.sync_api import expect, sync_playwright

from tests.conftest import DATABASE_TASKS, run_worker

pytestmark = [
    pytest.mark.browser,
    # The live server answers from another thread, so the tests commit for real;
    # serialized_rollback restores the groups the data migration made after each flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRED = os.environ.get("EDITORIAL_BROWSER_TESTS") == "required"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "browser"
# Auto-waiting expectations give up after this long (a slow CI machine, not a sleep).
TIMEOUT_MS = 15_000
SERIOUS = {"serious", "critical"}

HEDGES = [
    "As of my knowledge cutoff in September 2021, the",
    "While this information is accurate as of my last update, policies",
]
OLD_CLAIM = "Massachusetts enacted legislation in 2004 restricting the release of information"
NEW_CLAIM = (
    "The Work and Family Mobility Act, in force since July 2023, restricts the release of "
    "information"
)
SOURCE = {
    "url": "https://www.mass.gov/info-details/work-and-family-mobility-act",
    "title": "Work and Family Mobility Act",
    "publisher": "Commonwealth of Massachusetts",
}
# The claims of NEW_CLAIM's sentence, each with the excerpt of SOURCE that supports it: the
# sentence's excerpt for the Act, its own for the date.
CLAIM_EXCERPTS = {
    "Work and Family Mobility Act": "The Work and Family Mobility Act became law.",
    "July 2023": "The law took effect on July 1, 2023.",
}
# The agencies of the first sentence, marked common knowledge together.
AGENCIES = [
    "Massachusetts Department of Motor Vehicles (DMV)",
    "U.S. Immigration and Customs Enforcement (ICE)",
]
AGENCIES_REASON = "The agencies the question asks about."
COMMENT = "Quote the part of the Act that limits what the RMV shares."
EXCERPT = "The RMV will not share information with immigration authorities."
# The page reports what the Content-Security-Policy blocked (the console says so too, but
# not always for what a script tried): one console line per violation. One without a source
# file came from code the test itself injected (axe-core adds a <style>), not from the page.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => event.sourceFile
    && console.error(`Content Security Policy violation: ${event.violatedDirective} blocked `
        + `${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber})`));
"""


if not CHROMIUM.exists():
    _why = f"browser tests: no browser at {CHROMIUM} (apt-get install chromium)"
    if REQUIRED:
        pytest.fail(f"{_why}, and EDITORIAL_BROWSER_TESTS=required", pytrace=False)
    pytest.skip(f"{_why}; skipped", allow_module_level=True)


@pytest.fixture
def browser(demo):
    """A headless Chromium for one test, started once its data is in the database.

    Per test, not per module: while Playwright's sync API is active it marks an event loop
    as running in this thread, and Django then hands this thread other connection objects
    (the ones for async code). The test database's setup and teardown, serialized rollback
    included, must run outside it, on the connection the test database was created with.
    """
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def axe_results(request):
    """Each checked page's axe violations by impact; printed and saved after the module."""
    results: dict[str, dict[str, list[str]]] = {}
    yield results
    if not results:
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "axe.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            _report_axe(reporter, results)


def _report_axe(reporter, results: dict[str, dict[str, list[str]]]) -> None:
    reporter.write_line("")
    reporter.write_line("axe-core violations by impact (rule ids), per page:")
    for page_name, by_impact in sorted(results.items()):
        counts = ", ".join(
            f"{impact} {len(rules)} ({' '.join(rules)})"
            for impact, rules in sorted(by_impact.items())
        )
        reporter.write_line(f"  {page_name}: {counts or 'none'}")


@pytest.fixture
def demo(transactional_db, live_server) -> dict[str, str]:
    """The demo's own setup: fixtures imported, one account per group; their passwords."""
    out = io.StringIO()
    call_command("setup_demo", "--force", stdout=out)
    account = re.compile(r"^  (?:Editors|Reviewers|Managing editors)\s+(\w+)\s+(\S+)$", re.M)
    passwords = dict(account.findall(out.getvalue()))
    assert set(passwords) == {"editor", "reviewer", "managing"}, out.getvalue()
    return passwords


class Person:
    """One person in their own browser context: the pages they see, and what went wrong."""

    def __init__(
        self, browser, base_url: str, shots: Path, axe_results: dict, javascript: bool = True
    ):
        self.context = browser.new_context(
            base_url=base_url,
            viewport={"width": 1366, "height": 900},
            accept_downloads=True,
            java_script_enabled=javascript,
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        # Every Content-Security-Policy violation the page meets is a console error (below).
        self.context.add_init_script(CSP_LISTENER)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.not_found: list[str] = []  # what a "Failed to load resource" was about
        self.shots = shots
        self.axe_results = axe_results
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("response", self._response)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:  # also a report-only warning
            if message.text.startswith("Content Security Policy violation:") or (
                message.location.get("url")  # not axe-core's or Playwright's injected code
            ):
                self.problems.append(f"CSP violation on {self.page.url}: {message.text}")
        elif message.type == "error":
            self.problems.append(
                f"console error on {self.page.url}: {message.text} (4xx: {self.not_found})"
            )

    def _response(self, response) -> None:
        if response.status >= 500:
            self.problems.append(f"{response.status} from {response.url}")
        elif response.status >= 400:
            self.not_found.append(f"{response.status} {response.url}")

    def login(self, username: str, password: str) -> None:
        self.page.goto("/admin/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.get_by_role("button", name="Log in").click()
        expect(self.page.get_by_role("heading", name="Your work")).to_be_visible()

    def check(self) -> None:
        """No server error and no console error so far."""
        assert self.problems == []

    def shot(self, name: str) -> None:
        """A full-page screenshot of this step, after checking the page went well."""
        self.check()
        self.shots.mkdir(parents=True, exist_ok=True)
        number = len(list(self.shots.glob("*.png"))) + 1
        self.page.screenshot(path=self.shots / f"{number:02d}-{name}.png", full_page=True)

    def axe(self, page_name: str) -> None:
        """axe-core on the page as it is: no serious or critical violation."""
        violations = Axe().run(self.page).response["violations"]
        by_impact: dict[str, list[str]] = {}
        for violation in violations:
            by_impact.setdefault(violation["impact"] or "unknown", []).append(violation["id"])
        self.axe_results[page_name] = by_impact
        serious = [
            (v["id"], v["impact"], [node["target"] for node in v["nodes"]])
            for v in violations
            if v["impact"] in SERIOUS
        ]
        assert serious == [], f"{page_name}: {serious}"


@pytest.fixture
def people(browser, live_server, axe_results, request):
    """Opens a Person per call; their contexts close, and their pages are checked, at the end."""
    shots = ARTIFACTS / request.node.name
    shutil.rmtree(shots, ignore_errors=True)
    opened: list[Person] = []

    def open_person(javascript: bool = True) -> Person:
        person = Person(browser, live_server.url, shots, axe_results, javascript)
        opened.append(person)
        return person

    failed_before = request.session.testsfailed
    yield open_person
    for number, person in enumerate(opened, 1):
        if request.session.testsfailed > failed_before:  # the pages as the failure left them
            shots.mkdir(parents=True, exist_ok=True)
            person.page.screenshot(path=shots / f"failed-person-{number}.png", full_page=True)
        person.context.close()
    for person in opened:
        person.check()


def marked(page, selector: str) -> list[str]:
    """The words a diff marks (del or ins), without the screen-reader markers around them."""
    return page.locator(selector).evaluate_all(
        """elements => elements.map(element => [...element.childNodes]
            .filter(node => !(node.classList && node.classList.contains("diff-marker")))
            .map(node => node.textContent).join(""))"""
    )


def press_tab_until(page, name: str, most: int = 10) -> None:
    """Tab through the page until the named button has the focus, as a keyboard user does."""
    for _ in range(most):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => document.activeElement && document.activeElement.textContent.trim()"
        )
        if focused == name:
            # A keyboard user sees where the focus is.
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline not in ("", "none"), f"“{name}” has the focus but no visible outline"
            return
    raise AssertionError(f"“{name}” was not reached with Tab in {most} presses")


def run_tasks() -> None:
    """What a worker beside the server does, done now, in the test's thread: the live server
    answers from the test's own SQLite connection (an in-memory database), where a worker
    thread of its own met "database table is locked". Playwright's sync API keeps an event
    loop in this thread, which Django would take for async code."""
    with mock.patch.dict(os.environ, {"DJANGO_ALLOW_ASYNC_UNSAFE": "true"}):
        run_worker(worker_id="browser-worker")


def download(person: Person, link_name: str) -> bytes:
    """An export from the answer list: its job's page, a worker, the file it links; then
    back to the list."""
    listing = person.page.url
    person.page.get_by_role("button", name=link_name, exact=True).click()
    expect(person.page.locator("h1")).to_contain_text("Export job")
    run_tasks()
    expect(person.page.locator(".job-state")).to_contain_text("Finished")
    with person.page.expect_download() as info:
        person.page.locator(".job-download a").click()
    person.page.goto(listing)
    return Path(info.value.path()).read_bytes()


def test_the_editorial_flow_from_correction_to_export(demo, people, task_worker):
    # 1. The editor corrects Massachusetts question 1, adds a source, saves and submits.
    editor = people()
    editor.login("editor", demo["editor"])
    page = editor.page
    editor.axe("editor home")
    editor.shot("editor-home")
    page.get_by_role("link", name=re.compile(r"^Massachusetts · Q1 · ")).click()
    expect(page.locator("#id_text")).to_be_editable()
    original = page.locator("#id_text").input_value()
    assert all(hedge in original for hedge in HEDGES) and OLD_CLAIM in original
    corrected = (
        original.replace(HEDGES[0], "The")
        .replace(HEDGES[1], "Policies")
        .replace(OLD_CLAIM, NEW_CLAIM)
    )
    page.fill("#id_text", corrected)
    page.get_by_role("button", name="Add another Source").click()
    page.fill("#id_sources-0-url", SOURCE["url"])
    page.fill("#id_sources-0-title", SOURCE["title"])
    page.fill("#id_sources-0-publisher", SOURCE["publisher"])
    accessed = page.locator("#id_sources-0-accessed_on").input_value()  # today, by default
    editor.axe("answer page (editor)")
    editor.shot("editor-corrects")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    expect(page.locator("#id_text")).to_have_value(corrected)
    # The quality flags are computed again on save: the hedges no longer block.
    expect(page.locator(".field-flag_list")).not_to_contain_text("hedge")
    # Each claim of the corrected text is settled before it can be submitted, a sentence's
    # claims together: the agencies marked common knowledge, the Act and its date linked to
    # the source with the excerpts that support them.
    claims = page.locator("#claims")
    expect(claims.locator("h2")).to_contain_text("4 of 4 not settled")
    # The panel is beside the text, not below the form (tests/browser/test_workspace.py).
    text = page.locator("#id_text").bounding_box()
    assert claims.bounding_box()["x"] >= text["x"] + text["width"]
    editor.axe("claims panel")
    first = page.get_by_role("form", name=re.compile(r"^“The current policy of"))
    first.get_by_label("Why they are common knowledge").fill(AGENCIES_REASON)
    first.get_by_role("button", name="Mark common knowledge").click()
    named = ", ".join(f"“{agency}”" for agency in AGENCIES)
    # Settled in place: the panel says so, no page load.
    expect(claims.locator(".inplace-message")).to_contain_text(f"Claims {named}: common knowledge.")
    second = page.get_by_role("form", name=re.compile(r"^“The Work and Family Mobility Act"))
    act, date = CLAIM_EXCERPTS
    second.get_by_label("Quoted excerpt that supports them").fill(CLAIM_EXCERPTS[act])
    second.get_by_text("Settle a claim of it differently").click()
    own = second.locator("li", has_text=date)
    own.get_by_label("Settled").select_option(label="linked to a source of its own")
    own.get_by_text("Its own source, excerpt or reason").click()
    own.get_by_label("Quoted excerpt that supports it").fill(CLAIM_EXCERPTS[date])
    second.get_by_role("button", name="Link to the source").click()
    expect(claims.locator(".inplace-message")).to_contain_text(f"Claims “{act}”, “{date}”: settled")
    expect(claims.locator("h2")).to_contain_text("all 4 settled")
    editor.shot("editor-settled-claims")
    page.get_by_label("Reviewer").select_option(label="Rey Reviewer (reviewer)")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messagelist")).to_contain_text("submitted to reviewer Rey Reviewer")
    expect(page.locator(".workflow-panel h2")).to_contain_text("Status: In review")
    editor.shot("editor-submitted")

    # 2. The reviewer finds it in the queue, sees the changed words, requests changes.
    reviewer = people()
    reviewer.login("reviewer", demo["reviewer"])
    review = reviewer.page
    expect(review.get_by_role("link", name=re.compile(r"Your review queue \(1\)"))).to_be_visible()
    reviewer.axe("reviewer home")
    reviewer.shot("reviewer-queue")
    review.locator("#home-reviewer ~ ul.work-list").first.get_by_role(
        "link", name=re.compile(r"^Massachusetts · Q1 · ")
    ).click()
    panel = ".review-panel .content-diff"
    expect(review.locator(panel)).to_be_visible()
    # Exactly the words the editor changed, and the source they added; nothing else.
    assert marked(review, f"{panel} del") == [
        "As of my knowledge cutoff in September 2021, the",
        "Massachusetts enacted legislation",
        "2004 restricting",
        "While this information is accurate as of my last update, policies",
    ]
    assert marked(review, f"{panel} ins") == [
        "The",
        "The Work and Family Mobility Act,",
        "force since July 2023, restricts",
        "Policies",
        f"{SOURCE['title']} · {SOURCE['publisher']} · {SOURCE['url']} · accessed {accessed}",
        # The claims and their evidence, new since the import: one line each.
        "\n".join(
            [
                *(f"{agency} · common knowledge: {AGENCIES_REASON}" for agency in AGENCIES),
                *(
                    f"{claim} · {SOURCE['title']} · {SOURCE['url']} · “{excerpt}”"
                    for claim, excerpt in CLAIM_EXCERPTS.items()
                ),
            ]
        ),
    ]
    expect(review.locator(f"{panel} del").first).to_have_css("text-decoration-line", "line-through")
    expect(review.locator(f"{panel} ins").first).to_have_css("text-decoration-line", "underline")
    # Each claim beside its evidence.
    for excerpt in CLAIM_EXCERPTS.values():
        expect(review.locator(".review-evidence .claims-table")).to_contain_text(excerpt)
    expect(review.locator(".review-evidence .claim-unsettled")).to_have_count(0)
    reviewer.axe("review page")
    reviewer.shot("reviewer-sees-diff")
    # Request changes from the keyboard: type the comment, Tab to the button, Enter.
    review.get_by_label("Comment").fill(COMMENT)
    review.get_by_label("Comment").focus()
    press_tab_until(review, "Request changes")
    review.keyboard.press("Enter")
    expect(review.locator(".messagelist")).to_contain_text("changes requested of Eda Editor")
    expect(review.locator(".workflow-panel h2")).to_contain_text("Status: Changes requested")
    reviewer.shot("reviewer-requested-changes")

    # 3. The editor sees the comment on their home page, fixes and resubmits.
    page.goto("/admin/")
    requested = page.locator(".work-list li.unread")
    expect(page.get_by_text("1 new request for changes")).to_be_visible()
    expect(requested).to_contain_text(COMMENT)
    expect(requested.locator(".badge")).to_have_text("new")
    editor.shot("editor-sees-request")
    requested.get_by_role("link", name=re.compile(r"^Massachusetts · Q1 · ")).click()
    expect(page.locator(".change-request")).to_contain_text(COMMENT)
    page.fill("#id_sources-0-excerpt", EXCERPT)
    page.get_by_label("Comment").fill("Quoted the Act.")
    # The step saves the typing first, then submits that version.
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messagelist")).to_contain_text("submitted to reviewer Rey Reviewer")
    editor.shot("editor-resubmitted")

    # The reviewer approves from the keyboard, after looking at the diff since import.
    review.goto("/admin/")
    review.get_by_role("link", name="start with it").click()
    expect(review.locator(".review-panel .editor-comment")).to_contain_text("Quoted the Act.")
    expect(review.locator(".review-sources blockquote")).to_have_text(EXCERPT)
    review.get_by_role("link", name="Changes since import").click()
    expect(review.locator(".content-diff h2")).to_contain_text("as imported")
    reviewer.axe("diff page")
    reviewer.shot("reviewer-diff-since-import")
    review.go_back()
    review.get_by_label("Comment").focus()
    press_tab_until(review, "Approve")
    review.keyboard.press("Enter")
    expect(review.locator(".messagelist")).to_contain_text("it is now the exported one")
    expect(review.locator(".workflow-panel h2")).to_contain_text("Status: Approved")
    reviewer.shot("reviewer-approved")

    # A later working draft must not leak into the export: only the approved version goes out.
    page.goto(review.url)
    page.fill("#id_text", corrected + "\n\nDRAFT NOT YET REVIEWED")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".workflow-panel h2")).to_contain_text("Status: Draft")

    # 4. The managing editor downloads jsonl and faq from the answer list.
    managing = people()
    managing.login("managing", demo["managing"])
    listing = managing.page
    managing.axe("managing editor home")
    managing.shot("managing-home")
    listing.locator("section.home-apps").get_by_role("link", name="Answers", exact=True).click()
    managing.shot("managing-answer-list")
    records = [json.loads(line) for line in download(managing, "Export JSONL").splitlines()]
    assert len(records) == 1  # 40 answers, one approved
    (record,) = records
    assert record["subject"] == "Massachusetts" and record["position"] == 1
    assert record["answer"] == corrected
    assert "DRAFT NOT YET REVIEWED" not in record["answer"]
    assert [(s["url"], s["title"], s["publisher"]) for s in record["sources"]] == [
        (SOURCE["url"], SOURCE["title"], SOURCE["publisher"])
    ]
    assert record["approved_by"] == "reviewer"
    assert record["claims"] == [
        *(
            {"text": a, "source_url": "", "excerpt": "", "reason": AGENCIES_REASON}
            for a in AGENCIES
        ),
        *(
            {"text": claim, "source_url": SOURCE["url"], "excerpt": excerpt, "reason": ""}
            for claim, excerpt in CLAIM_EXCERPTS.items()
        ),
    ]
    (faq,) = json.loads(download(managing, "Export FAQ JSON-LD"))
    (question,) = faq["mainEntity"]
    assert question["acceptedAnswer"]["text"] == corrected
    assert [c["url"] for c in question["acceptedAnswer"]["citation"]] == [SOURCE["url"]]
    managing.shot("managing-exported")


# Massachusetts Q2's first and last sentences, as two tabs edit them.
Q2_FIRST = "on a daily basis."
Q2_LAST = "in enforcing immigration laws."


def open_q2(person: Person) -> str:
    """From the editor's home to Massachusetts Q2; the text its page shows."""
    person.page.get_by_role("link", name=re.compile(r"^Massachusetts · Q2 · ")).click()
    expect(person.page.locator("#id_text")).to_be_editable()
    return person.page.locator("#id_text").input_value()


def save_and_continue(person: Person) -> None:
    person.page.get_by_role("button", name="Save", exact=True).click()


def two_tabs(demo, people, javascript: bool = True) -> tuple[Person, Person, str]:
    """The same answer open in two browsers (two tabs, or two people) of the editor; the
    second with JavaScript on or off."""
    first, second = people(), people(javascript)
    for person in (first, second):
        person.login("editor", demo["editor"])
    original = open_q2(first)
    assert open_q2(second) == original
    return first, second, original


def test_two_tabs_editing_different_sentences_keep_both_edits_after_one_confirm(demo, people):
    first, second, original = two_tabs(demo, people)
    theirs = original.replace(Q2_FIRST, "every week.")
    mine = original.replace(Q2_LAST, "in enforcing federal immigration laws.")
    assert theirs != original != mine
    first.page.fill("#id_text", theirs)
    second.page.fill("#id_text", mine)
    save_and_continue(first)
    expect(first.page.locator(".messagelist .success")).to_contain_text("was changed successfully")

    save_and_continue(second)

    # Not refused and not overwritten: merged, and shown against what is stored, to confirm.
    page = second.page
    heading = "Changed by you, in another tab or window, while you had this page open"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.locator(".merge-intro")).to_contain_text("changed different passages")
    expect(page.locator("input[type=radio]")).to_have_count(0)
    result = ".merge-result .content-diff"
    assert marked(page, f"{result} ins") == [" federal"]
    assert marked(page, f"{result} del") == []
    second.axe("merge page, merged to confirm")
    second.shot("merge-different-sentences")
    page.get_by_role("button", name="Save the merged text").click()  # the one confirm

    expect(page.locator(".messagelist .success")).to_contain_text("merged, saved as version")
    both = original.replace(Q2_FIRST, "every week.").replace(
        Q2_LAST, "in enforcing federal immigration laws."
    )
    expect(page.locator("#id_text")).to_have_value(both)
    expect(page.locator(".event-log tbody tr").first).to_contain_text(
        "with the edit made from version"
    )
    second.shot("merge-saved")
    first.page.reload()
    expect(first.page.locator("#id_text")).to_have_value(both)  # nothing of theirs lost


def test_two_tabs_editing_the_same_sentence_the_second_chooses_per_passage(demo, people):
    first, second, original = two_tabs(demo, people)
    theirs = original.replace(Q2_FIRST, "every week.")
    mine = original.replace(Q2_FIRST, "only when a court orders it.").replace(
        Q2_LAST, "in enforcing federal immigration laws."
    )
    first.page.fill("#id_text", theirs)
    second.page.fill("#id_text", mine)
    save_and_continue(first)
    expect(first.page.locator(".messagelist .success")).to_contain_text("was changed successfully")

    save_and_continue(second)

    page = second.page
    passage = page.get_by_role("group", name="Answer, passage 1 of 1")
    expect(passage).to_be_visible()
    yours = passage.get_by_role("radio", name=re.compile(r"^Yours"))
    stored = passage.get_by_role("radio", name=re.compile(r"^Stored"))
    expect(yours).not_to_be_checked()
    expect(stored).not_to_be_checked()
    expect(passage).to_contain_text("(ICE) only when a court orders it.")
    expect(passage).to_contain_text("(ICE) every week.")
    second.axe("merge page, a passage to choose")
    second.shot("merge-same-sentence")

    # Saving without a choice overwrites nothing: the page asks for the choice.
    page.get_by_role("button", name="Save the merged text").click()
    expect(page.locator(".messagelist .error")).to_contain_text("needs a choice")
    expect(page.locator(".merge-missing")).to_have_count(1)
    first.page.reload()
    expect(first.page.locator("#id_text")).to_have_value(theirs)  # 0 silent overwrites
    second.shot("merge-choice-needed")

    # The choice, by keyboard and without JavaScript: a radio, a preview, then save.
    page.get_by_role("group", name=re.compile(r"^Answer, passage 1 of 1")).get_by_role(
        "radio", name=re.compile(r"^Yours")
    ).check()
    page.get_by_role("button", name="Show the result of my choices").click()
    result = ".merge-result .content-diff"
    assert marked(page, f"{result} ins") == ["only when a court orders it", " federal"]
    second.shot("merge-choice-preview")
    page.get_by_role("button", name="Save the merged text").click()

    expect(page.locator(".messagelist .success")).to_contain_text("merged, saved as version")
    expect(page.locator("#id_text")).to_have_value(mine)
    second.shot("merge-choice-saved")


def test_a_merge_needs_no_javascript(demo, people):
    # The second browser runs no JavaScript: the merge is plain forms, radios and buttons.
    # (axe itself needs JavaScript: it checks these pages in the tests above.)
    first, second, original = two_tabs(demo, people, javascript=False)
    first.page.fill("#id_text", original.replace(Q2_FIRST, "every week."))
    mine = original.replace(Q2_FIRST, "only when a court orders it.")
    second.page.fill("#id_text", mine)
    save_and_continue(first)
    expect(first.page.locator(".messagelist .success")).to_contain_text("was changed successfully")

    save_and_continue(second)
    page = second.page
    page.get_by_role("button", name="Save the merged text").click()
    expect(page.locator(".messagelist .error")).to_contain_text("needs a choice")
    page.get_by_role("radio", name=re.compile(r"^Yours")).check()
    page.get_by_role("button", name="Save the merged text").click()

    expect(page.locator(".messagelist .success")).to_contain_text("merged, saved as version")
    expect(page.locator("#id_text")).to_have_value(mine)
    second.shot("merge-without-javascript")


@pytest.fixture
def task_worker(settings, tmp_path):
    """Tasks queued in the database, for run_tasks() to run as a worker would."""
    settings.TASKS = DATABASE_TASKS
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_a_reimport_conflict_is_shown_as_a_diff_and_resolved_in_the_browser(
    demo, people, tmp_path, task_worker
):
    editor = people()
    editor.login("editor", demo["editor"])
    page = editor.page
    original = open_q2(editor)
    edited = original.replace(Q2_LAST, "in enforcing federal immigration laws.")
    page.fill("#id_text", edited)
    save_and_continue(editor)
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    answer_url = page.url

    # The managing editor imports the file again, its Q2 reworded by the model.
    seed = Path(__file__).resolve().parent.parent / "fixtures" / "000_45b9d17f8c940ceb.txt"
    changed = tmp_path / seed.name
    text = seed.read_text(encoding="utf-8")
    assert text.count(Q2_FIRST) == 1
    changed.write_text(text.replace(Q2_FIRST, "daily, from county to county."), encoding="utf-8")
    managing = people()
    managing.login("managing", demo["managing"])
    managing.page.goto("/admin/editorial/document/import/")
    managing.page.set_input_files("input[type=file]", str(changed))
    managing.page.get_by_role("button", name="Import").click()
    # The job's page at once, waiting; it follows the worker (job.js) until it has finished.
    expect(managing.page.locator("h1")).to_contain_text("Import job")
    expect(managing.page.locator(".job-state")).to_contain_text("Waiting for a worker")
    run_tasks()
    expect(managing.page.locator(".job-state")).to_contain_text("Finished")
    expect(managing.page.locator(".job-summary")).to_contain_text("1 conflicting")
    managing.shot("import-job-finished")

    # The editor's page shows what the new import changed, word by word.
    page.goto(answer_url)
    panel = page.locator(".import-conflict")
    expect(panel.locator("#import-conflict-heading")).to_have_text(
        "A new import of this answer is waiting to be merged"
    )
    assert marked(page, ".import-conflict del") == [" on a", " basis"]
    assert marked(page, ".import-conflict ins") == [", from county to county"]
    editor.axe("answer page, a re-import waiting")
    editor.shot("reimport-waiting")
    panel.get_by_role("link", name="Merge the new import into the answer…").click()

    expect(page.locator(".merge-intro")).to_contain_text("was imported again")
    expect(page.locator("input[type=radio]")).to_have_count(0)  # different sentences
    editor.axe("merge page, a re-import")
    editor.shot("reimport-merge")
    page.get_by_role("button", name="Save the merge and mark the re-import merged").click()

    expect(page.locator(".messagelist .success")).to_contain_text("merged, saved as version")
    expect(page.locator("#id_text")).to_have_value(
        edited.replace(Q2_FIRST, "daily, from county to county.")
    )
    expect(page.locator(".import-conflict")).to_have_count(0)
    editor.shot("reimport-merged")


@pytest.fixture
def both(demo, django_user_model):
    """A person in two groups: an editor who also reviews."""
    user = django_user_model.objects.create_user(
        username="both", password="both-pw", first_name="Bo", last_name="Both", is_staff=True
    )
    user.groups.set(Group.objects.filter(name__in=["Editors", "Reviewers"]))
    return user


def test_an_editor_who_also_reviews_cannot_approve_their_own_edit(demo, both, people):
    person = people()
    person.login("both", "both-pw")
    page = person.page
    # Both sides of their work on one home page.
    expect(page.locator("#home-editor")).to_be_visible()
    expect(page.locator("#home-reviewer")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^Massachusetts · Q3 · ")).click()
    page.fill("#id_text", page.locator("#id_text").input_value() + " Checked.")
    page.get_by_role("button", name="Add another Source").click()
    page.fill("#id_sources-0-url", SOURCE["url"])
    page.fill("#id_sources-0-title", SOURCE["title"])
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    # Its one sentence with claims (the agencies) settled in one form.
    page.get_by_label("Why they are common knowledge").fill(AGENCIES_REASON)
    page.get_by_role("button", name="Mark common knowledge").click()
    expect(page.locator("#claims h2")).to_contain_text("all 2 settled")

    # 6. They cannot pick themselves to review their own edit ...
    choices = page.get_by_label("Reviewer").locator("option").all_inner_texts()
    assert choices == ["— least loaded, automatically —", "Rey Reviewer (reviewer)"]
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messagelist")).to_contain_text("submitted to reviewer Rey Reviewer")
    # ... the page offers them no Approve, and says why ...
    buttons = page.locator(".workflow-buttons button")
    expect(buttons).to_have_text(["Withdraw"])
    expect(page.locator(".refused li")).to_have_text(
        ["This answer is assigned to Rey Reviewer; only the assigned reviewer can decide on it."]
    )
    person.shot("both-no-approve")
    # ... and an Approve forced into the page is refused by the server, nothing changed.
    page.evaluate(
        """() => {
            const approve = document.createElement("button");
            approve.type = "submit"; approve.name = "step"; approve.value = "approve";
            approve.setAttribute("form", "answer_form"); approve.textContent = "Forced approve";
            document.querySelector(".workflow-buttons").append(approve);
        }"""
    )
    page.get_by_role("button", name="Forced approve").click()
    expect(page.locator(".messagelist .error")).to_contain_text(
        "only the assigned reviewer can decide on it"
    )
    expect(page.locator(".workflow-panel h2")).to_contain_text("Status: In review")
    person.shot("both-forced-approve-refused")
