"""Settling claims is an edit, and approval waits on them: through the Python API, on the
real seeds, with real revisions."""

from __future__ import annotations

import pytest
from reversion.models import Version

from editorial import flags, workflow
from editorial.models import Answer, ApprovedVersion, ClaimEvidence, Status
from tests.conftest import EXCERPT, Q1_AGENCIES, Q1_AGENCIES_PINNED, RMV_SOURCE, ma, settle_2004
from tests.flags.test_claims import END_TO_END

pytestmark = pytest.mark.django_db


def test_linking_a_claim_is_an_edit_with_its_own_version(q1, people):
    before = q1.version
    settle_2004(q1, people["editor"])
    q1.refresh_from_db()
    assert q1.version == before + 1
    evidence = q1.claim_evidence.get(claim_key="2004")
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
    assert not q1.claim_evidence.filter(claim_key="2004").exists()
    workflow.settle_claim(
        q1, user=editor, claim="2004", kind="common_knowledge", reason="Widely reported."
    )
    assert q1.claim_evidence.get(claim_key="2004").settled


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
    assert not q1.claim_evidence.filter(claim_key="2004").exists()


def test_removing_the_linked_source_unsettles_the_claim(q1, people):
    settle_2004(q1, people["editor"])
    workflow.edit(q1, user=people["editor"], sources=[{**RMV_SOURCE, "title": "Other"}])
    assert [claim.text for claim in workflow.unsettled_claims(q1)] == ["2004"]


