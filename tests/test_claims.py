"""Claim-level evidence: finding claims, settling them, and approval waiting on them.

Real seeds, real revisions, real HTTP through the admin; the rule is workflow's.
"""

from __future__ import annotations

import csv
import json
from io import BytesIO

import pytest
from django.urls import reverse
from reversion.models import Version

from editorial import flags, workflow
from editorial.exporters import Export
from editorial.models import Answer, ApprovedVersion, ClaimEvidence, Status
from tests.conftest import RMV_SOURCE, errors_of, ma, post_step

pytestmark = pytest.mark.django_db

HEDGE = (
    "As of my knowledge cutoff in September 2021, the current policy of the Massachusetts "
    "Department of Motor Vehicles (DMV) is"
)
NO_HEDGE = "The current policy of the Massachusetts Department of Motor Vehicles (DMV) is"
LAST_UPDATE = "While this information is accurate as of my last update, policies"


def without_hedges(text: str) -> str:
    """Massachusetts Q1 as an editor corrects it: both knowledge-cutoff hedges gone."""
    assert HEDGE in text and LAST_UPDATE in text
    return text.replace(HEDGE, NO_HEDGE).replace(LAST_UPDATE, "Policies")


EXCERPT = "In 2004 the Commonwealth restricted the release of license data."


def ms(position: int) -> Answer:
    return Answer.objects.get(document__subject="Mississippi", position=position)


def keys(text: str) -> list[str]:
    return [claim.text for claim in flags.find_claims(text)]


# --- finding claims --------------------------------------------------------------------


def test_claims_found_in_the_massachusetts_seed(seeds):
    # The 2021 of the knowledge-cutoff hedge is not a claim: the hedge goes, and it with it.
    assert keys(ma(1).text) == ["2004"]
    assert keys(ma(2).text) == []
    assert keys(ma(5).text) == ["REAL ID Act of 2005", "REAL ID Act"]
    assert keys(ma(13).text) == [
        "Massachusetts Public Records Law",
        "Data Integrity Board",
        "executive order",
        "2018",
    ]
    assert keys(ma(19).text) == ["American Civil Liberties Union", "ACLU", "2018"]


def test_claims_found_in_the_mississippi_seed(seeds):
    assert keys(ms(3).text) == ["Driver’s Privacy Protection Act"]
    assert keys(ms(15).text) == [
        "Mississippi Public Records Act",
        "Privacy Act of 1974",
        "Driver’s Privacy Protection Act",
    ]
    # Noise stays low: 18 claims in the 40 answers, in 8 of them.
    found = [flags.find_claims(answer.text) for answer in Answer.objects.all()]
    assert sum(map(len, found)) == 18 and sum(1 for claims in found if claims) == 8


def test_a_claim_carries_its_sentence_and_a_key_that_survives_rewording():
    text = "Massachusetts enacted legislation in 2004 restricting releases. Nothing else."
    (claim,) = flags.find_claims(text)
    assert (claim.text, claim.kind, text[claim.start : claim.end]) == ("2004", "year", "2004")
    assert claim.sentence == "Massachusetts enacted legislation in 2004 restricting releases."
    assert flags.find_claims("A law passed in 2004.")[0].key == claim.key
    (organisation,) = flags.find_claims("It was set up by the Department of Homeland Security.")
    assert organisation.kind == "organisation"
    (order,) = flags.find_claims("Under Executive Order 13768 the agency acts.")
    assert order.text == "Executive Order 13768"
    assert flags.find_claims("Ask the National Immigration Law Center.")[0].text == (
        "National Immigration Law Center"
    )


# --- settling ---------------------------------------------------------------------------


@pytest.fixture
def q1(seeds, people) -> Answer:
    """Massachusetts Q1 with its hedge removed and the RMV source: only its claim is open."""
    answer = ma(1)
    workflow.edit(
        answer,
        user=people["editor"],
        text=without_hedges(answer.text),
        sources=[RMV_SOURCE],
    )
    assert keys(answer.text) == ["2004"]
    return answer


def settle_2004(answer: Answer, user) -> Answer:
    return workflow.settle_claim(
        answer,
        user=user,
        claim="2004",
        kind=ClaimEvidence.Kind.SOURCE,
        source_id=answer.sources.get().pk,
        excerpt=EXCERPT,
        expected_version=Answer.objects.get(pk=answer.pk).version,
    )


