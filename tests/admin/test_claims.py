"""The claims panel over real HTTP: each claim with its state, a sentence's claims settled by
its editor in one form (with a claim settled another way, or left), a stale settlement refused
with the typing kept, the evidence on the review, version and diff pages."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from reversion.models import Version

from editorial import flags, workflow
from editorial.models import Answer, ClaimEvidence
from tests.conftest import (
    EXCERPT,
    Q1_AGENCIES,
    Q1_AGENCIES_PINNED,
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


def key(name: str) -> str:
    return flags.claim_key(name)


def claims_url(answer: Answer) -> str:
    return reverse("admin:editorial_answer_claims", args=[answer.pk])


def claim_payload(answer: Answer, action: str, **data) -> dict:
    """A claim form's fields as the page posts them, from the stored version."""
    return {
        "claim": "2004",
        "action": action,
        "source": "",
        "excerpt": "",
        "reason": "",
        "loaded_version": Answer.objects.get(pk=answer.pk).version,
        **data,
    }


def post_claim(client, answer: Answer, action: str, **data):
    return client.post(claims_url(answer), claim_payload(answer, action, **data), follow=True)


def test_the_claims_panel_lists_each_claim_with_its_state(client, q1, people):
    client.force_login(people["editor"])
    page = client.get(change_url(q1)).content.decode()
    assert 'id="claims"' in page and "1 of 3 not settled" in page
    assert (
        '<a href="#claims" class="claims-link" data-claims-count>1 claim to settle before '
        "approval</a>"
    ) in page
    assert "legislation in 2004 restricting" in page
    assert f'name="loaded_version" value="{q1.version}"' in page
    # One form per sentence: the agencies' sentence (settled in the fixture), then 2004's.
    forms = page.split('<form method="post" action="' + claims_url(q1) + '"')[1:]
    assert len(forms) == 2
    first, second = (form.split("</form>", 1)[0] for form in forms)
    assert [f'name="claim" value="{key}"' in first for key in (
        "massachusetts department of motor vehicles (dmv)",
        "u.s. immigration and customs enforcement (ice)",
    )] == [True, True]  # fmt: skip
    assert "(settled)" in first and 'name="claim" value="2004"' in second

    client.force_login(people["reviewer"])  # reads the claims, has no forms to settle them
    page = client.get(change_url(q1)).content.decode()
    assert "1 of 3 not settled" in page and f'action="{claims_url(q1)}"' not in page


def test_settling_through_the_admin(client, q1, people):
    client.force_login(people["editor"])
    source = q1.sources.get()
    response = post_claim(client, q1, "link", source=source.pk, excerpt=EXCERPT)
    assert response.redirect_chain[-1][0].endswith(change_url(q1) + "#claims")
    assert "all 3 settled" in response.content.decode()
    assert "Claim “2004”: linked to its source." in response.content.decode()
    assert q1.claim_evidence.get(claim_key="2004").excerpt == EXCERPT

    response = post_claim(client, q1, "common", reason="")
    assert errors_of(response) == ["Say why “2004” is common knowledge."]
    response = post_claim(client, q1, "common", reason="Reported <b>widely</b>.")
    assert "Common knowledge:</strong> Reported &lt;b&gt;widely&lt;/b&gt;." in (
        response.content.decode()
    )
    post_claim(client, q1, "clear")
    assert not q1.claim_evidence.filter(claim_key="2004").exists()
    assert q1.claim_evidence.count() == 2  # the agencies' evidence stays


def test_a_stale_settlement_through_the_admin_keeps_the_typing(client, q1, people):
    client.force_login(people["editor"])
    loaded = Answer.objects.get(pk=q1.pk).version
    workflow.edit(q1, user=people["editor"], text=q1.text + " X.")
    response = post_claim(
        client, q1, "link", source=q1.sources.get().pk, excerpt="My typed excerpt.",
        loaded_version=loaded,
    )  # fmt: skip
    assert "Someone else saved this answer" in errors_of(response)[0]
    assert not q1.claim_evidence.filter(claim_key="2004").exists()
    assert "My typed excerpt.</textarea>" in response.content.decode()


def test_only_the_answers_editor_settles_through_the_admin(client, q1, people):
    for role in ("reviewer", "editor2", "managing"):
        client.force_login(people[role])
        response = post_claim(client, q1, "common", reason="Forged.")
        assert response.status_code in {200, 403}
        assert not q1.claim_evidence.filter(claim_key="2004").exists(), role
    client.force_login(people["editor"])
    assert client.get(claims_url(q1)).status_code == 405


