"""The claims panel over real HTTP: each claim with its state, settled by its editor, a stale
settlement refused with the typing kept, the evidence on the review, version and diff pages."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from reversion.models import Version

from editorial import workflow
from editorial.models import Answer
from tests.conftest import (
    EXCERPT,
    RMV_SOURCE,
    change_url,
    errors_of,
    export,
    ma,
    post_step,
    settle_2004,
    without_hedges,
)

pytestmark = pytest.mark.django_db


def claims_url(answer: Answer) -> str:
    return reverse("admin:editorial_answer_claims", args=[answer.pk])


def post_claim(client, answer: Answer, action: str, **data):
    payload = {
        "claim": "2004",
        "action": action,
        "source": "",
        "excerpt": "",
        "reason": "",
        "loaded_version": Answer.objects.get(pk=answer.pk).version,
        **data,
    }
    return client.post(claims_url(answer), payload, follow=True)


def test_the_claims_panel_lists_each_claim_with_its_state(client, q1, people):
    client.force_login(people["editor"])
    page = client.get(change_url(q1)).content.decode()
    assert 'id="claims"' in page and "1 of 1 not settled" in page
    assert '<a href="#claims">1 claim to settle before approval</a>' in page
    assert "legislation in 2004 restricting" in page
    assert f'action="{claims_url(q1)}"' in page
    assert f'name="loaded_version" value="{q1.version}"' in page

    client.force_login(people["reviewer"])  # reads the claims, has no forms to settle them
    page = client.get(change_url(q1)).content.decode()
    assert "1 of 1 not settled" in page and f'action="{claims_url(q1)}"' not in page


def test_settling_through_the_admin(client, q1, people):
    client.force_login(people["editor"])
    source = q1.sources.get()
    response = post_claim(client, q1, "link", source=source.pk, excerpt=EXCERPT)
    assert response.redirect_chain[-1][0].endswith(change_url(q1) + "#claims")
    assert "all 1 settled" in response.content.decode()
    assert q1.claim_evidence.get().excerpt == EXCERPT

    response = post_claim(client, q1, "common", reason="")
    assert errors_of(response) == ["Say why “2004” is common knowledge."]
    response = post_claim(client, q1, "common", reason="Reported <b>widely</b>.")
    assert "Common knowledge:</strong> Reported &lt;b&gt;widely&lt;/b&gt;." in (
        response.content.decode()
    )
    post_claim(client, q1, "clear")
    assert not q1.claim_evidence.exists()


def test_a_stale_settlement_through_the_admin_keeps_the_typing(client, q1, people):
    client.force_login(people["editor"])
    loaded = Answer.objects.get(pk=q1.pk).version
    workflow.edit(q1, user=people["editor"], text=q1.text + " X.")
    response = post_claim(
        client, q1, "link", source=q1.sources.get().pk, excerpt="My typed excerpt.",
        loaded_version=loaded,
    )  # fmt: skip
    assert "Someone else saved this answer" in errors_of(response)[0]
    assert not q1.claim_evidence.exists()
    assert "My typed excerpt.</textarea>" in response.content.decode()


def test_only_the_answers_editor_settles_through_the_admin(client, q1, people):
    for role in ("reviewer", "editor2", "managing"):
        client.force_login(people[role])
        response = post_claim(client, q1, "common", reason="Forged.")
        assert response.status_code in {200, 403}
        assert not q1.claim_evidence.exists(), role
    client.force_login(people["editor"])
    assert client.get(claims_url(q1)).status_code == 405


def test_the_review_page_shows_each_claim_beside_its_evidence(client, seeds, people):
    """The done-when walk: Massachusetts Q1 settled, reviewed, approved, exported."""
    editor, reviewer = people["editor"], people["reviewer"]
    answer = ma(1)
    workflow.edit(answer, user=editor, text=without_hedges(answer.text), sources=[RMV_SOURCE])
    client.force_login(editor)
    post_claim(client, answer, "link", source=answer.sources.get().pk, excerpt=EXCERPT)
    post_step(client, answer, "submit", reviewer=reviewer.pk)

    client.force_login(reviewer)
    page = client.get(change_url(answer)).content.decode()
    assert "Claims and their evidence" in page and "not settled" not in page
    assert f"<blockquote>{EXCERPT}</blockquote>" in page
    assert "Registry of Motor Vehicles</a>" in page
    response = post_step(client, answer, "approve")
    assert errors_of(response) == []
    (record,) = [json.loads(line) for line in export("jsonl").splitlines()]
    assert record["claims"][0]["excerpt"] == EXCERPT


def test_versions_and_diffs_carry_the_claims(client, q1, people):
    editor = people["editor"]
    before = Version.objects.get_for_object(q1).first()
    settle_2004(q1, editor)
    settled = Version.objects.get_for_object(q1).first()
    assert workflow.version_claims(before) == []
    assert workflow.version_claims(settled) == [
        {
            "text": "2004",
            "kind": "source",
            "source_url": RMV_SOURCE["url"],
            "source_title": RMV_SOURCE["title"],
            "excerpt": EXCERPT,
            "reason": "",
        }
    ]
    client.force_login(editor)
    compare = reverse("admin:editorial_answer_compare", args=[q1.pk])
    page = client.get(f"{compare}?from={before.pk}&to={settled.pk}").content.decode()
    claims = page.split("<h3>Claims and their evidence</h3>", 1)[1]
    assert "<ins>" in claims and f"2004 · {RMV_SOURCE['title']}" in claims
    assert f"“{EXCERPT}”" in claims
    # The history lists the settlement as an edit with its own comment.
    history = client.get(reverse("admin:editorial_answer_history", args=[q1.pk])).content
    assert "Claim “2004” linked to “Registry of Motor Vehicles”" in history.decode()