def test_linking_a_claim_is_an_edit_with_its_own_version(q1, people):
    before = q1.version
    settle_2004(q1, people["editor"])
    q1.refresh_from_db()
    assert q1.version == before + 1
    evidence = q1.claim_evidence.get()
    assert (evidence.claim_key, evidence.kind, evidence.excerpt, evidence.settled_by) == (
        "2004", "source", EXCERPT, people["editor"]
    )  # fmt: skip
    event = q1.events.latest("id")
    assert (event.action, event.actor) == ("edit", people["editor"])
    assert "2004" in event.comment and event.revision is not None
    # The version carries the evidence (reversion follows it from the answer).
    newest = Version.objects.get_for_object(q1).first()
    models = {v.content_type.model for v in newest.revision.version_set.all()}
    assert models == {"answer", "source", "claimevidence"}
    assert newest.field_dict["version"] == q1.version


def test_common_knowledge_needs_a_reason_and_a_source_link_needs_an_excerpt(q1, people):
    editor = people["editor"]
    with pytest.raises(workflow.WorkflowError, match="Say why “2004” is common knowledge"):
        workflow.settle_claim(q1, user=editor, claim="2004", kind="common_knowledge", reason=" ")
    with pytest.raises(workflow.WorkflowError, match="Quote the excerpt"):
        workflow.settle_claim(
            q1, user=editor, claim="2004", kind="source", source_id=q1.sources.get().pk
        )
    with pytest.raises(workflow.WorkflowError, match="one of this answer's sources"):
        workflow.settle_claim(
            q1, user=editor, claim="2004", kind="source", source_id=ma(2).pk, excerpt="x"
        )
    with pytest.raises(workflow.WorkflowError, match="not a claim of the answer's text"):
        workflow.settle_claim(q1, user=editor, claim="1999", kind="common_knowledge", reason="r")
    assert not q1.claim_evidence.exists()
    workflow.settle_claim(
        q1, user=editor, claim="2004", kind="common_knowledge", reason="Widely reported."
    )
    assert q1.claim_evidence.get().settled


def test_clearing_evidence_asks_for_the_claim_again(q1, people):
    settle_2004(q1, people["editor"])
    assert workflow.unsettled_claims(q1) == []
    workflow.clear_claim(q1, user=people["editor"], claim="2004")
    assert [claim.text for claim in workflow.unsettled_claims(q1)] == ["2004"]
    with pytest.raises(workflow.WorkflowError, match="no evidence to clear"):
        workflow.clear_claim(q1, user=people["editor"], claim="2004")


def test_settling_follows_the_edit_rules(q1, people):
    with pytest.raises(workflow.WorkflowError, match="Only editors"):
        settle_2004(q1, people["reviewer"])
    with pytest.raises(workflow.WorkflowError, match="is the editor of this answer"):
        settle_2004(q1, people["editor2"])
    settle_2004(q1, people["editor"])
    workflow.submit(q1, people["editor"], reviewer=people["reviewer"])
    with pytest.raises(workflow.WorkflowError, match="in review and read-only"):
        workflow.clear_claim(q1, user=people["editor"], claim="2004")


def test_a_stale_settlement_is_refused(q1, people):
    loaded = q1.version
    workflow.edit(q1, user=people["editor"], text=q1.text + " More.")
    with pytest.raises(workflow.StaleVersionError):
        workflow.settle_claim(
            q1, user=people["editor"], claim="2004", kind="common_knowledge",
            reason="Known.", expected_version=loaded,
        )  # fmt: skip
    assert not q1.claim_evidence.exists()


def test_removing_the_linked_source_unsettles_the_claim(q1, people):
    settle_2004(q1, people["editor"])
    workflow.edit(q1, user=people["editor"], sources=[{**RMV_SOURCE, "title": "Other"}])
    assert [claim.text for claim in workflow.unsettled_claims(q1)] == ["2004"]


# --- approval waits on the claims -----------------------------------------------------


