"""Merges instead of refusals, over HTTP through the admin with plain form posts (no
JavaScript): a save from a stale page is merged with what is stored and confirmed; passages
both sides changed need a choice each; a confirm after yet another save is refused and merged
again; a waiting re-import is resolved the same way. Nothing is overwritten without a choice
and the typing is never lost.
"""

from __future__ import annotations

import functools
import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from reversion.models import Version

from editorial import workflow
from editorial.diffs import THEIRS, YOURS, merge_texts
from editorial.importers import import_file
from editorial.models import Answer, ClaimEvidence, Status, WorkflowEvent
from tests.admin.conftest import MergeForm
from tests.admin.test_concurrency import run_together
from tests.conftest import (
    FIXTURES,
    a_source,
    change_form_data,
    change_url,
    errors_of,
    messages_of,
    put_in_state,
    snapshot,
    successes_of,
    workflow_url,
)
from tests.diffs.conftest import FIRST, FOURTH, THIRD, edited, library_merge

pytestmark = pytest.mark.django_db
LOADED = re.compile(r'name="loaded_version" value="(\d+)"')
MASSACHUSETTS = FIXTURES / "000_45b9d17f8c940ceb.txt"


def tab(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def open_page(client: Client, answer: Answer) -> int:
    response = client.get(change_url(answer))
    assert response.status_code == 200
    return int(LOADED.search(response.content.decode()).group(1))


def save(client: Client, answer: Answer, loaded: int, **fields):
    """Save the change form as a page of version `loaded` posts it."""
    data = change_form_data(answer, **fields)
    data.update(loaded_version=str(loaded))
    return client.post(change_url(answer), data)


def left_behind(answer: Answer, editor) -> tuple[Client, int, str]:
    """A second tab opened on the answer, then left behind by a save from a first tab (its
    first sentence rewritten): that tab, the version it shows and the text it was opened on."""
    first, second = tab(editor), tab(editor)
    opened = open_page(second, answer)
    base = Answer.objects.get(pk=answer.pk).text
    assert save(first, answer, opened, text=edited(base, FIRST, "every week.")).status_code == 302
    return second, opened, base


def merge_page(response) -> MergeForm:
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="merge_form"' in html, html[:2000]
    return MergeForm(html)


@pytest.fixture
def draft(answer, people) -> Answer:
    """Massachusetts Q2, a draft of `editor`, as a page opened now shows it."""
    return put_in_state(answer, Status.DRAFT, people)


def edit_events(answer: Answer) -> list[WorkflowEvent]:
    return list(answer.events.filter(action=WorkflowEvent.Action.EDIT).order_by("id"))


# --- different passages: merged, confirmed, one version naming both -------------------------


def test_the_merge_page_names_who_saved_meanwhile(draft, people):
    editor, other = people["editor"], people["superuser"]
    mine = tab(editor)
    opened = open_page(mine, draft)
    base = Answer.objects.get(pk=draft.pk).text
    theirs = edited(base, FIRST, "every week.")
    assert save(tab(other), draft, opened, text=theirs).status_code == 302

    shown = save(mine, draft, opened, text=edited(base, FOURTH, "in enforcing the law."))

    merge_page(shown)
    html = shown.content.decode()
    name = workflow.display_name(other)
    heading = f"Changed by {escape(name)} while you had this page open"
    assert f'<h2 id="merge-heading">{heading}</h2>' in html
    assert "someone else" not in html


def test_a_stale_save_of_another_sentence_is_merged_and_saved_once_confirmed(draft, people):
    editor = people["editor"]
    first, second = tab(editor), tab(editor)
    opened = open_page(first, draft)
    assert open_page(second, draft) == opened
    base = Answer.objects.get(pk=draft.pk).text
    theirs = edited(base, FIRST, "every week.")
    yours = edited(base, FOURTH, "in enforcing federal immigration laws.")
    assert save(first, draft, opened, text=theirs).status_code == 302
    before = snapshot(draft)

    shown = save(second, draft, opened, text=yours)

    # Nothing is saved yet: the merge is shown as a word diff against what is stored.
    form = merge_page(shown)
    assert snapshot(draft) == before
    html = shown.content.decode()
    # The same editor saved from another tab: said so, not "someone else".
    assert "Changed by you, in another tab or window, while you had this page open" in html
    assert f"You typed on version {opened}; version {opened + 1} is stored now" in html
    assert form.radios == {}  # nothing to choose
    result = html.split('aria-label="The merged text"', 1)[1]
    assert re.search(r"<ins>.*federal.*</ins>", result)
    assert "every week" in result and "<del>" not in result.split("<h3>Question")[0]
    assert f"{escape(yours)}</textarea>" in html  # the typing, kept

    saved = form.post(second)

    assert saved.status_code == 302
    row = Answer.objects.get(pk=draft.pk)
    merged = merge_texts(base, theirs, yours).text
    assert row.text == merged == library_merge(base, theirs, yours)
    assert "every week." in row.text and "federal immigration laws." in row.text
    assert row.version == opened + 2
    comment = f"Merged version {opened + 1} (stored) with the edit made from version {opened}"
    new_events = [e for e in edit_events(draft) if e.id not in before["events"]]
    assert [(e.comment, e.actor) for e in new_events] == [(comment, editor)]
    newest = Version.objects.get_for_object(draft).select_related("revision").first()
    assert newest.revision.get_comment() == comment
    assert newest.field_dict["text"] == merged
    assert Version.objects.get_for_object(draft).count() == before["versions"] + 1


def test_the_merge_confirm_from_a_stale_base_is_refused_and_merged_again(draft, people):
    editor = people["editor"]
    second, opened, base = left_behind(draft, editor)
    form = merge_page(save(second, draft, opened, text=edited(base, FOURTH, "in federal law.")))
    # While the merge page is open, a third save lands.
    third = Answer.objects.get(pk=draft.pk)
    workflow.edit(
        third, user=editor, text=edited(third.text, THIRD, "The Registry sends information")
    )
    before = snapshot(draft)

    again = form.post(second)

    assert snapshot(draft) == before  # refused: nothing written
    form_again = merge_page(again)
    assert form_again.fields["stored_version"] == str(opened + 2)
    assert any("it changed again while you were merging" in m for _, m in messages_of(again))
    saved = form_again.post(second)
    assert saved.status_code == 302
    row = Answer.objects.get(pk=draft.pk)
    assert all(part in row.text for part in ("every week.", "in federal law.", "Registry sends"))
    assert edit_events(draft)[-1].comment == (
        f"Merged version {opened + 2} (stored) with the edit made from version {opened}"
    )


# --- overlapping edits: a choice each ---------------------------------------------------------


def overlap(draft, people):
    """Two tabs changed the first sentence, each differently; yours also changed the fourth."""
    editor = people["editor"]
    first, second = tab(editor), tab(editor)
    opened = open_page(second, draft)
    base = Answer.objects.get(pk=draft.pk).text
    theirs = edited(base, FIRST, "every week.")
    yours = edited(base, FIRST, "on request only.")
    assert save(first, draft, opened, text=theirs).status_code == 302
    return second, opened, base, theirs, yours


def test_overlapping_edits_need_a_choice_per_passage_and_apply_it(draft, people):
    second, opened, base, theirs, yours = overlap(draft, people)
    before = snapshot(draft)

    shown = save(second, draft, opened, text=yours)

    form = merge_page(shown)
    assert form.radios == {"text-1": [YOURS, THEIRS]}
    assert form.checked == {}  # nothing chosen for the person
    html = shown.content.decode()
    assert "on request only." in html and "every week." in html
    # Saving without choosing writes nothing and says why.
    refused = form.post(second)
    assert snapshot(draft) == before
    assert "1 passage changed on both sides needs a choice" in " ".join(errors_of(refused))
    assert "merge-missing" in refused.content.decode()

    saved = merge_page(refused).post(second, **{"text-1": YOURS})

    assert saved.status_code == 302
    assert Answer.objects.get(pk=draft.pk).text == yours
    assert edit_events(draft)[-1].comment.startswith(f"Merged version {opened + 1} (stored)")


def test_choosing_the_stored_text_everywhere_saves_nothing(draft, people):
    second, opened, base, theirs, yours = overlap(draft, people)
    form = merge_page(save(second, draft, opened, text=yours))
    before = snapshot(draft)

    done = form.post(second, **{"text-1": THEIRS})

    assert done.status_code == 302
    assert snapshot(draft) == before


def test_the_preview_shows_the_choices_without_saving(draft, people):
    second, opened, base, theirs, yours = overlap(draft, people)
    form = merge_page(save(second, draft, opened, text=yours))
    before = snapshot(draft)

    preview = form.post(second, "preview", **{"text-1": YOURS})

    assert snapshot(draft) == before
    again = merge_page(preview)
    assert again.checked == {"text-1": YOURS}
    result = preview.content.decode().split('aria-label="The merged text"', 1)[1]
    assert re.search(r"<ins>.*request only.*</ins>", result)


def test_overlapping_choices_mix_with_what_merged(draft, people):
    editor = people["editor"]
    first, second = tab(editor), tab(editor)
    base = Answer.objects.get(pk=draft.pk).text + " It began in 2019. Nothing else is known."
    workflow.edit(Answer.objects.get(pk=draft.pk), user=editor, text=base)
    opened = open_page(second, draft)
    theirs = edited(edited(base, FIRST, "every week."), THIRD, "The Registry sends information")
    yours = edited(
        edited(edited(base, FIRST, "on request."), THIRD, "The RMV gives information"),
        "Nothing else is known.",
        "Nothing more is known.",
    )
    assert save(first, draft, opened, text=theirs).status_code == 302

    form = merge_page(save(second, draft, opened, text=yours))
    assert set(form.radios) == {"text-1", "text-2"}
    assert form.post(second, **{"text-1": YOURS, "text-2": THEIRS}).status_code == 302

    assert Answer.objects.get(pk=draft.pk).text == merge_texts(base, theirs, yours).resolve(
        [YOURS, THEIRS]
    )


# --- the question and the sources -------------------------------------------------------------


def test_a_stale_save_of_the_sources_keeps_them_and_the_claims_linked_to_them(draft, people):
    editor = people["editor"]
    first, second = tab(editor), tab(editor)
    kept = draft.sources.get()
    # Evidence linked to the source (made directly: only the link matters here).
    ClaimEvidence.objects.create(
        answer=draft, claim_key="x", claim_text="X", kind=ClaimEvidence.Kind.SOURCE,
        source=kept, excerpt="An excerpt.", settled_at=timezone.now(),
    )  # fmt: skip
    opened = open_page(second, draft)
    stale_data = change_form_data(draft, new_sources=[a_source(title="Second tab source")])
    base = Answer.objects.get(pk=draft.pk).text
    assert save(first, draft, opened, text=edited(base, FIRST, "every week.")).status_code == 302

    stale_data.update(loaded_version=str(opened))
    form = merge_page(second.post(change_url(draft), stale_data))
    assert form.radios == {}
    assert form.post(second).status_code == 302

    row = Answer.objects.get(pk=draft.pk)
    assert "every week." in row.text
    assert list(row.sources.values_list("title", flat=True)) == ["T", "Second tab source"]
    assert row.sources.first().pk == kept.pk  # the same row: its claims stay linked
    assert ClaimEvidence.objects.filter(answer=row, source=kept).exists()


def test_sources_both_sides_changed_are_chosen_as_a_list(draft, people):
    editor = people["editor"]
    second = tab(editor)
    opened = open_page(second, draft)
    stale_data = change_form_data(draft, new_sources=[a_source(title="Yours")])
    workflow.edit(
        Answer.objects.get(pk=draft.pk),
        user=editor,
        sources=[a_source(title="Theirs", url="https://example.org/theirs")],
    )
    before = snapshot(draft)

    stale_data.update(loaded_version=str(opened))
    form = merge_page(second.post(change_url(draft), stale_data))

    assert form.radios == {"sources": [YOURS, THEIRS]}
    refused = form.post(second)
    assert snapshot(draft) == before
    assert errors_of(refused)
    assert merge_page(refused).post(second, sources=YOURS).status_code == 302
    row = Answer.objects.get(pk=draft.pk)
    assert list(row.sources.values_list("title", flat=True)) == ["T", "Yours"]


def test_the_question_merges_like_the_text(draft, people):
    editor = people["editor"]
    first, second = tab(editor), tab(editor)
    opened = open_page(second, draft)
    base = Answer.objects.get(pk=draft.pk)
    assert save(first, draft, opened, question="How often? Weekly.").status_code == 302

    form = merge_page(save(second, draft, opened, question="How often? Daily."))

    assert form.radios == {"question-1": [YOURS, THEIRS]}
    assert form.post(second, **{"question-1": YOURS}).status_code == 302
    row = Answer.objects.get(pk=draft.pk)
    assert (row.question, row.text) == ("How often? Daily.", base.text)


# --- what is not merged, and who may -----------------------------------------------------------


def test_a_stale_page_with_nothing_typed_has_nothing_to_merge(draft, people):
    editor = people["editor"]
    second, opened, base = left_behind(draft, editor)
    before = snapshot(draft)

    response = second.post(change_url(draft), {**change_form_data(draft), "text": base,
                                                "loaded_version": str(opened)})  # fmt: skip

    assert response.status_code == 200
    assert snapshot(draft) == before
    html = response.content.decode()
    assert "Your page had no changes of its own, so there is nothing to merge" in html
    assert 'id="merge_form"' not in html


def test_a_stale_save_with_errors_shows_them_first_and_merges_once_they_are_fixed(draft, people):
    editor = people["editor"]
    second, opened, base = left_behind(draft, editor)
    typed = edited(base, FOURTH, "in federal law.")
    before = snapshot(draft)

    shown = save(second, draft, opened, text=typed, question="")

    assert shown.status_code == 200
    assert snapshot(draft) == before
    html = shown.content.decode()
    assert "This field is required." in html and f"{escape(typed)}</textarea>" in html
    # The page keeps the version it was opened on: its next save is merged, not applied.
    assert int(LOADED.search(html).group(1)) == opened
    form = merge_page(save(second, draft, opened, text=typed))
    assert form.post(second).status_code == 302
    assert Answer.objects.get(pk=draft.pk).text == edited(
        edited(base, FIRST, "every week."), FOURTH, "in federal law."
    )


def test_a_step_button_on_a_stale_page_shows_the_merge_and_takes_no_step(draft, people):
    editor = people["editor"]
    second, opened, base = left_behind(draft, editor)
    before = snapshot(draft)
    data = change_form_data(draft, text=edited(base, FOURTH, "in federal law."))
    data.update(loaded_version=str(opened), step="submit", comment="Ready.")

    response = second.post(workflow_url(draft), data)

    assert snapshot(draft) == before
    assert "“Submit for review” was not done" in " ".join(errors_of(response))
    form = merge_page(response)
    assert form.fields["comment"] == "Ready."  # the comment typed is kept too


def test_a_merge_that_can_no_longer_be_saved_keeps_the_typing(draft, people):
    editor = people["editor"]
    second, opened, base = left_behind(draft, editor)
    typed = edited(base, FOURTH, "in federal law.")
    form = merge_page(save(second, draft, opened, text=typed))
    workflow.submit(Answer.objects.get(pk=draft.pk), editor)  # now read-only
    before = snapshot(draft)

    response = form.post(second)

    assert response.status_code == 200
    assert snapshot(draft) == before
    assert "read-only" in " ".join(errors_of(response))
    assert f">{escape(typed)}</textarea>" in response.content.decode()


@pytest.mark.parametrize(
    ("who", "status", "why"),
    [
        ("reviewer", 200, "Only editors can change questions, answers and sources."),
        ("editor2", 200, "editor is the editor of this answer; ask a managing editor"),
        ("outsider", 403, None),
    ],
)
def test_only_the_answers_editor_may_merge(draft, people, who, status, why):
    editor = people["editor"]
    second, opened, base = left_behind(draft, editor)
    form = merge_page(save(second, draft, opened, text=edited(base, FOURTH, "in federal law.")))
    before = snapshot(draft)

    response = form.post(tab(people[who]))

    assert response.status_code == status
    assert snapshot(draft) == before
    if why:
        assert why in " ".join(errors_of(response))


# --- a re-import conflict -----------------------------------------------------------------------


def reimport(tmp_path, answer: Answer, new_text: str) -> None:
    """The seed file imported again with this answer's text changed."""
    original = MASSACHUSETTS.read_text(encoding="utf-8")
    assert original.count(answer.imported_text) == 1
    folder = tmp_path / "again"
    folder.mkdir()
    (folder / MASSACHUSETTS.name).write_text(original.replace(answer.imported_text, new_text))
    result = import_file(folder / MASSACHUSETTS.name)
    assert result.conflicting == 1, result


@pytest.fixture
def conflict(draft, people, tmp_path) -> tuple[Answer, str, str]:
    """Q2 edited by its editor (fourth sentence), then re-imported with its first changed."""
    imported = draft.imported_text
    workflow.edit(draft, user=people["editor"], text=edited(draft.text, FOURTH, "in federal law."))
    incoming = edited(imported, "on a daily basis.", "daily, from county to county.")
    reimport(tmp_path, draft, incoming)
    draft.refresh_from_db()
    assert draft.has_import_conflict
    return draft, imported, incoming


def test_the_change_page_shows_the_reimport_as_a_word_diff_with_the_way_to_merge(conflict, people):
    answer, imported, incoming = conflict
    html = tab(people["editor"]).get(change_url(answer)).content.decode()

    panel = html.split('class="import-conflict"', 1)[1].split("</section>\n</section>")[0]
    assert "Changes from the previous import to the new import of" in panel
    assert re.search(r"<del>.*on a.*</del> daily<del>.*basis.*</del><ins>.*, from county to", panel)
    assert reverse("admin:editorial_answer_merge", args=[answer.pk]) in panel


def test_a_reimport_conflict_resolves_as_one_edit_and_moves_the_baseline(conflict, people):
    answer, imported, incoming = conflict
    editor = people["editor"]
    client = tab(editor)
    before = snapshot(answer)
    page = client.get(reverse("admin:editorial_answer_merge", args=[answer.pk]))
    form = merge_page(page)
    assert form.radios == {}
    assert snapshot(answer) == before  # showing it changes nothing

    saved = form.post(client)

    assert saved.status_code == 302
    row = Answer.objects.get(pk=answer.pk)
    assert row.text == merge_texts(imported, incoming, before["row"]["text"]).text
    assert "from county to county." in row.text and "in federal law." in row.text
    assert (row.imported_text, row.incoming_text, row.incoming_question) == (incoming, None, None)
    assert row.version == before["row"]["version"] + 1
    new = list(row.events.exclude(id__in=before["events"]).order_by("id"))
    assert [e.action for e in new] == [WorkflowEvent.Action.EDIT, WorkflowEvent.Action.MERGE]
    assert new[0].comment == (
        f"Merged the new import of {row.document.label} with the edited version "
        f"{before['row']['version']}"
    )
    assert successes_of(client.get(change_url(row))) == [
        f"{row}: merged, saved as version {row.version}."
    ]


def test_a_reimport_overlapping_the_edit_needs_a_choice(draft, people, tmp_path):
    editor = people["editor"]
    workflow.edit(draft, user=editor, text=edited(draft.text, FIRST, "on request only."))
    reimport(tmp_path, draft, edited(draft.imported_text, FIRST, "weekly."))
    client = tab(editor)
    form = merge_page(client.get(reverse("admin:editorial_answer_merge", args=[draft.pk])))
    assert form.radios == {"text-1": [YOURS, THEIRS]}
    before = snapshot(draft)

    assert form.post(client).status_code == 200
    assert snapshot(draft) == before
    assert form.post(client, **{"text-1": THEIRS}).status_code == 302

    row = Answer.objects.get(pk=draft.pk)
    assert row.text.endswith(edited(draft.imported_text, FIRST, "weekly.")[-200:])
    assert "(ICE) weekly." in row.text and not row.has_import_conflict


def test_a_reimport_merge_is_refused_when_another_import_came_meanwhile(conflict, people, tmp_path):
    answer, imported, incoming = conflict
    client = tab(people["editor"])
    form = merge_page(client.get(reverse("admin:editorial_answer_merge", args=[answer.pk])))
    newer = edited(imported, "on a daily basis.", "weekly.")
    original = MASSACHUSETTS.read_text(encoding="utf-8")
    folder = tmp_path / "newer"
    folder.mkdir()
    (folder / MASSACHUSETTS.name).write_text(original.replace(imported, newer))
    import_file(folder / MASSACHUSETTS.name)
    before = snapshot(answer)

    again = form.post(client)

    assert snapshot(answer) == before
    assert merge_page(again).fields["incoming"] == workflow.incoming_digest(
        Answer.objects.get(pk=answer.pk)
    )
    assert re.search(r"<ins>.*weekly.*</ins>", again.content.decode())


def test_keeping_the_edited_text_still_marks_the_reimport_merged(draft, people, tmp_path):
    editor = people["editor"]
    workflow.edit(draft, user=editor, text=edited(draft.text, FIRST, "on request only."))
    reimport(tmp_path, draft, edited(draft.imported_text, FIRST, "weekly."))
    client = tab(editor)
    form = merge_page(client.get(reverse("admin:editorial_answer_merge", args=[draft.pk])))
    before = snapshot(draft)

    assert form.post(client, **{"text-1": YOURS}).status_code == 302

    row = Answer.objects.get(pk=draft.pk)
    assert (row.text, row.version) == (before["row"]["text"], before["row"]["version"])
    assert not row.has_import_conflict
    assert row.events.order_by("-id").first().action == WorkflowEvent.Action.MERGE


def test_the_merge_page_without_a_waiting_reimport_is_not_found(draft, people):
    response = tab(people["editor"]).get(reverse("admin:editorial_answer_merge", args=[draft.pk]))
    assert response.status_code == 404


def test_merge_services_refuse_a_stale_base_directly(draft, people):
    editor = people["editor"]
    opened = Answer.objects.get(pk=draft.pk).version
    yours = workflow.stored_content(draft)
    workflow.edit(draft, user=editor, text="Moved on.")
    with pytest.raises(workflow.StaleVersionError):
        workflow.merge_edit(
            draft, user=editor, base_version=opened, yours=yours, choices={},
            expected_version=opened,
        )  # fmt: skip


# --- PostgreSQL: confirms racing ------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real row locks across threads need PostgreSQL"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_merges_confirmed_at_once_land_one_and_merge_the_other_again(seeds, people):
    answer = put_in_state(
        Answer.objects.get(document__subject="Massachusetts", position=2), Status.DRAFT, people
    )
    editor = people["editor"]
    stale, other, third = tab(editor), tab(editor), tab(editor)
    opened = open_page(stale, answer)
    assert open_page(other, answer) == opened
    base = Answer.objects.get(pk=answer.pk).text
    assert (
        save(third, answer, opened, text=edited(base, THIRD, "The RMV gives it")).status_code == 302
    )
    forms = [
        (stale, merge_page(save(stale, answer, opened, text=edited(base, FIRST, "weekly.")))),
        (other, merge_page(save(other, answer, opened, text=edited(base, FOURTH, "in law.")))),
    ]

    responses = run_together(*(functools.partial(form.post, client) for client, form in forms))

    assert [r.status_code for r in responses if not isinstance(r, Exception)] in (
        [302, 200],
        [200, 302],
    ), responses
    row = Answer.objects.get(pk=answer.pk)
    assert row.version == opened + 2  # one merge landed, the other saved nothing
    again = next(r for r in responses if r.status_code == 200)
    assert merge_page(again).fields["stored_version"] == str(opened + 2)
    landed = [e.comment for e in edit_events(answer)][-1]
    assert (
        landed == f"Merged version {opened + 1} (stored) with the edit made from version {opened}"
    )
