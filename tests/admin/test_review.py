"""The reviewer's pages over real HTTP: history with chosen comparisons, the word diff of
question, answer and sources, the review panel, and revert through a confirmation page."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.urls import reverse
from django.utils.html import escape
from reversion.models import Version

from editorial import workflow
from editorial.models import Answer, Status, WorkflowEvent
from tests.conftest import (
    a_source,
    bulk,
    change_url,
    errors_of,
    history_url,
    post_step,
    put_in_state,
    settle_claims,
    snapshot,
    version_url,
)

pytestmark = pytest.mark.django_db

MARK = re.compile(
    r'<(del|ins)><span class="diff-marker">\[(?:deleted|added): </span>(.*?)'
    r'<span class="diff-marker">\]</span></\1>',
    re.S,
)
XSS = "<script>alert(1)</script>"


def parts(page: str) -> dict[str, dict[str, list[str]]]:
    """For each part of the first diff on the page, the texts marked deleted and inserted."""
    section = page.split('<section class="content-diff">', 1)[1].split("</section>", 1)[0]
    found = {}
    for name, body in re.findall(
        r"<h3>(\w+)</h3>\s*(.*?)(?=<h3>|<p>Words changed|$)", section, re.S
    ):
        found[name] = {
            "del": [html_lib.unescape(text) for kind, text in MARK.findall(body) if kind == "del"],
            "ins": [html_lib.unescape(text) for kind, text in MARK.findall(body) if kind == "ins"],
        }
    return found


def compare_url(answer: Answer, old, new="current") -> str:
    return reverse("admin:editorial_answer_compare", args=[answer.pk]) + f"?from={old}&to={new}"


def version_numbered(answer: Answer, number: int) -> Version:
    return next(
        v for v in Version.objects.get_for_object(answer) if v.field_dict["version"] == number
    )


def test_the_diff_of_two_chosen_versions_marks_exactly_what_changed(client, answer, people):
    editor = people["editor"]
    first = workflow.edit(
        answer,
        user=editor,
        question="Does the Registry share data with ICE?",
        text="The Registry shares license data daily.",
        sources=[a_source("https://example.org/rmv", title="RMV policy")],
    ).version
    second = workflow.edit(
        answer,
        user=editor,
        question="Does the Massachusetts Registry share data with ICE?",
        text="The Registry shares license data only under a warrant.",
        sources=[
            a_source("https://example.org/rmv", title="RMV policy"),
            a_source("https://example.org/act", title="Work and Family Mobility Act"),
        ],
    ).version
    client.force_login(people["reviewer"])
    history = client.get(history_url(answer)).content.decode()
    old, new = version_numbered(answer, first), version_numbered(answer, second)
    assert f'name="from" value="{old.pk}"' in history and f'name="to" value="{new.pk}"' in history

    page = client.get(compare_url(answer, old.pk, new.pk))

    assert page.status_code == 200
    assert parts(page.content.decode()) == {
        "Question": {"del": [], "ins": [" Massachusetts"]},
        "Answer": {"del": ["daily"], "ins": ["only under a warrant"]},
        "Sources": {
            "del": [],
            "ins": [
                "\nWork and Family Mobility Act · P · https://example.org/act · accessed 2026-11-01"
            ],
        },
    }


def test_changes_since_last_approval_show_only_the_new_edit(client, answer, people):
    editor = people["editor"]
    put_in_state(answer, Status.APPROVED, people)  # the seed text, with a source, approved
    workflow.edit(answer, user=editor, text=answer.text.replace("daily", "weekly", 1))
    client.force_login(people["reviewer"])

    since_approval = client.get(compare_url(answer, "approved")).content.decode()
    since_import = client.get(compare_url(answer, "imported")).content.decode()

    assert parts(since_approval) == {
        "Question": {"del": [], "ins": []},
        "Answer": {"del": ["daily"], "ins": ["weekly"]},
        "Sources": {"del": [], "ins": []},
    }
    assert "No change." in since_approval
    # Since import, the source added before the approval is a change too.
    assert parts(since_import)["Sources"]["ins"] == [
        "T · P · https://example.org/x · accessed 2026-11-01"
    ]
    page = client.get(change_url(answer)).content.decode()
    assert escape(compare_url(answer, "approved")) in page
    assert escape(compare_url(answer, "imported")) in page


def test_the_review_panel_shows_the_changes_flags_sources_and_editor_comment(client, seeds, people):
    editor, reviewer = people["editor"], people["reviewer"]
    hedged = Answer.objects.get(document__subject="Massachusetts", position=1)
    text = hedged.text.replace("As of my knowledge cutoff in September 2021, the", "The")
    workflow.edit(
        hedged,
        user=editor,
        text=text.replace("accurate as of my last update", "accurate"),
        sources=[a_source("https://example.org/law", title="Chapter 90")],
    )
    workflow.settle_claim(
        hedged, user=editor, claim="2004", kind="source",
        source_id=hedged.sources.get().pk, excerpt="Chapter 90, section 30.",
    )  # fmt: skip
    settle_claims(hedged, editor)  # the agencies of its first sentence
    workflow.submit(hedged, editor, reviewer=reviewer, comment="Removed the hedges; see Ch. 90.")
    client.force_login(reviewer)

    page = client.get(change_url(hedged)).content.decode()

    bar = page.split('id="workflow-heading"', 1)[1].split("</h2>", 1)[0]
    assert "Reviewer: reviewer" in bar
    # The diff beside the claims and sources (review-panel, review-evidence).
    panel = page.split('class="module review-panel', 1)[1].split('class="module event-log"', 1)[0]
    assert "Removed the hedges; see Ch. 90." in panel
    assert parts(panel)["Answer"] == {
        "del": ["As of my knowledge cutoff in September 2021, the", " as of my last update"],
        "ins": ["The"],
    }
    assert '<mark class="flag-claim">2004</mark>' in panel  # claims to check, highlighted
    assert '<mark class="flag-hedge"' not in panel
    assert '<a href="https://example.org/law" rel="noopener noreferrer"' in panel
    # Each claim beside its evidence: the source and the excerpt that supports it.
    claims = panel.split('id="review-claims"', 1)[1]
    assert '<th scope="row">2004</th>' in claims
    assert "<blockquote>Chapter 90, section 30.</blockquote>" in claims
    assert 'value="approve"' in page and 'value="request_changes"' in page


def test_user_text_is_escaped_in_diffs_and_on_the_review_page(client, answer, people):
    editor, reviewer = people["editor"], people["reviewer"]
    workflow.edit(
        answer,
        user=editor,
        question=f"{XSS} question?",
        text=f"{XSS} answer.",
        sources=[a_source("https://example.org/x", title=XSS, excerpt=XSS)],
    )
    workflow.submit(answer, editor, reviewer=reviewer, comment=XSS)
    client.force_login(reviewer)

    pages = {
        "review": client.get(change_url(answer)).content.decode(),
        "compare": client.get(compare_url(answer, "imported")).content.decode(),
        "history": client.get(history_url(answer)).content.decode(),
    }
    first = Version.objects.get_for_object(answer).order_by("pk").first()
    pages["version"] = client.get(version_url(answer, first)).content.decode()
    pages["bulk approve"] = bulk(client, "approve_selected", [answer]).content.decode()
    for name, page in pages.items():
        assert XSS not in page, name
    assert escape(XSS) in pages["review"] and escape(XSS) in pages["compare"]


def test_after_deciding_the_reviewer_lands_on_the_next_answer_in_the_queue(client, seeds, people):
    editor, reviewer = people["editor"], people["reviewer"]
    first, following = (
        Answer.objects.get(document__subject="Massachusetts", position=n) for n in (2, 3)
    )
    for item in (first, following):
        workflow.edit(item, user=editor, sources=[a_source()])
        settle_claims(item, editor)
        workflow.submit(item, editor, reviewer=reviewer)
    client.force_login(reviewer)

    response = post_step(client, first, "approve")

    assert response.redirect_chain == [(change_url(following), 302)]
    last = post_step(client, following, "request_changes", comment="Cite the statute.")
    assert last.redirect_chain == [(change_url(following), 302)]  # the queue is empty


def test_revert_shows_what_it_would_change_and_is_an_edit(client, answer, people):
    editor = people["editor"]
    workflow.edit(answer, user=editor, text="First wording.", sources=[a_source()])
    first = version_numbered(answer, answer.version)
    workflow.edit(answer, user=editor, text="Second wording.")
    client.force_login(editor)

    confirm = client.get(version_url(answer, first)).content.decode()
    preview = confirm.split('aria-label="What a revert would change"', 1)[1]
    assert parts(preview)["Answer"] == {"del": ["Second"], "ins": ["First"]}
    assert 'value="Revert to this version"' in confirm
    loaded = int(re.search(r'name="loaded_version" value="(\d+)"', confirm).group(1))
    versions = Version.objects.get_for_object(answer).count()

    client.post(version_url(answer, first), {"loaded_version": loaded, "comment": "Back."})

    answer.refresh_from_db()
    assert (answer.text, answer.version) == ("First wording.", loaded + 1)
    assert Version.objects.get_for_object(answer).count() == versions + 1
    event = answer.events.order_by("-id").first()
    assert (event.action, event.actor, event.comment) == (
        WorkflowEvent.Action.REVERT,
        editor,
        "Back.",
    )


def test_a_revert_from_a_stale_page_is_refused_with_the_difference(client, answer, people):
    editor = people["editor"]
    workflow.edit(answer, user=editor, text="First wording.")
    first = version_numbered(answer, answer.version)
    workflow.edit(answer, user=editor, text="Second wording.")
    client.force_login(editor)
    confirm = client.get(version_url(answer, first)).content.decode()
    loaded = int(re.search(r'name="loaded_version" value="(\d+)"', confirm).group(1))
    workflow.edit(answer, user=editor, text="Third wording, saved in another tab.")
    before = snapshot(answer)

    response = client.post(version_url(answer, first), {"loaded_version": loaded}, follow=True)

    assert response.status_code == 200
    assert errors_of(response)[0].startswith("Someone else saved this answer")
    assert snapshot(answer) == before
    stale = response.content.decode().split('aria-label="What changed meanwhile"', 1)[1]
    assert parts(stale)["Answer"] == {"del": ["Second"], "ins": ["Third", ", saved in another tab"]}
    # The same editor saved from another tab: said so, not "someone else".
    heading = "Changed by you, in another tab or window, while you had this page open"
    assert f"<h2>{heading}</h2>" in stale