def test_approval_is_refused_while_a_claim_is_unsettled_then_allowed_once_linked(
    q1, people, settings
):
    # Submitted while unsettled (the rule switched off), so approval itself is what refuses.
    settings.EDITORIAL_APPROVAL_NEEDS_SETTLED_CLAIMS = False
    workflow.submit(q1, people["editor"], reviewer=people["reviewer"])
    settings.EDITORIAL_APPROVAL_NEEDS_SETTLED_CLAIMS = True
    with pytest.raises(workflow.WorkflowError, match=r"a claim is not settled \(“2004”\)"):
        workflow.approve(q1, people["reviewer"], expected_version=q1.version)
    assert not ApprovedVersion.objects.filter(answer=q1).exists()
    assert "a claim is not settled (“2004”)" in " ".join(
        workflow.refused_transitions(q1, people["reviewer"]).values()
    )

    workflow.withdraw(q1, people["editor"])
    settle_2004(q1, people["editor"])
    workflow.submit(q1, people["editor"], reviewer=people["reviewer"])
    workflow.approve(q1, people["reviewer"], expected_version=q1.version)
    pinned = ApprovedVersion.objects.get(answer=q1)
    assert pinned.claims == [
        {
            "text": "2004",
            "kind": "source",
            "source_url": RMV_SOURCE["url"],
            "source_title": RMV_SOURCE["title"],
            "excerpt": EXCERPT,
            "reason": "",
        }
    ]


def test_submit_is_refused_while_a_claim_is_unsettled(q1, people):
    with pytest.raises(workflow.WorkflowError, match="Fix this before submitting: a claim"):
        workflow.submit(q1, people["editor"], reviewer=people["reviewer"])


def test_approval_allowed_once_the_claim_is_rewritten_away(q1, people):
    workflow.edit(q1, user=people["editor"], text=q1.text.replace(" in 2004", ""))
    assert workflow.unsettled_claims(q1) == []
    workflow.submit(q1, people["editor"], reviewer=people["reviewer"])
    workflow.approve(q1, people["reviewer"], expected_version=q1.version)
    assert ApprovedVersion.objects.get(answer=q1).claims == []


def test_approval_allowed_once_marked_common_knowledge(q1, people):
    workflow.settle_claim(
        q1, user=people["editor"], claim="2004", kind="common_knowledge", reason="Well known."
    )
    workflow.submit(q1, people["editor"], reviewer=people["reviewer"])
    workflow.approve(q1, people["reviewer"], expected_version=q1.version)
    (claim,) = ApprovedVersion.objects.get(answer=q1).claims
    assert (claim["kind"], claim["reason"], claim["source_url"]) == (
        "common_knowledge", "Well known.", ""
    )  # fmt: skip


def test_the_setting_turns_the_rule_off(q1, people, settings):
    settings.EDITORIAL_APPROVAL_NEEDS_SETTLED_CLAIMS = False
    workflow.submit(q1, people["editor"], reviewer=people["reviewer"])
    workflow.approve(q1, people["reviewer"])
    assert ApprovedVersion.objects.get(answer=q1).claims == []


def test_the_check_runs_on_the_text_approved_and_pins_only_its_claims(q1, people, settings):
    """Evidence for a claim rewritten away is neither needed nor pinned; a claim brought in
    by an edit is asked for again, and the approved version keeps what was approved."""
    editor, reviewer = people["editor"], people["reviewer"]
    workflow.settle_claim(q1, user=editor, claim="2004", kind="common_knowledge", reason="Known.")
    workflow.edit(q1, user=editor, text=q1.text.replace("2004", "2005"))
    # The evidence for 2004 stays, but the text now claims 2005: the rule asks for it.
    assert [claim.text for claim in workflow.unsettled_claims(q1)] == ["2005"]
    with pytest.raises(workflow.WorkflowError, match="“2005”"):
        workflow.submit(q1, editor, reviewer=reviewer)
    workflow.edit(q1, user=editor, text=q1.text.replace("2005", "2004"))
    workflow.submit(q1, editor, reviewer=reviewer)
    seen = q1.version
    workflow.approve(q1, reviewer, expected_version=seen)
    assert [c["text"] for c in ApprovedVersion.objects.get(answer=q1).claims] == ["2004"]

    # After approval an edit adds a claim; the pinned version (and export) keep the approved.
    workflow.edit(q1, user=editor, text=q1.text + " The ACLU agreed.")
    q1.refresh_from_db()
    assert q1.status == Status.DRAFT
    assert [c.text for c in workflow.unsettled_claims(q1)] == ["ACLU"]
    pinned = ApprovedVersion.objects.get(answer=q1)
    assert pinned.version == seen and [c["text"] for c in pinned.claims] == ["2004"]


