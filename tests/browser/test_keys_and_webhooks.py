"""API keys and webhooks in the browser, as a managing editor walks through them: a key
made, revoked from its own page and then shown read only; an endpoint added (its event
labels whole), tested, disabled and enabled, its states and events as chips; and what a
reviewer who types one of these addresses is shown. Screenshots in artifacts/browser/<test>/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.webhooks.receiver import Receiver

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def not_clipped(page, selector: str) -> None:
    """Every match shows its whole text on one line: not cut off, not wrapped."""
    for element in page.locator(selector).all():
        fits = element.evaluate(
            """e => {
                const style = getComputedStyle(e);
                const inner = e.getBoundingClientRect().height - parseFloat(style.paddingTop)
                    - parseFloat(style.paddingBottom);
                // One line is about 1.2 to 1.5 times the font size; two are 2.4 or more.
                return e.scrollWidth <= e.clientWidth + 1 && e.getClientRects().length === 1
                    && inner < 1.9 * parseFloat(style.fontSize);
            }"""
        )
        assert fits, f"{selector}: {element.inner_text()!r} is clipped or wrapped"


def refused_once(person) -> None:
    """The browser logs the 403 it was meant to meet; anything else is still a problem."""
    expected = [p for p in person.problems if "403 (Forbidden)" in p]
    assert len(expected) == 1, person.problems
    person.problems.remove(expected[0])


def test_a_managing_editor_makes_and_revokes_a_key(demo, people):
    managing = people()
    managing.login("managing", demo["managing"])
    page = managing.page
    page.goto("/admin/editorial/apikey/add/")
    page.fill("#id_name", "Mississippi site")
    page.check("#id_everything")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#issued-key")).to_have_value(re.compile(r"^\S{20,}$"))
    managing.shot("key-issued")
    page.get_by_role("link", name="The key's page").click()
    expect(page.get_by_role("link", name="Revoke…")).to_be_visible()
    managing.shot("key-page")
    managing.axe("API key page")

    page.get_by_role("link", name="Revoke…").click()
    expect(page.locator("#content")).to_contain_text("This cannot be undone")
    managing.shot("key-revoke-asked")
    managing.axe("API key revoke page")
    page.get_by_role("button", name="Revoke the key").click()
    expect(page.locator(".messagelist .success")).to_contain_text("revoked; the API refuses it")
    expect(page.locator("#revoked-note")).to_contain_text("Revoked on")
    expect(page.locator("#revoked-note")).to_contain_text("by Mona Managing")
    expect(page.locator("input#id_name")).to_have_count(0)  # read only
    expect(page.get_by_role("button", name="Save", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Revoke…")).to_have_count(0)
    managing.shot("key-revoked-read-only")
    managing.axe("revoked API key page")

    page.goto("/admin/editorial/apikey/")
    expect(page.locator(".state-chip")).to_have_text(["Revoked"])
    not_clipped(page, ".state-chip")
    managing.shot("key-list")


def test_a_managing_editor_walks_through_a_webhook_endpoint(demo, people):
    with Receiver() as receiver:
        managing = people()
        managing.login("managing", demo["managing"])
        page = managing.page
        page.goto("/admin/editorial/webhookendpoint/add/")
        page.fill("#id_url", receiver.url)
        page.fill("#id_description", "Downstream site")
        for checkbox in page.locator("#id_events input[type=checkbox]").all():
            checkbox.check()
        # Each event's label on one line, not broken into three by a 160 px column.
        not_clipped(page, "#id_events label")
        managing.shot("endpoint-add-form")
        managing.axe("webhook endpoint form")
        page.get_by_role("button", name="Save", exact=True).click()
        managing.shot("endpoint-secret")
        page.goto("/admin/editorial/webhookendpoint/")
        expect(page.locator(".event-chip")).to_have_text(["approved", "re-approved", "withdrawn"])
        not_clipped(page, ".event-chip")
        not_clipped(page, ".state-chip")
        managing.shot("endpoint-list")
        page.get_by_role("link", name="Downstream site").click()
        page.get_by_role("button", name="Send a test event").click()
        expect(page.locator(".messagelist .success")).to_contain_text("Test event")
        # The page's buttons are as tall as its History link, their words inside them.
        history = box(page, ".object-tools a.historylink")
        for name in ("Send a test event", "Reveal secret", "Replace secret", "Disable"):
            button = page.get_by_role("button", name=name)
            assert abs(button.bounding_box()["height"] - history["height"]) <= 2, name
        not_clipped(page, ".object-tools button")
        managing.shot("endpoint-tested")
        page.get_by_role("button", name="Disable").click()
        managing.shot("endpoint-disabled")
        page.get_by_role("button", name="Enable").click()
        expect(page.locator(".messagelist .success")).to_have_text(
            "Enabled; there were no failed events to send again."
        )
        managing.shot("endpoint-enabled")
        page.get_by_role("button", name="Disable").click()
        page.goto("/admin/editorial/webhookendpoint/")
        expect(page.locator(".state-chip")).to_have_text(["Disabled"])
        not_clipped(page, ".state-chip")
        managing.shot("endpoint-list-disabled")
        page.goto("/admin/editorial/webhookmessage/")
        managing.shot("events-list")

        reviewer = people()
        reviewer.login("reviewer", demo["reviewer"])
        reviewer.page.goto("/admin/editorial/webhookendpoint/")
        expect(reviewer.page.locator("#refusal-reason")).to_have_text(
            "Only managing editors may see or manage webhooks."
        )
        expect(reviewer.page.locator("#site-name")).to_be_visible()
        refused_once(reviewer)
        reviewer.shot("reviewer-refused")
        reviewer.axe("refusal page")