def test_the_review_page_shows_each_claim_beside_its_evidence(client, seeds, people):
    """The done-when walk: Massachusetts Q1 settled, reviewed, approved, exported."""
    editor, reviewer = people["editor"], people["reviewer"]
    answer = ma(1)
    workflow.edit(answer, user=editor, text=without_hedges(answer.text), sources=[RMV_SOURCE])
    client.force_login(editor)
    post_claim(client, answer, "link", source=answer.sources.get().pk, excerpt=EXCERPT)
    post_claim(client, answer, "common", claim=[key(name) for name in Q1_AGENCIES],
               reason="The agencies the question asks about.")  # fmt: skip
    post_step(client, answer, "submit", reviewer=reviewer.pk)

    client.force_login(reviewer)
    page = client.get(change_url(answer)).content.decode()
    assert "Claims and their evidence" in page and "not settled" not in page
    assert f"<blockquote>{EXCERPT}</blockquote>" in page
    assert "Registry of Motor Vehicles</a>" in page
    response = post_step(client, answer, "approve")
    assert errors_of(response) == []
    (record,) = [json.loads(line) for line in export("jsonl").splitlines()]
    assert [claim["excerpt"] for claim in record["claims"]] == ["", "", EXCERPT]


def test_versions_and_diffs_carry_the_claims(client, q1, people):
    editor = people["editor"]
    before = Version.objects.get_for_object(q1).first()
    settle_2004(q1, editor)
    settled = Version.objects.get_for_object(q1).first()
    assert workflow.version_claims(before) == Q1_AGENCIES_PINNED
    assert workflow.version_claims(settled) == [
        *Q1_AGENCIES_PINNED,
        {
            "text": "2004",
            "kind": "source",
            "source_url": RMV_SOURCE["url"],
            "source_title": RMV_SOURCE["title"],
            "excerpt": EXCERPT,
            "reason": "",
        },
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


@pytest.fixture
def q1_open(seeds, people) -> Answer:
    """Massachusetts Q1 hedges removed and sourced, none of its three claims settled."""
    answer = ma(1)
    workflow.edit(
        answer, user=people["editor"], text=without_hedges(answer.text), sources=[RMV_SOURCE]
    )
    return answer


def test_a_sentences_claims_are_settled_by_one_form_in_one_edit(client, q1_open, people):
    answer, editor = q1_open, people["editor"]
    client.force_login(editor)
    versions, events = answer.version, answer.events.count()
    response = post_claim(
        client, answer, "common", claim=[key(name) for name in Q1_AGENCIES],
        reason="The agencies the question asks about.",
    )  # fmt: skip
    assert errors_of(response) == []
    assert (
        "Claims “Massachusetts Department of Motor Vehicles (DMV)”, “U.S. Immigration and "
        "Customs Enforcement (ICE)”: common knowledge."
    ) in response.content.decode()
    answer.refresh_from_db()
    assert (answer.version, answer.events.count()) == (versions + 1, events + 1)
    event = answer.events.latest("id")
    assert (event.action, event.actor) == ("edit", editor)
    assert event.comment == (
        "Claims “Massachusetts Department of Motor Vehicles (DMV)”, “U.S. Immigration and "
        "Customs Enforcement (ICE)” marked common knowledge: The agencies the question asks about."
    )
    assert sorted(answer.claim_evidence.values_list("claim_key", flat=True)) == sorted(
        key(name) for name in Q1_AGENCIES
    )
    assert Version.objects.get_for_object(answer).count() == 3  # import, edit, the settlement


def test_one_claim_of_a_sentence_settled_another_way_or_left_as_it_is(client, q1_open, people):
    answer, source = q1_open, q1_open.sources.get()
    client.force_login(people["editor"])
    dmv, ice = (key(name) for name in Q1_AGENCIES)
    # Linked as the sentence says, except ICE: common knowledge, its own reason.
    post_claim(
        client, answer, "link", claim=[dmv, ice], source=source.pk, excerpt="The RMV page.",
        how_1="common", reason_1="Everyone knows ICE.",
    )  # fmt: skip
    evidence = {e.claim_key: e for e in answer.claim_evidence.all()}
    assert (evidence[dmv].kind, evidence[dmv].source, evidence[dmv].excerpt) == (
        ClaimEvidence.Kind.SOURCE, source, "The RMV page."
    )  # fmt: skip
    assert (evidence[ice].kind, evidence[ice].reason) == (
        ClaimEvidence.Kind.COMMON_KNOWLEDGE, "Everyone knows ICE."
    )  # fmt: skip
    # Settling the sentence again leaves what the editor keeps: the DMV's link stays.
    post_claim(
        client, answer, "common", claim=[dmv, ice], reason="Known.", how_0="keep",
    )  # fmt: skip
    evidence = {e.claim_key: e for e in answer.claim_evidence.all()}
    assert (evidence[dmv].kind, evidence[ice].reason) == (ClaimEvidence.Kind.SOURCE, "Known.")


def test_a_refused_sentence_keeps_what_was_typed_for_each_claim(client, q1_open, people):
    answer = q1_open
    client.force_login(people["editor"])
    response = post_claim(
        client, answer, "link", claim=[key(name) for name in Q1_AGENCIES],
        source=answer.sources.get().pk, excerpt="", how_1="common",
        reason_1="My typed reason.",
    )  # fmt: skip
    assert errors_of(response) == [
        "Quote the excerpt of “Registry of Motor Vehicles” that supports “Massachusetts "
        "Department of Motor Vehicles (DMV)”."
    ]
    assert not answer.claim_evidence.exists()  # nothing of the sentence was written
    page = response.content.decode()
    assert "My typed reason.</textarea>" in page
    assert '<option value="common" selected>' in page


# --- settled in place (workspace.js): the same POST, answered with the panel alone ----------

INPLACE = {"HTTP_X_EDITORIAL_INPLACE": "1"}


def post_inplace(client, answer: Answer, action: str, **data):
    return client.post(claims_url(answer), claim_payload(answer, action, **data), **INPLACE)


def test_a_settlement_in_place_answers_with_the_panel_and_the_new_version(client, q1, people):
    client.force_login(people["editor"])
    before = Answer.objects.get(pk=q1.pk).version
    response = post_inplace(client, q1, "link", source=q1.sources.get().pk, excerpt=EXCERPT)
    assert (response.status_code, response["X-Editorial-Outcome"]) == (200, "settled")
    page = response.content.decode()
    assert page.lstrip().startswith('<section class="module claims-panel" id="claims"')
    assert "<html" not in page and "</body>" not in page
    assert "all 3 settled" in page and "Claim “2004”: linked to its source." in page
    # What the action bar says the rules refuse, afresh: nothing of the claims any more.
    refused = page.split('class="refused-now" hidden>', 1)[1].split("</div>", 1)[0]
    assert "claims are not settled" not in refused
    answer = Answer.objects.get(pk=q1.pk)
    assert answer.version == before + 1 == int(response["X-Editorial-Version"])
    assert f'data-version="{answer.version}"' in page
    assert f'name="loaded_version" value="{answer.version}"' in page  # its forms, afresh
    assert q1.claim_evidence.get(claim_key="2004").excerpt == EXCERPT
    # The same edit as without script: one version, one event.
    assert answer.events.latest("id").comment.startswith("Claim “2004” linked to")
    # No message left over for the next page.
    assert (
        "linked to its source"
        not in client.get(change_url(q1)).content.decode().split('id="claims"')[0]
    )


def test_a_stale_settlement_in_place_is_refused_with_the_typing_kept(client, q1, people):
    client.force_login(people["editor"])
    loaded = Answer.objects.get(pk=q1.pk).version
    workflow.edit(q1, user=people["editor"], text=q1.text + " X.")
    response = post_inplace(
        client, q1, "link", source=q1.sources.get().pk, excerpt="My typed excerpt.",
        loaded_version=loaded,
    )  # fmt: skip
    assert (response.status_code, response["X-Editorial-Outcome"]) == (200, "refused")
    page = response.content.decode()
    assert "<html" not in page and 'class="inplace-message inplace-error"' in page
    assert "Someone else saved this answer" in page
    assert "My typed excerpt.</textarea>" in page
    assert not q1.claim_evidence.filter(claim_key="2004").exists()
    # The panel's forms carry the version now stored; the page's answer form keeps its own.
    assert int(response["X-Editorial-Version"]) == loaded + 1


def test_a_settlement_in_place_checks_permissions_as_the_page_does(client, q1, people):
    for role in ("reviewer", "editor2", "managing"):
        client.force_login(people[role])
        response = post_inplace(client, q1, "common", reason="Forged.")
        assert response.status_code == 403 or response["X-Editorial-Outcome"] == "refused", role
        assert not q1.claim_evidence.filter(claim_key="2004").exists(), role
    client.logout()
    response = post_inplace(client, q1, "common", reason="Forged.")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not q1.claim_evidence.filter(claim_key="2004").exists()


def test_without_script_the_same_form_still_redirects_to_the_page(client, q1, people):
    client.force_login(people["editor"])
    response = client.post(
        claims_url(q1),
        {"claim": "2004", "action": "common", "reason": "Widely reported.",
         "loaded_version": Answer.objects.get(pk=q1.pk).version},
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == change_url(q1) + "#claims"
    page = client.get(response["Location"]).content.decode()
    assert "Claim “2004”: common knowledge." in page


def test_picking_a_source_offers_its_excerpt(client, q1, people):
    client.force_login(people["editor"])
    page = client.get(change_url(q1)).content.decode()
    source = q1.sources.get()
    assert f'<option value="{source.pk}" data-excerpt="{source.excerpt}"' in page
    second = page.split('id="id_claims_2_excerpt"', 1)[1].split("</textarea>", 1)[0]
    assert second.endswith(f">{source.excerpt}")  # offered until something else is typed


def test_the_answer_page_reads_its_settled_claims_people_at_once(client, seeds, people):
    """Each settled claim names who settled it: read with the evidence, not once a row (at
    a million answers the review page read the editor four times over)."""
    editor = people["editor"]
    answer = ma(2)
    claims = [claim.key for claim in workflow.unsettled_claims(answer)]
    assert len(claims) >= 3
    client.force_login(people["reviewer"])
    counts = []
    for settled in (claims[:1], claims[1:]):
        answer = Answer.objects.get(pk=answer.pk)
        workflow.settle_claims(
            answer, user=editor, claims=settled, kind="common_knowledge", reason="Known."
        )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(change_url(answer)).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1], counts