def test_approval_is_refused_while_a_claim_is_unsettled_then_allowed_once_linked(
    q1, people, settings
):
    # Submitted while unsettled (the rule switched off), so approval itself is what refuses.
    settings.EDITORIAL_APPROVAL_NEEDS_SETTLED_CLAIMS = False
    workflow.submit(q1, people["editor"], reviewer=people["reviewer"])
    settings.EDITORIAL_APPROVAL_NEEDS_SETTLED_CLAIMS = True
    with pytest.raises(workflow.WorkflowError, match=r"a claim is not settled \(“2004”\)"):
        workflow.approve(q1, people["reviewer"], expected_version=q1.version)
    assert not ApprovedVersion.objects.current().filter(answer=q1).exists()
    assert "a claim is not settled (“2004”)" in " ".join(
        workflow.refused_transitions(q1, people["reviewer"]).values()
    )

    workflow.withdraw(q1, people["editor"])
    settle_2004(q1, people["editor"])
    workflow.submit(q1, people["editor"], reviewer=people["reviewer"])
    workflow.approve(q1, people["reviewer"], expected_version=q1.version)
    pinned = ApprovedVersion.objects.current().get(answer=q1)
    assert pinned.claims == [
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


def test_submit_is_refused_while_a_claim_is_unsettled(q1, people):
    with pytest.raises(workflow.WorkflowError, match="Fix this before submitting: a claim"):
        workflow.submit(q1, people["editor"], reviewer=people["reviewer"])


def test_approval_allowed_once_the_claim_is_rewritten_away(q1, people):
    workflow.edit(q1, user=people["editor"], text=q1.text.replace(" in 2004", ""))
    assert workflow.unsettled_claims(q1) == []
    workflow.submit(q1, people["editor"], reviewer=people["reviewer"])
    workflow.approve(q1, people["reviewer"], expected_version=q1.version)
    assert ApprovedVersion.objects.current().get(answer=q1).claims == Q1_AGENCIES_PINNED


def test_approval_allowed_once_marked_common_knowledge(q1, people):
    workflow.settle_claim(
        q1, user=people["editor"], claim="2004", kind="common_knowledge", reason="Well known."
    )
    workflow.submit(q1, people["editor"], reviewer=people["reviewer"])
    workflow.approve(q1, people["reviewer"], expected_version=q1.version)
    *agencies, claim = ApprovedVersion.objects.current().get(answer=q1).claims
    assert agencies == Q1_AGENCIES_PINNED
    assert (claim["kind"], claim["reason"], claim["source_url"]) == (
        "common_knowledge", "Well known.", ""
    )  # fmt: skip


def test_the_setting_turns_the_rule_off(q1, people, settings):
    settings.EDITORIAL_APPROVAL_NEEDS_SETTLED_CLAIMS = False
    workflow.submit(q1, people["editor"], reviewer=people["reviewer"])
    workflow.approve(q1, people["reviewer"])
    # Only what was settled is pinned: the agencies, settled in the fixture.
    assert ApprovedVersion.objects.current().get(answer=q1).claims == Q1_AGENCIES_PINNED


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
    pinned_texts = [*Q1_AGENCIES, "2004"]
    pinned = ApprovedVersion.objects.current().get(answer=q1)
    assert [c["text"] for c in pinned.claims] == pinned_texts

    # After approval an edit adds a claim; the pinned version (and export) keep the approved.
    workflow.edit(q1, user=editor, text=q1.text + " The ACLU agreed.")
    q1.refresh_from_db()
    assert q1.status == Status.DRAFT
    assert [c.text for c in workflow.unsettled_claims(q1)] == ["ACLU"]
    pinned = ApprovedVersion.objects.current().get(answer=q1)
    assert pinned.version == seen and [c["text"] for c in pinned.claims] == pinned_texts


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
        "claims are not settled (“Department of Motor Vehicles (DMV)”, “Immigration and Customs "
        "Enforcement (ICE)”, “Massachusetts Public Records Law”, “Massachusetts RMV”, “Data "
        "Integrity Board (DIB)”, “2018”)"
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
    assert [c["excerpt"] for c in ApprovedVersion.objects.current().get(answer=q1).claims] == [
        "", "", EXCERPT
    ]  # fmt: skip
    # The bulk path's version carries the evidence too, as reversion's follow would.
    newest = Version.objects.get_for_object(q1).first()
    assert "claimevidence" in {v.content_type.model for v in newest.revision.version_set.all()}


def test_a_claim_cannot_be_linked_to_another_answers_source(q1, people):
    """Evidence is what this answer cites: another answer's source is refused, nothing saved."""
    editor = people["editor"]
    other = ma(3)
    workflow.edit(other, user=editor, sources=[{**RMV_SOURCE, "title": "Another answer's"}])
    foreign = other.sources.get()
    assert foreign.answer_id != q1.pk
    version = Answer.objects.get(pk=q1.pk).version

    with pytest.raises(workflow.WorkflowError, match="Choose one of this answer's sources"):
        workflow.settle_claim(
            q1, user=editor, claim="2004", kind="source", source_id=foreign.pk, excerpt=EXCERPT
        )

    assert not ClaimEvidence.objects.filter(source=foreign).exists()
    assert not q1.claim_evidence.filter(claim_key="2004").exists()
    assert Answer.objects.get(pk=q1.pk).version == version
    # Its own source is accepted: the refusal was about whose source it is.
    workflow.settle_claim(
        q1, user=editor, claim="2004", kind="source", source_id=q1.sources.get().pk,
        excerpt=EXCERPT,
    )  # fmt: skip
    assert q1.claim_evidence.get(claim_key="2004").source.answer_id == q1.pk


# --- a sentence's claims settled together ------------------------------------------------


def test_settling_a_sentences_claims_together_is_one_versioned_logged_edit(q1, people):
    """Q1's first sentence names two agencies; settled again together (linked to the RMV
    page, ICE with its own excerpt): one version, one event, one revision holding both."""
    editor = people["editor"]
    source = q1.sources.get()
    before = (q1.version, q1.events.count(), Version.objects.get_for_object(q1).count())
    workflow.settle_claims(
        q1, user=editor, claims=Q1_AGENCIES, kind="source", source_id=source.pk,
        excerpt="The Massachusetts DMV shares nothing.",
        overrides={"ICE": {"excerpt": "ICE asks the RMV."}},
        expected_version=q1.version,
    )  # fmt: skip
    q1.refresh_from_db()
    assert (q1.version, q1.events.count(), Version.objects.get_for_object(q1).count()) == (
        before[0] + 1, before[1] + 1, before[2] + 1
    )  # fmt: skip
    event = q1.events.latest("id")
    assert (event.action, event.actor) == ("edit", editor)
    assert event.comment == (
        "Claims “Massachusetts Department of Motor Vehicles (DMV)”, “U.S. Immigration and "
        "Customs Enforcement (ICE)” linked to “Registry of Motor Vehicles”"
    )
    newest = Version.objects.get_for_object(q1).first()
    assert newest.revision == event.revision
    held = {
        v.field_dict["claim_key"]: v.field_dict["excerpt"]
        for v in newest.revision.version_set.all()
        if v.content_type.model == "claimevidence"
    }
    dmv, ice = (flags.claim_key(name) for name in Q1_AGENCIES)
    assert (held[dmv], held[ice]) == ("The Massachusetts DMV shares nothing.", "ICE asks the RMV.")


def test_a_sentences_settlement_is_stale_checked_and_refused_whole(q1, people):
    editor = people["editor"]
    loaded = q1.version
    workflow.edit(q1, user=editor, text=q1.text + " More.")
    evidence = list(q1.claim_evidence.values_list("claim_key", "reason"))
    with pytest.raises(workflow.StaleVersionError):
        workflow.settle_claims(
            q1, user=editor, claims=[*Q1_AGENCIES, "2004"], kind="common_knowledge",
            reason="Known.", expected_version=loaded,
        )  # fmt: skip
    # One claim refused (no excerpt for its source) refuses the sentence: nothing written.
    with pytest.raises(workflow.WorkflowError, match="Quote the excerpt"):
        workflow.settle_claims(
            q1, user=editor, claims=["2004", *Q1_AGENCIES], kind="common_knowledge",
            reason="Known.",
            overrides={"2004": {"kind": "source", "source_id": q1.sources.get().pk}},
        )  # fmt: skip
    assert list(q1.claim_evidence.values_list("claim_key", "reason")) == evidence
    with pytest.raises(workflow.WorkflowError, match="Choose the claims to settle"):
        workflow.settle_claims(q1, user=editor, claims=[], kind="common_knowledge", reason="r")
    with pytest.raises(ValueError, match="Unknown override"):
        workflow.settle_claims(
            q1, user=editor, claims=["2004"], kind="common_knowledge", reason="r",
            overrides={"2004": {"colour": "red"}},
        )  # fmt: skip


def test_four_eyes_counts_a_sentences_settlement(q1, people, editor_reviewer):
    """Settling claims is editing: whoever settled a sentence may not approve the answer."""
    workflow.assign_editor(q1, people["managing"], editor_reviewer)
    workflow.settle_claims(
        q1, user=editor_reviewer, claims=["2004"], kind="common_knowledge", reason="Known."
    )
    workflow.submit(q1, editor_reviewer, reviewer=people["reviewer"])
    assert editor_reviewer.pk in workflow.editors_since_approval(q1)
    with pytest.raises(workflow.WorkflowError):
        workflow.approve(q1, editor_reviewer)


def test_the_seven_claims_of_issue_19_block_approval_until_each_is_settled(seeds, people):
    """Issue 19's end-to-end case: an answer naming 8 U.S.C. 1373, Section 287(g), ICE, the FBI,
    Smith v. Jones, 87% and H.4805 was approved with `claims: []`. Now each must be settled."""
    editor, reviewer = people["editor"], people["reviewer"]
    answer = ma(2)
    workflow.edit(answer, user=editor, text=END_TO_END, sources=[RMV_SOURCE])
    seven = [claim.text for claim in workflow.unsettled_claims(answer)]
    assert seven == [
        "8 U.S.C. 1373", "Section 287(g)", "Immigration and Customs Enforcement",
        "Federal Bureau of Investigation", "Smith v. Jones", "87%", "H.4805",
    ]  # fmt: skip
    with pytest.raises(workflow.WorkflowError, match="claims are not settled"):
        workflow.submit(answer, editor, reviewer=reviewer)
    # Settled sentence by sentence, all but the last; approval still waits on H.4805.
    sentences: dict[str, list[str]] = {}
    for claim in workflow.unsettled_claims(answer):
        sentences.setdefault(claim.sentence, []).append(claim.key)
    *settled, last = sentences.values()
    for keys in settled:
        workflow.settle_claims(
            answer, user=editor, claims=keys, kind="common_knowledge", reason="Checked."
        )
    settings_off(answer, editor, reviewer)
    with pytest.raises(workflow.WorkflowError, match=r"a claim is not settled \(“H.4805”\)"):
        workflow.approve(answer, reviewer)
    assert not ApprovedVersion.objects.filter(answer=answer).exists()
    workflow.withdraw(answer, editor)
    workflow.settle_claims(
        answer, user=editor, claims=last, kind="source", source_id=answer.sources.get().pk,
        excerpt="H.4805 was passed.",
    )  # fmt: skip
    workflow.submit(answer, editor, reviewer=reviewer)
    workflow.approve(answer, reviewer)
    pinned = ApprovedVersion.objects.current().get(answer=answer)
    assert [claim["text"] for claim in pinned.claims] == seven


def settings_off(answer, editor, reviewer):
    """Submit while the rule is off, so that approval itself is what refuses."""
    from django.test import override_settings

    with override_settings(EDITORIAL_APPROVAL_NEEDS_SETTLED_CLAIMS=False):
        workflow.submit(answer, editor, reviewer=reviewer)
