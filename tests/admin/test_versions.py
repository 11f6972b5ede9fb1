"""Old versions over real HTTP: shown read-only, reverted through the workflow (an edit), and
holding only their own answer's sources."""

from __future__ import annotations

import re

import pytest
from django.utils.html import escape
from reversion.models import Version

from editorial import workflow
from editorial.importers import import_paths
from editorial.models import (
    Answer,
    Status,
    WorkflowEvent,
)
from tests.admin.conftest import version_with
from tests.conftest import (
    FIXTURES,
    a_source,
    bulk,
    errors_of,
    history_url,
    ma,
    put_in_state,
    revert_form,
    snapshot,
    successes_of,
    version_url,
)


def test_version_page_shows_the_old_content_read_only(client, answer, people):
    put_in_state(answer, Status.APPROVED, people)
    approved_text = answer.text
    workflow.edit(answer, user=people["editor"], text="A newer text.", sources=[])
    old = version_with(answer, status=Status.APPROVED)
    client.force_login(people["editor"])
    history = client.get(history_url(answer))
    assert history.status_code == 200
    assert version_url(answer, old) in history.content.decode()
    before = snapshot(answer)

    page = client.get(version_url(answer, old))

    assert page.status_code == 200
    html = page.content.decode()
    assert escape(approved_text.splitlines()[0]) in html
    assert "A newer text." not in html
    assert "state Approved" in html
    assert "https://example.org/x" in html
    assert not re.search(r'<(textarea|input)[^>]*name="(text|question)"', html)
    assert 'value="Revert to this version"' in html
    assert snapshot(answer) == before


def test_revert_brings_back_content_not_state(client, answer, people):
    editor, reviewer = people["editor"], people["reviewer"]
    put_in_state(answer, Status.APPROVED, people)
    approved_text = answer.text
    workflow.edit(
        answer, user=editor, text="A newer text.", sources=[a_source("https://b.example/")]
    )
    workflow.submit(answer, editor)
    workflow.request_changes(answer, reviewer, comment="Go back to the approved wording.")
    old = version_with(answer, status=Status.APPROVED)
    client.force_login(editor)
    before = snapshot(answer)

    response = client.post(version_url(answer, old), revert_form(answer), follow=True)

    assert successes_of(response) == [f"{answer}: reverted; it is a new version now."]
    answer.refresh_from_db()
    assert answer.text == approved_text
    assert answer.status == Status.CHANGES_REQUESTED  # not the old version's "approved"
    assert (answer.editor, answer.reviewer) == (editor, reviewer)
    assert answer.version == before["row"]["version"] + 1
    assert list(answer.sources.values_list("url", flat=True)) == ["https://example.org/x"]
    assert Version.objects.get_for_object(answer).count() == before["versions"] + 1
    event = answer.events.order_by("-id").first()
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        WorkflowEvent.Action.REVERT,
        editor,
        Status.CHANGES_REQUESTED,
        Status.CHANGES_REQUESTED,
    )
    assert answer.approved.text == approved_text


def test_revert_of_an_approved_answer_returns_it_to_draft(client, answer, people):
    editor = people["editor"]
    workflow.edit(answer, user=editor, sources=[a_source()])
    first = version_with(answer, text=answer.text)
    workflow.edit(answer, user=editor, text="Second wording.")
    workflow.submit(answer, editor, reviewer=people["reviewer"])
    workflow.approve(answer, people["reviewer"])
    client.force_login(editor)

    client.post(version_url(answer, first), revert_form(answer))

    answer.refresh_from_db()
    assert answer.text == first.field_dict["text"]
    assert answer.status == Status.DRAFT
    assert answer.approved.text == "Second wording."


