"""What approval needs, through the Python API (and submitting checks it first): the assigned
reviewer, a source, no blocking flag; and the approved version it pins."""

import pytest
from django.contrib.auth.models import Permission

from editorial import flags, workflow
from editorial.models import Answer, ApprovedVersion, FlagLevel, Status
from editorial.workflow import WorkflowError
from tests.conftest import settle_claims
from tests.workflow.conftest import SOURCE, in_state, sourced

pytestmark = pytest.mark.django_db


def test_only_the_assigned_reviewer_decides(answer, editor, reviewer, reviewer2, managing):
    answer = in_state(answer, Status.IN_REVIEW, editor=editor, reviewer=reviewer,
                      managing=managing)  # fmt: skip
    with pytest.raises(WorkflowError, match="only the assigned reviewer"):
        workflow.approve(answer, reviewer2)
    reviewer2.user_permissions.add(Permission.objects.get(codename="approve_any_answer"))
    reviewer2 = type(reviewer2).objects.get(pk=reviewer2.pk)  # drop the permission cache
    assert workflow.approve(answer, reviewer2).status == Status.APPROVED


def test_approval_needs_a_source(answer, editor, reviewer, settings):
    # Submitting already asks for a source; approval asks again, here because the rule was
    # switched on while the answer waited in review.
    settings.EDITORIAL_REQUIRE_SOURCE_FOR_APPROVAL = False
    workflow.claim(answer, editor)
    settle_claims(answer, editor)
    answer = workflow.submit(answer, editor, reviewer=reviewer)
    settings.EDITORIAL_REQUIRE_SOURCE_FOR_APPROVAL = True
    with pytest.raises(WorkflowError, match="no source"):
        workflow.approve(answer, reviewer)
    assert not ApprovedVersion.objects.exists()


def test_source_requirement_can_be_relaxed(answer, editor, reviewer, settings):
    settings.EDITORIAL_REQUIRE_SOURCE_FOR_APPROVAL = False
    workflow.claim(answer, editor)
    settle_claims(answer, editor)
    answer = workflow.submit(answer, editor, reviewer=reviewer)
    assert workflow.approve(answer, reviewer).status == Status.APPROVED


def test_blocking_flag_refuses_approval(seeds, editor, reviewer):
    hedged = Answer.objects.get(document__subject="Massachusetts", position=1)
    hedged = sourced(hedged, editor)
    text = hedged.text.replace("As of my knowledge cutoff in September 2021, the", "The")
    text = text.replace("accurate as of my last update", "accurate")
    hedged = workflow.edit(hedged, user=editor, text=text)
    assert "hedge" not in hedged.flag_codes
    settle_claims(hedged, editor)
    hedged = workflow.submit(hedged, editor, reviewer=reviewer)
    # A flag that appears while the answer waits in review (the checks grew stricter):
    # submitting could not see it, approving must.
    Answer.objects.filter(pk=hedged.pk).update(flags="hedge", flag_level=FlagLevel.BLOCKING)
    with pytest.raises(WorkflowError, match="knowledge-cutoff hedge"):
        workflow.approve(hedged, reviewer)
    assert not ApprovedVersion.objects.current().filter(answer=hedged).exists()
    flags.refresh_flags([hedged.pk])
    assert workflow.approve(hedged, reviewer).status == Status.APPROVED


def test_approval_pins_content_and_edits_leave_it_in_place(answer, editor, reviewer, managing):
    answer = in_state(answer, Status.APPROVED, editor=editor, reviewer=reviewer,
                      managing=managing)  # fmt: skip
    pinned = answer.approved
    assert (pinned.question, pinned.text) == (answer.question, answer.text)
    assert pinned.sources == [
        {
            **{k: SOURCE[k] for k in ("url", "title", "publisher", "excerpt")},
            "accessed": "2026-11-20",
        }
    ]
    assert pinned.approved_by == reviewer and pinned.version == answer.version
    assert pinned.revision is not None

    edited = workflow.edit(answer, user=editor, text="A second edit.", sources=[])
    assert edited.status == Status.DRAFT
    pinned.refresh_from_db()
    assert pinned.text != "A second edit." and pinned.sources

    edited = workflow.edit(edited, user=editor, sources=[SOURCE])
    edited = workflow.submit(edited, editor)
    approved = workflow.approve(edited, reviewer)
    # A new approval is a new row, which the answer names; the earlier one stays as it was.
    assert approved.approved.text == "A second edit." and approved.approved.pk != pinned.pk
    pinned.refresh_from_db()
    assert pinned.text != "A second edit."
    assert list(approved.approvals.order_by("pk")) == [pinned, approved.approved]


def test_submit_with_a_blocking_flag_is_refused_with_its_label(seeds, editor, reviewer):
    hedged = Answer.objects.get(document__subject="Massachusetts", position=1)
    hedged = workflow.edit(hedged, user=editor, sources=[SOURCE])
    assert "hedge" in hedged.flag_codes

    with pytest.raises(WorkflowError) as refusal:
        workflow.submit(hedged, editor, reviewer=reviewer)

    # Its claims (the agencies, the 2004 legislation) are not settled either: both reasons
    # are said.
    assert str(refusal.value) == (
        "Fix this before submitting: it is flagged “LLM self-reference or knowledge-cutoff "
        "hedge”; claims are not settled (“Massachusetts Department of Motor Vehicles (DMV)”, "
        "“U.S. Immigration and Customs Enforcement (ICE)”, “2004”): link each to a source "
        "with its excerpt, "
        "rewrite it, or mark it common knowledge."
    )
    assert Answer.objects.get(pk=hedged.pk).status == Status.DRAFT
    fixed = flags.HEDGE_RE.sub("Per the record", hedged.text)
    hedged = workflow.edit(hedged, user=editor, text=fixed)
    settle_claims(hedged, editor)  # the hedge's "September 2021" stands alone now: a claim
    assert workflow.submit(hedged, editor, reviewer=reviewer).status == Status.IN_REVIEW


def test_submit_without_a_source_says_so(answer, editor, reviewer):
    with pytest.raises(WorkflowError, match="Fix this before submitting: it has no source"):
        workflow.submit(answer, editor, reviewer=reviewer)
