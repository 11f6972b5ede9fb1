"""The answer page and list as people use them all day: readable names and messages,
defaults that help, choices that work, e-mails that lead to the answer."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from editorial import workflow
from editorial.models import Status
from tests.conftest import (
    CHANGELIST,
    a_source,
    change_form_data,
    change_url,
    errors_of,
    ma,
    post_step,
    put_in_state,
    settle_claims,
    successes_of,
)

pytestmark = pytest.mark.django_db


def test_answers_are_named_by_subject_position_and_question(seeds):
    answer = ma(1)
    name = str(answer)
    assert name.startswith("Massachusetts · Q1 · What is the current policy of the")
    assert name.endswith("…") and len(name.split(" · ", 2)[2]) <= 60
    document = answer.document
    document.title = "Massachusetts RMV"
    document.save()
    assert str(ma(1)).startswith("Massachusetts RMV · Q1 · ")


def test_messages_say_what_happened(client, answer, people):
    editor, reviewer = people["editor"], people["reviewer"]
    reviewer.first_name, reviewer.last_name = "Ada", "Lovelace"
    reviewer.save()
    put_in_state(answer, Status.DRAFT, people)
    client.force_login(editor)
    submitted = post_step(client, answer, "submit", reviewer=reviewer.pk)
    assert successes_of(submitted) == [f"{answer}: submitted to reviewer Ada Lovelace."]
    client.force_login(reviewer)
    approved = post_step(client, answer, "approve")
    answer.refresh_from_db()
    assert successes_of(approved) == [
        f"{answer}: approved version {answer.version}; it is now the exported one."
    ]


def test_submit_is_refused_while_a_flag_blocks_approval(client, seeds, people):
    hedged = ma(1)
    workflow.edit(hedged, user=people["editor"], sources=[a_source()])
    client.force_login(people["editor"])

    response = post_step(client, hedged, "submit")

    # Its claims (two agencies, the 2004 legislation) are not settled either: both are said.
    assert errors_of(response) == [
        "Fix this before submitting: it is flagged “LLM self-reference or knowledge-cutoff "
        "hedge”; claims are not settled (“Massachusetts Department of Motor Vehicles (DMV)”, "
        "“U.S. Immigration and Customs Enforcement (ICE)”, “2004”): link each to a source with "
        "its excerpt, rewrite it, or mark it common knowledge."
    ]
    hedged.refresh_from_db()
    assert hedged.status == Status.DRAFT


def test_the_reviewer_choice_offers_only_people_the_rules_allow(client, answer, people,
                                                                editor_reviewer):  # fmt: skip
    workflow.edit(answer, user=editor_reviewer, sources=[a_source()])  # four-eyes: not them
    client.force_login(people["managing"])

    page = client.get(change_url(answer)).content.decode()

    select = re.search(r'<select id="id_wf_reviewer".*?</select>', page, re.S).group(0)
    offered = set(re.findall(r'<option value="(\d+)"', select))
    assert offered == {str(people["reviewer"].pk), str(people["reviewer2"].pk)}
    assert str(editor_reviewer.pk) not in offered


def test_a_new_source_is_dated_today(client, answer, people):
    put_in_state(answer, Status.DRAFT, people)
    client.force_login(people["editor"])

    page = client.get(change_url(answer)).content.decode()

    today = timezone.localdate().isoformat()
    assert re.search(rf'name="sources-__prefix__-accessed_on"[^>]*value="{today}"', page)


def test_the_flags_column_says_the_level_and_a_readable_name(client, seeds, people):
    client.force_login(people["editor"])

    page = client.get(CHANGELIST).content.decode()

    assert (
        '<span class="flag flag-blocking" title="Blocking: LLM self-reference or '
        'knowledge-cutoff hedge"><span class="flag-level">✖</span> Hedge</span>'
    ) in page
    assert '<span class="flag-level">⚠</span> Unsourced claim</span>' in page


def test_events_are_newest_first_and_status_lines_do_not_stutter(client, answer, people):
    put_in_state(answer, Status.CHANGES_REQUESTED, people)
    client.force_login(people["editor"])

    page = client.get(change_url(answer)).content.decode()

    log = page.split('aria-label="Event log"', 1)[1]
    steps = re.findall(
        r"<td>(Edited|Reviewer assigned|Submitted for review|Changes requested)</td>", log
    )
    # Newest first: the request, the submission, the claims settled, the source added.
    assert steps == ["Changes requested", "Submitted for review", "Edited", "Edited"]
    status = re.search(r'<h2 id="workflow-heading">.*?Status:(.*?)</h2>', page, re.S).group(1)
    words = re.sub(r"<[^>]+>", " ", status).split()
    assert all(a.lower() != b.lower() for a, b in zip(words, words[1:], strict=False)), status


def test_emails_name_the_answer_and_link_to_it(
    answer, people, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://editorial.example.org"
    put_in_state(answer, Status.DRAFT, people)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit(answer, people["editor"], reviewer=people["reviewer"])

    [mail] = mailoutbox
    assert mail.subject == f"Review requested: {answer}"
    link = "https://editorial.example.org" + reverse(
        "admin:editorial_answer_change", args=[answer.pk]
    )
    assert f"Open it: {link}" in mail.body


def test_a_browsers_line_ends_are_not_an_edit(client, seeds, people):
    # Browsers post textarea text with CRLF; the stored text has LF.
    answer = ma(3)
    assert "\n" in answer.text
    editor = people["editor"]
    client.force_login(editor)
    data = change_form_data(answer)
    data.update(
        text=answer.text.replace("\n", "\r\n"),
        question=answer.question,
        step="claim",
        comment="",
    )
    del data["_save"]

    response = client.post(change_url(answer), data, follow=True)

    assert successes_of(response) == [f"{answer}: you are now its editor."]
    answer.refresh_from_db()
    assert answer.version == 1 and answer.editor == editor
    assert list(answer.events.values_list("action", flat=True)) == ["import", "claim"]

    typed = answer.text.replace("\n", "\r\n") + "\r\nOne more line."
    data.update(text=typed, loaded_version="1")
    del data["step"]
    client.post(change_url(answer), {**data, "_save": "Save"})
    answer.refresh_from_db()
    assert answer.text == typed.replace("\r\n", "\n")


def test_submit_is_offered_while_only_the_content_blocks_it_and_saves_the_fix(
    client, answer, people
):
    # No source yet: the editor adds one on the page and presses Submit without saving.
    editor = people["editor"]
    workflow.claim(answer, editor)
    settle_claims(answer, editor)
    client.force_login(editor)
    page = client.get(change_url(answer)).content.decode()
    assert 'value="submit"' in page
    assert "Fix this before submitting: it has no source; add at least one." in page
    data = change_form_data(answer, new_sources=[a_source()])
    data.update(step="submit", comment="Sourced.", reviewer=people["reviewer"].pk)
    del data["_save"]

    response = client.post(change_url(answer), data, follow=True)

    answer.refresh_from_db()
    assert answer.status == Status.IN_REVIEW
    assert list(answer.sources.values_list("url", flat=True)) == ["https://example.org/x"]
    assert f"{answer}: submitted to reviewer reviewer." in successes_of(response)


def test_the_editor_sees_the_request_for_changes_at_the_top(client, answer, people):
    put_in_state(answer, Status.CHANGES_REQUESTED, people)
    client.force_login(people["editor"])

    page = client.get(change_url(answer)).content.decode()

    # Under the action bar, before the text.
    top = page.split('class="workflow-notes"', 1)[1].split('class="workspace', 1)[0]
    assert '<p class="change-request"><strong>Changes requested by reviewer</strong>' in top
    assert "Name the agreement." in top


@pytest.mark.parametrize("params", [{}, {"status__exact": "draft"}, {"q": "ICE"}])
def test_the_answer_list_costs_the_same_queries_at_25_and_100_rows(
    client, seeds, people, monkeypatch, params
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from editorial.admin.answers import AnswerAdmin

    client.force_login(people["editor"])
    counts = {}
    for rows in (25, 100):
        monkeypatch.setattr(AnswerAdmin, "list_per_page", rows)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(CHANGELIST, params)
        assert response.status_code == 200
        counts[rows] = len(queries)
    assert counts[25] == counts[100] <= 12, counts


def test_the_document_filter_lists_only_the_chosen_document(client, seeds, people):
    client.force_login(people["managing"])
    document = seeds[0]

    page = client.get(CHANGELIST, {"document__id__exact": document.pk})

    assert page.context["cl"].result_count == 20
    html = page.content.decode()
    assert f"?document__id__exact={document.pk}" in html
    assert f"?document__id__exact={seeds[1].pk}" not in html
    assert client.get(CHANGELIST).context["cl"].result_count == 40


def test_a_comment_typed_before_a_plain_save_is_the_saves_comment(client, answer, people):
    """The workflow panel's comment box says it is kept in the log: a plain save keeps it.
    With a step, the comment is the step's and the save keeps the admin's fixed note."""
    editor = people["editor"]
    workflow.claim(answer, editor)
    client.force_login(editor)
    data = change_form_data(answer, text="No hedge any more.", new_sources=[a_source()])
    data["comment"] = "Removed the knowledge-cutoff hedge."
    assert client.post(change_url(answer), data).status_code == 302
    edit = answer.events.filter(action="edit").latest("id")
    assert edit.comment == "Removed the knowledge-cutoff hedge."

    data = change_form_data(answer, text="No hedge, and sourced.")
    data.update(step="submit", comment="Ready.", reviewer=people["reviewer"].pk)
    del data["_save"]
    client.post(change_url(answer), data)
    edit, submit = answer.events.filter(action__in=["edit", "submit"]).order_by("-id")[:2][::-1]
    assert (edit.action, edit.comment) == ("edit", workflow.ADMIN_EDIT_COMMENT)
    assert (submit.action, submit.comment) == ("submit", "Ready.")