def test_approve_many_refuses_the_same_and_pins_the_claims(q1, people, settings):
    editor, reviewer = people["editor"], people["reviewer"]
    other = ma(13)
    workflow.edit(other, user=editor, sources=[RMV_SOURCE])
    settings.EDITORIAL_APPROVAL_NEEDS_SETTLED_CLAIMS = False
    for answer in (q1, other):
        workflow.submit(answer, editor, reviewer=reviewer)
    settings.EDITORIAL_APPROVAL_NEEDS_SETTLED_CLAIMS = True
    outcome = workflow.approve_many(
        answers=[q1, other],
        user=reviewer,
        expected_versions={q1.pk: q1.version, other.pk: other.version},
    )
    assert outcome.done == []
    reasons = {answer.pk: str(error) for answer, error in outcome.refused}
    assert "a claim is not settled (“2004”)" in reasons[q1.pk]
    assert (
        "claims are not settled (“Massachusetts Public Records Law”, “Data Integrity Board”, "
        "“executive order”, “2018”)"
    ) in reasons[other.pk]

    workflow.withdraw(q1, editor)
    settle_2004(q1, editor)
    workflow.submit(q1, editor, reviewer=reviewer)
    q1.refresh_from_db()
    outcome = workflow.approve_many(
        answers=[q1, other],
        user=reviewer,
        expected_versions={q1.pk: q1.version, other.pk: other.version},
    )
    assert [answer.pk for answer in outcome.done] == [q1.pk]
    assert [c["excerpt"] for c in ApprovedVersion.objects.get(answer=q1).claims] == [EXCERPT]
    # The bulk path's version carries the evidence too, as reversion's follow would.
    newest = Version.objects.get_for_object(q1).first()
    assert "claimevidence" in {v.content_type.model for v in newest.revision.version_set.all()}


# --- export -----------------------------------------------------------------------------


def export(format_name: str) -> str:
    out = BytesIO()
    Export(format_name, channel="command").write_to(out)
    return out.getvalue().decode()


def test_the_export_carries_the_claims_of_the_approved_version_only(q1, people):
    editor, reviewer = people["editor"], people["reviewer"]
    settle_2004(q1, editor)
    workflow.submit(q1, editor, reviewer=reviewer)
    workflow.approve(q1, reviewer)
    # Later work on the draft (new evidence, a new claim) is not exported until approved.
    workflow.settle_claim(q1, user=editor, claim="2004", kind="common_knowledge", reason="Draft.")
    workflow.edit(q1, user=editor, text=q1.text + " The ACLU agreed.")

    (record,) = [json.loads(line) for line in export("jsonl").splitlines()]
    assert record["claims"] == [
        {"text": "2004", "source_url": RMV_SOURCE["url"], "excerpt": EXCERPT, "reason": ""}
    ]
    assert json.loads(export("json"))[0]["claims"] == record["claims"]
    assert "2004: https://www.mass.gov" in export("md")
    assert "Draft." not in export("csv") and "ACLU" not in export("csv")


def test_a_csv_claims_cell_cannot_start_a_formula(q1, people):
    editor = people["editor"]
    workflow.edit(q1, user=editor, text="=2004 HYPERLINK. " + q1.text)
    workflow.settle_claim(q1, user=editor, claim="2004", kind="common_knowledge", reason="=1+1")
    workflow.submit(q1, editor, reviewer=people["reviewer"])
    workflow.approve(q1, people["reviewer"])

    rows = list(csv.DictReader(export("csv").splitlines()))
    assert json.loads(rows[0]["claims"]) == [
        {"excerpt": "", "reason": "=1+1", "source_url": "", "text": "2004"}
    ]
    assert rows[0]["answer"].startswith("'=")


# --- the admin ------------------------------------------------------------------------


def claims_url(answer: Answer) -> str:
    return reverse("admin:editorial_answer_claims", args=[answer.pk])


def change_url(answer: Answer) -> str:
    return reverse("admin:editorial_answer_change", args=[answer.pk])


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
