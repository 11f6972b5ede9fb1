"""The answer list's "Assign editor…" and "Balance editors" over real HTTP: a managing
editor's, a page to choose first, people by name, each answer through the workflow."""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.messages import constants as levels

from editorial import workflow
from editorial.models import Answer, Status
from tests.conftest import (
    CHANGELIST,
    action_choices,
    bulk,
    errors_of,
    ma,
    messages_of,
    put_in_state,
    snapshot,
    successes_of,
)

pytestmark = pytest.mark.django_db


def test_assign_editor_asks_whom_then_assigns_each(client, seeds, people):
    editor, editor2, managing = people["editor"], people["editor2"], people["managing"]
    editor2.first_name, editor2.last_name = "Edna", "Second"
    editor2.save()
    first, second, archived = ma(2), ma(3), ma(4)
    workflow.archive(archived, managing)
    client.force_login(managing)
    selected = [first, second, archived]

    page = bulk(client, "assign_editor_selected", selected)
    html = page.content.decode()
    assert page.redirect_chain == []
    assert "<title>Assign an editor |" in html
    assert "Assign an editor for these 3 answers" in html
    assert '<select id="id_editor" name="editor" required>' in html
    assert f'<option value="{editor2.pk}">Edna Second (editor2)</option>' in html
    assert f'<option value="{editor.pk}">editor</option>' in html

    nobody = bulk(client, "assign_editor_selected", selected, confirm="yes")
    assert errors_of(nobody) == ["Choose an editor, or use “Balance editors”."]
    assert not Answer.objects.filter(pk__in=[a.pk for a in selected], editor__isnull=False)

    done = bulk(client, "assign_editor_selected", selected, confirm="yes", editor=editor2.pk)

    assert successes_of(done) == [f"Assign editor: 2 answers done: {first}; {second}."]
    assert errors_of(done) == [
        f"Assign editor refused for {Answer.objects.get(pk=archived.pk)}: "
        "The answer is archived; restore it first."
    ]
    for item in (first, second):
        event = item.events.latest("id")
        assert (event.actor, event.comment) == (managing, "Editor: none → Edna Second")
        assert Answer.objects.get(pk=item.pk).editor == editor2


def test_balance_editors_spreads_the_selection_by_load(client, seeds, people):
    editor, managing = people["editor"], people["managing"]
    workflow.claim(ma(1), editor)
    selected = [ma(position) for position in (2, 3, 4)]
    client.force_login(managing)

    response = bulk(client, "balance_editors", selected)

    assert successes_of(response) == [
        f"Balance editors: 3 answers done: {'; '.join(str(a) for a in selected)}."
    ]
    chosen = Counter(Answer.objects.get(pk=a.pk).editor.username for a in selected)
    assert chosen == {"editor2": 2, "editor": 1}


def test_balance_editors_leaves_out_answers_no_longer_worked_on(client, seeds, people):
    approved, draft = ma(2), ma(3)
    put_in_state(approved, Status.APPROVED, people)
    before = snapshot(approved)
    client.force_login(people["managing"])

    response = bulk(client, "balance_editors", [approved, draft])

    assert successes_of(response) == [f"Balance editors: 1 answer done: {draft}."]
    assert snapshot(approved) == before


def test_a_stale_list_row_is_refused_and_changes_nothing(client, seeds, people):
    answer = ma(2)
    client.force_login(people["managing"])
    payload = {
        "action": "balance_editors",
        "_selected_action": [str(answer.pk)],
        f"loaded_version_{answer.pk}": str(answer.version),
    }
    workflow.edit(answer, user=people["editor"], text=answer.text + " Checked.")
    before = snapshot(answer)

    response = client.post(CHANGELIST, payload, follow=True)

    (error,) = errors_of(response)
    assert error.startswith(f"Balance editors refused for {Answer.objects.get(pk=answer.pk)}: ")
    assert snapshot(answer) == before


@pytest.mark.parametrize("role", ["editor", "reviewer"])
def test_only_managing_editors_are_offered_or_may_post_them(client, seeds, people, role):
    answer = ma(2)
    client.force_login(people[role])
    assert {"assign_editor_selected", "balance_editors"}.isdisjoint(
        action_choices(client.get(CHANGELIST))
    )
    before = snapshot(answer)

    for action in ("assign_editor_selected", "balance_editors"):
        response = bulk(client, action, [answer], confirm="yes", editor=people["editor2"].pk)
        assert (levels.WARNING, "No action selected.") in messages_of(response)
    assert snapshot(answer) == before
