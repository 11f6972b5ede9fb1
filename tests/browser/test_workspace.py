"""What one answer costs in the browser (issue 18): the core task counted in clicks, full page
loads and Tab presses, the workspace's first screen at 1,366 × 900, claims settled in place.

The core task: the editor opens a flagged answer from their home page, corrects it, adds a
source, settles its claims and submits; the reviewer opens it from their queue and approves.
Figures are printed (pytest -s) and kept in artifacts/browser/<test>/figures.json; the
targets are the issue's: at most 8 clicks and 3 full page loads... see the README for what
was measured before and after.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from editorial import workflow
from tests.browser.tally import Tally, height, in_first_screen, top
from tests.conftest import a_source, ma, settle_claims
from tests.test_browser import (
    AGENCIES_REASON,
    CLAIM_EXCERPTS,
    HEDGES,
    NEW_CLAIM,
    OLD_CLAIM,
    SOURCE,
    Person,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ACT = "Work and Family Mobility Act"
# The source's own excerpt: the claims of the Act's sentence are linked with it, unchanged.
SOURCE_EXCERPT = CLAIM_EXCERPTS[ACT]
Q1_LINK = re.compile(r"^Massachusetts · Q1 · ")
Q3_LINK = re.compile(r"^Massachusetts · Q3 · ")


def corrected(text: str) -> str:
    return (
        text.replace(HEDGES[0], "The").replace(HEDGES[1], "Policies").replace(OLD_CLAIM, NEW_CLAIM)
    )


def first_screen(person: Person, name: str) -> None:
    """The viewport as the person first sees it, not the whole page."""
    person.check()
    person.shots.mkdir(parents=True, exist_ok=True)
    person.page.evaluate("() => window.scrollTo(0, 0)")
    person.page.screenshot(path=person.shots / f"{name}.png")


def save_figures(person: Person, figures: dict) -> None:
    person.shots.mkdir(parents=True, exist_ok=True)
    (person.shots / "figures.json").write_text(json.dumps(figures, indent=2) + "\n")
    print("\nfigures:", json.dumps(figures))


def sign_in(people, demo, name: str) -> tuple[Person, Tally]:
    person = people()
    person.login(name, demo[name])
    person.page.wait_for_load_state("load")
    return person, Tally(person.page)


def open_answer(person: Person, link, tally: Tally | None = None) -> None:
    """From the home page to an answer, its scripts run (a click before that posts natively)."""
    locator = person.page.get_by_role("link", name=link)
    tally.click(locator) if tally else locator.click()
    person.page.wait_for_load_state("load")


def test_the_core_task_in_eight_clicks_with_claims_settled_in_place(demo, people):
    editor, tally = sign_in(people, demo, "editor")
    page = editor.page
    figures: dict = {}

    open_answer(editor, Q1_LINK, tally)
    text = page.locator("#id_text")
    expect(text).to_be_focused()  # the focus is where the work is
    # The first screen: question, text, flags and Submit; the claims beside the text.
    figures["editor: text box top (px)"] = top(page, "#id_text")
    figures["editor: page height (px)"] = height(page)
    assert figures["editor: text box top (px)"] <= 450
    for control in ("#id_question", "#id_text", ".field-flag_list", "button[value=submit]"):
        assert in_first_screen(page, control), control
    expect(page.locator(".field-flagged_text mark.flag-hedge").first).to_be_visible()
    text_box, claims = (
        page.locator("#id_text").bounding_box(),
        page.locator("#claims").bounding_box(),
    )
    assert claims["x"] > text_box["x"] + text_box["width"]  # beside, not below
    expect(page.locator(".related-details")).not_to_have_attribute("open", "")
    expect(page.locator(".related-details > summary")).to_contain_text("Related answers (5)")
    editor.axe("answer workspace (editor)")
    first_screen(editor, "first-screen-editor")

    text.fill(corrected(text.input_value()))
    tally.click(page.get_by_role("button", name="Add another Source"))
    url = page.locator("#id_sources-0-url")
    expect(url).to_be_focused()  # the new row, not the link it was added from
    url.fill(SOURCE["url"])
    page.fill("#id_sources-0-title", SOURCE["title"])
    page.fill("#id_sources-0-publisher", SOURCE["publisher"])
    page.fill("#id_sources-0-excerpt", SOURCE_EXCERPT)
    tally.click(page.get_by_role("button", name="Save", exact=True))
    page.wait_for_load_state("load")
    panel = page.locator("#claims")
    expect(panel.locator("h2")).to_contain_text("4 of 4 not settled")
    editor.shot("editor-saved")

    # Each sentence's claims: one click each, in place, the focus on the next to settle.
    loads = tally.loads
    first = page.get_by_role("form", name=re.compile(r"^“The current policy of"))
    reason = first.get_by_label("Why they are common knowledge")
    reason.fill(AGENCIES_REASON)
    tally.click(first.get_by_role("button", name="Mark common knowledge"))
    expect(panel.locator("h2")).to_contain_text("2 of 4 not settled")
    expect(panel.locator(".inplace-message")).to_contain_text("common knowledge")
    second = page.get_by_role("form", name=re.compile(r"^“The Work and Family Mobility Act"))
    excerpt = second.get_by_label("Quoted excerpt that supports them")
    expect(excerpt).to_be_focused()
    expect(excerpt).to_have_value(SOURCE_EXCERPT)  # the source's excerpt, offered
    tally.click(second.get_by_role("button", name="Link to the source"))
    expect(panel.locator("h2")).to_contain_text("all 4 settled")
    # The action bar no longer says the claims hold the answer back.
    expect(page.locator(".action-bar")).not_to_contain_text("claims are not settled")
    expect(page.locator(".claims-link")).to_have_text("All claims settled")
    assert tally.loads == loads  # no page load for either sentence
    figures["editor: clicks per further sentence of claims"] = 1
    editor.axe("claims settled in place")
    editor.shot("editor-settled-in-place")

    tally.click(page.get_by_role("button", name="Submit for review"))
    expect(page.locator(".workflow-panel h2")).to_contain_text("Status: In review")
    editor.shot("editor-submitted")

    reviewer, review_tally = sign_in(people, demo, "reviewer")
    review = reviewer.page
    queue = review.locator("#home-reviewer ~ ul.work-list").first
    review_tally.click(queue.get_by_role("link", name=Q1_LINK))
    review.wait_for_load_state("load")
    expect(review.locator(".review-panel .content-diff")).to_be_visible()
    figures["reviewer: approve top (px)"] = top(review, "button[value=approve]")
    figures["reviewer: page height (px)"] = height(review)
    for control in ("button[value=approve]", "button[value=request_changes]"):
        assert in_first_screen(review, control), control
    # The claims beside their evidence, beside the diff.
    diff, evidence = (
        review.locator(s).bounding_box() for s in (".review-panel", ".review-evidence")
    )
    assert evidence["x"] >= diff["x"] + diff["width"]
    expect(review.locator(".review-evidence .claims-table")).to_contain_text(SOURCE_EXCERPT)
    # The answer text at most twice: the diff and the flagged passages.
    texts = ":is(.diff-text, .flagged-text, textarea, .readonly)"
    shown = review.locator(texts, has_text="regardless of their immigration status")
    figures["reviewer: times the answer text is shown"] = shown.count()
    assert shown.count() <= 2
    # Scrolled to the evidence, the decision is still in view (the bar stays).
    review.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    expect(review.get_by_role("button", name="Approve")).to_be_in_viewport(ratio=1)
    reviewer.axe("review workspace")
    first_screen(reviewer, "first-screen-reviewer")
    review_tally.click(review.get_by_role("button", name="Approve"))
    expect(review.locator(".messagelist")).to_contain_text("it is now the exported one")
    reviewer.shot("reviewer-approved")

    figures["clicks"] = tally.clicks + review_tally.clicks
    figures["full page loads"] = tally.loads + review_tally.loads
    figures["full page loads (editor)"] = tally.loads
    save_figures(editor, figures)
    assert figures["clicks"] <= 8
    assert figures["full page loads"] <= 3


def test_the_keyboard_only_editor(demo, people):
    editor, tally = sign_in(people, demo, "editor")
    page = editor.page
    open_answer(editor, Q1_LINK)
    text = page.locator("#id_text")
    expect(text).to_be_focused()  # no Tab needed to reach the text
    steps = {}
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(corrected(text.input_value()))
    steps["to Add another source"] = tally.tab_to(".add-row a")
    page.keyboard.press("Enter")
    expect(page.locator("#id_sources-0-url")).to_be_focused()
    page.keyboard.type(SOURCE["url"])
    steps["to the title"] = tally.tab_to("#id_sources-0-title")
    page.keyboard.type(SOURCE["title"])
    steps["to the excerpt"] = tally.tab_to("#id_sources-0-excerpt")
    page.keyboard.type(SOURCE_EXCERPT)
    page.keyboard.press("Alt+Shift+S")  # save
    page.wait_for_load_state("load")
    expect(page.locator("#claims h2")).to_contain_text("4 of 4 not settled")
    # The focus is on the first sentence to settle.
    expect(page.locator("#id_claims_1_excerpt")).to_be_focused()
    steps["to the first reason"] = tally.tab_to("#id_claims_1_reason")
    page.keyboard.type(AGENCIES_REASON)
    steps["to Mark common knowledge"] = tally.tab_to("#claims button[value=common]")
    page.keyboard.press("Enter")
    expect(page.locator("#claims h2")).to_contain_text("2 of 4 not settled")
    expect(page.locator("#id_claims_2_excerpt")).to_be_focused()
    steps["to Link to the source"] = tally.tab_to("#claims button[value=link]")
    page.keyboard.press("Enter")
    expect(page.locator("#claims h2")).to_contain_text("all 4 settled")
    page.keyboard.press("Alt+Shift+U")  # submit
    expect(page.locator(".workflow-panel h2")).to_contain_text("Status: In review")
    save_figures(editor, {"Tab presses": tally.tabs, "by step": steps})
    assert tally.tabs <= 40


@pytest.fixture
def q3_ready(demo, django_user_model) -> None:
    """Massachusetts Q3 sourced and its claims settled by the demo editor: ready to submit.
    (Made before the browser starts: the ORM is not for the browser's thread.)"""
    editor = django_user_model.objects.get(username="editor")
    answer = ma(3)
    workflow.edit(answer, user=editor, sources=[a_source()])
    settle_claims(answer, editor)


def test_the_shortcuts_are_listed_and_the_people_decide_by_keyboard(demo, q3_ready, people):
    editor, _ = sign_in(people, demo, "editor")
    page = editor.page
    open_answer(editor, Q3_LINK)
    page.get_by_text("Keyboard shortcuts").click()
    shortcuts = page.locator(".shortcuts dl")
    for name in ("Save", "Submit for review", "Approve", "Request changes", "Next answer"):
        expect(shortcuts).to_contain_text(name)
    editor.axe("keyboard shortcuts listed")
    page.keyboard.press("Alt+Shift+U")
    expect(page.locator(".workflow-panel h2")).to_contain_text("Status: In review")

    reviewer, _ = sign_in(people, demo, "reviewer")
    review = reviewer.page
    review.locator("#home-reviewer ~ ul.work-list").first.get_by_role("link", name=Q3_LINK).click()
    review.wait_for_load_state("load")
    # Request changes wants a comment: the shortcut goes to it first, then decides.
    review.keyboard.press("Alt+Shift+R")
    comment = review.get_by_label("Comment")
    expect(comment).to_be_focused()
    comment.fill("Name a source for the agencies.")
    review.keyboard.press("Alt+Shift+R")
    expect(review.locator(".messagelist")).to_contain_text("changes requested")
    reviewer.shot("reviewer-requested-by-keyboard")


def test_a_stale_settlement_in_place_keeps_the_typing(demo, people):
    first, _ = sign_in(people, demo, "editor")
    second, tally = sign_in(people, demo, "editor")
    for person in (first, second):
        open_answer(person, Q3_LINK)
    # The first tab saves the text: the second's claims forms show an older version.
    text = first.page.locator("#id_text")
    text.fill(text.input_value() + " Checked.")
    first.page.get_by_role("button", name="Save", exact=True).click()
    expect(first.page.locator(".messagelist .success")).to_be_visible()
    page = second.page
    expect(page.locator("#id_text")).to_be_focused()

    loads = tally.loads
    form = page.locator("form.claim-form").first
    form.get_by_label("Why they are common knowledge").fill("My typed reason.")
    form.get_by_role("button", name="Mark common knowledge").click()
    message = page.locator("#claims .inplace-error")
    expect(message).to_contain_text("Someone else saved this answer")
    expect(message).to_be_focused()
    expect(
        page.locator("form.claim-form").first.get_by_label("Why they are common knowledge")
    ).to_have_value("My typed reason.")
    assert tally.loads == loads
    second.shot("stale-settlement-in-place")
    # The answer form still holds the version it was opened on: its save will be merged.
    assert page.locator('input[name="loaded_version"][form="answer_form"]').input_value() != (
        page.locator("#claims").get_attribute("data-version")
    )


def open_with_scripts_held(person: Person, link):
    """From the home page to an answer whose page script (workspace.js) has not arrived yet:
    a slow machine or network, held here. Returns what lets it arrive and run."""
    held = []
    person.page.route("**/editorial/workspace*.js", lambda route: held.append(route))
    person.page.get_by_role("link", name=link).click()
    expect(person.page.locator("#id_text")).to_be_editable()  # shown, and typed in already

    def run_scripts() -> None:
        while not held:  # the script's request is under way: its route comes as we wait
            person.page.wait_for_timeout(20)
        held.pop().continue_()
        person.page.wait_for_load_state("domcontentloaded")  # after the deferred scripts ran

    return run_scripts


def test_typing_begun_before_the_page_scripts_ran_stays_as_typed(demo, people):
    # The script put the caret at the start of the text when it ran, wherever the person had
    # put it: the rest of the typing went to the start, and a text selected to be typed over
    # stayed after the new one (CI's two-tab merge showed a whole answer typed twice).
    over, _ = sign_in(people, demo, "editor")
    run_scripts = open_with_scripts_held(over, Q1_LINK)
    text = over.page.locator("#id_text")
    new = corrected(text.input_value())
    text.focus()
    over.page.keyboard.press("Control+A")  # the person (or Playwright's fill) selects it all
    run_scripts()
    over.page.keyboard.insert_text(new)
    expect(text).to_have_value(new)

    after, _ = sign_in(people, demo, "editor")
    run_scripts = open_with_scripts_held(after, Q1_LINK)
    text = after.page.locator("#id_text")
    original = text.input_value()
    text.focus()
    after.page.keyboard.press("Control+End")
    after.page.keyboard.insert_text(" Checked")
    run_scripts()
    after.page.keyboard.insert_text(" twice.")
    expect(text).to_have_value(original + " Checked twice.")
    expect(text).to_be_focused()