@pytest.mark.parametrize(
    ("role", "message"),
    [
        (
            "editor",
            "The answer is in review and read-only; withdraw it to draft to edit it.",
        ),
        ("reviewer", "Only editors can change questions, answers and sources."),
    ],
)
def test_revert_is_refused_while_in_review(client, answer, people, role, message):
    editor = people["editor"]
    workflow.edit(answer, user=editor, sources=[a_source()])
    old = version_with(answer, text=answer.text)
    workflow.edit(answer, user=editor, text="Second wording.")
    workflow.submit(answer, editor, reviewer=people["reviewer"])
    client.force_login(people[role])
    before = snapshot(answer)

    page = client.get(version_url(answer, old))
    assert page.status_code == 200
    assert "Revert to this version" not in page.content.decode()
    response = client.post(version_url(answer, old), revert_form(answer), follow=True)

    assert errors_of(response) == [message]
    assert snapshot(answer) == before


def test_outsider_cannot_see_or_revert_a_version(client, answer, people):
    workflow.edit(answer, user=people["editor"], text="Second wording.")
    old = Version.objects.get_for_object(answer).order_by("pk").first()
    client.force_login(people["outsider"])
    before = snapshot(answer)

    assert client.get(version_url(answer, old)).status_code == 403
    assert client.post(version_url(answer, old), revert_form(answer)).status_code == 403
    assert snapshot(answer) == before


def test_version_from_a_bulk_action_holds_only_this_answers_sources(client, seeds, people):
    # Bulk actions make one revision per answer, so its version carries only its sources.
    editor, managing = people["editor"], people["managing"]
    mine, other = ma(2), ma(3)
    workflow.edit(mine, user=editor, sources=[a_source("https://mine.example/")])
    workflow.edit(other, user=editor, sources=[a_source("https://other.example/")])
    client.force_login(managing)
    bulk(client, "archive_selected", [mine, other])
    bulk(client, "restore_selected", [mine, other])
    assert set(
        Answer.objects.filter(pk__in=[mine.pk, other.pk]).values_list("status", flat=True)
    ) == {Status.DRAFT}
    workflow.edit(mine, user=editor, sources=[a_source("https://newer.example/")])
    archived = version_with(mine, status=Status.ARCHIVED)
    client.force_login(editor)

    page = client.get(version_url(mine, archived)).content.decode()
    client.post(version_url(mine, archived), revert_form(mine))

    assert "https://mine.example/" in page
    assert "https://other.example/" not in page
    assert list(mine.sources.values_list("url", flat=True)) == ["https://mine.example/"]
    assert list(other.sources.values_list("url", flat=True)) == ["https://other.example/"]


def test_revert_to_a_reimport_version_touches_only_this_answer(client, seeds, people, tmp_path):
    editor = people["editor"]
    mine, other = ma(2), ma(3)
    workflow.edit(mine, user=editor, sources=[a_source("https://mine.example/")])
    workflow.edit(other, user=editor, sources=[a_source("https://other.example/")])
    # The machine text of both changes upstream: both edited answers get a conflict,
    # recorded in one revision of the re-import.
    seed = seeds[0].name
    text = (FIXTURES / seed).read_text(encoding="utf-8")
    changed = text.replace(mine.imported_text, mine.imported_text + " Updated.").replace(
        other.imported_text, other.imported_text + " Updated."
    )
    assert changed != text
    (tmp_path / seed).write_text(changed, encoding="utf-8")
    assert import_paths([tmp_path / seed]).total("conflicting") == 2
    reimported = Version.objects.get_for_object(mine).order_by("-pk").first()
    assert reimported.revision.version_set.filter(object_id=str(other.pk)).exists()
    workflow.edit(mine, user=editor, sources=[a_source("https://newer.example/")])
    other_before = snapshot(other)
    client.force_login(editor)

    page = client.get(version_url(mine, reimported)).content.decode()
    client.post(version_url(mine, reimported), revert_form(mine))

    assert "https://mine.example/" in page
    assert "https://other.example/" not in page
    assert list(mine.sources.values_list("url", flat=True)) == ["https://mine.example/"]
    assert snapshot(other) == other_before
