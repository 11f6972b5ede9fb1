"""API keys and webhooks in the browser, as a managing editor walks through them: a key
made, its page, revoked from its page and shown read-only; an endpoint added, tested,
disabled and enabled, its events and attempts; and what a reviewer who types one of these
addresses is shown. Screenshots in artifacts/browser/<test>/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.webhooks.receiver import Receiver

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


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
    managing.shot("key-page")
    # managing.axe("API key page")
    page.goto("/admin/editorial/apikey/")
    managing.shot("key-list")


def test_a_managing_editor_walks_through_a_webhook_endpoint(demo, people):
    with Receiver() as receiver:
        managing = people()
        managing.login("managing", demo["managing"])
        page = managing.page
        page.goto("/admin/editorial/webhookendpoint/add/")
        page.fill("#id_url", receiver.url)
        page.fill("#id_description", "Downstream site")
        for label in page.locator("#id_events input[type=checkbox]").all():
            label.check()
        managing.shot("endpoint-add-form")
        page.get_by_role("button", name="Save", exact=True).click()
        managing.shot("endpoint-secret")
        page.goto("/admin/editorial/webhookendpoint/")
        managing.shot("endpoint-list")
        page.get_by_role("link", name="Downstream site").click()
        page.get_by_role("button", name="Send a test event").click()
        managing.shot("endpoint-tested")
        page.get_by_role("button", name="Disable").click()
        managing.shot("endpoint-disabled")
        page.goto("/admin/editorial/webhookendpoint/")
        managing.shot("endpoint-list-disabled")
        page.goto("/admin/editorial/webhookmessage/")
        managing.shot("events-list")

        reviewer = people()
        reviewer.login("reviewer", demo["reviewer"])
        reviewer.page.goto("/admin/editorial/webhookendpoint/")
        reviewer.shot("reviewer-refused")
