"""A strict Content-Security-Policy (django-csp) on every page, and pages that need nothing more.

The header allows scripts, styles, images and fonts from this site only: no inline script,
no style attribute, no plugin, no <base>, no framing, forms posting here only. The pages
people use are fetched over HTTP as each role sees them, and their markup is checked for
what the policy would block; the browser suite (tests/test_browser.py) fails on any
violation the browser reports.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from reversion.models import Version

from editorial.models import Answer, Status
from tests.conftest import CHANGELIST, change_url, history_url, ma, put_in_state, version_url

pytestmark = pytest.mark.django_db

EXPECTED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
# What a strict policy blocks in markup: inline scripts (a <script> without src that is not
# data, such as json_script's), handler attributes, style attributes, javascript: URLs.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.I)
JAVASCRIPT_URL = re.compile(r"javascript:", re.I)


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in header.split(";") if part.strip()
    )


def blocked_markup(html: str) -> list[str]:
    found = []
    for name, pattern in (
        ("inline script", INLINE_SCRIPT),
        ("handler attribute", HANDLER),
        ("style attribute", STYLE_ATTRIBUTE),
        ("javascript: URL", JAVASCRIPT_URL),
    ):
        found += [f"{name}: {match.group(0)[:120]}" for match in pattern.finditer(html)]
    return found


def test_the_login_page_carries_the_strict_policy(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert policy(response) == EXPECTED
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert blocked_markup(response.content.decode()) == []


def test_every_page_people_work_on_carries_it_and_needs_nothing_it_blocks(client, people, seeds):
    in_review = put_in_state(ma(2), Status.IN_REVIEW, people)
    approved = put_in_state(ma(3), Status.APPROVED, people)
    version = Version.objects.get_for_object(in_review).order_by("pk").first()
    document = in_review.document
    pages = {
        "editor": [
            "/admin/",
            CHANGELIST,
            f"{CHANGELIST}?mine=unassigned",
            change_url(ma(1)),
            change_url(in_review),
            history_url(in_review),
            version_url(in_review, version),
            reverse("admin:editorial_answer_compare", args=[in_review.pk]),
        ],
        "reviewer": ["/admin/", f"{CHANGELIST}?mine=review", change_url(in_review)],
        "managing": [
            "/admin/",
            CHANGELIST,
            change_url(approved),
            "/admin/editorial/document/",
            reverse("admin:editorial_document_change", args=[document.pk]),
            reverse("admin:editorial_document_import"),
            "/admin/password_change/",
        ],
        "superuser": [
            "/admin/",
            "/admin/auth/user/",
            reverse("admin:auth_user_change", args=[people["editor"].pk]),
            "/admin/auth/group/",
            "/admin/axes/accessattempt/",
            "/admin/axes/accesslog/",
        ],
    }
    checked = 0
    for role, urls in pages.items():
        client.force_login(people[role])
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (role, url)
            assert policy(response) == EXPECTED, (role, url)
            assert blocked_markup(response.content.decode()) == [], (role, url)
            checked += 1
    assert checked == 24
    assert Answer.objects.filter(status=Status.IN_REVIEW).exists()
