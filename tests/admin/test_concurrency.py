"""Concurrent and stale writes, over real HTTP through the admin: nothing typed is lost,
nothing stored is overwritten unseen, no workflow step is undone, and a reviewer's
decision applies to exactly the version the reviewer saw.

The PostgreSQL tests run real threads, each with its own connection and test client,
against the row locks; SQLite serialises writers and runs the same checks one at a time.
"""

from __future__ import annotations

import functools
import re
import threading
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils.html import escape
from reversion.models import Version

from editorial import workflow
from editorial.models import Answer, ApprovedVersion, Status, WorkflowEvent
from tests.admin.conftest import MergeForm
from tests.conftest import (
    a_source,
    change_form_data,
    change_url,
    put_in_state,
    snapshot,
    workflow_url,
)

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real row locks across threads need PostgreSQL"
)
LOADED = re.compile(r'name="loaded_version" value="(\d+)"')
LOADED_STATUS = re.compile(r'name="loaded_status" value="([a-z_]+)"')


class Page(int):
    """The version a loaded page carries (an int), and the state it showed."""

    status: str


def page_of(html: str) -> Page:
    page = Page(LOADED.search(html).group(1))
    page.status = LOADED_STATUS.search(html).group(1)
    return page


def open_page(client: Client, answer: Answer) -> Page:
    """Load the change page as a browser tab does; the version and state it carries."""
    response = client.get(change_url(answer))
    assert response.status_code == 200
    return page_of(response.content.decode())


def tab(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def save(client: Client, answer: Answer, loaded: Page, **fields):
    data = change_form_data(answer, **fields)
    data.update(loaded_version=str(loaded), loaded_status=loaded.status)
    return client.post(change_url(answer), data)


def step(client: Client, answer: Answer, name: str, loaded: int, **data):
    payload = {"step": name, "comment": "", "reviewer": "", "editor": "", **data}
    payload["loaded_version"] = str(loaded)
    return client.post(workflow_url(answer), payload)


# --- two tabs ------------------------------------------------------------------------------


def test_the_second_of_two_tabs_cannot_overwrite_the_first(answer, people):
    editor = people["editor"]
    put_in_state(answer, Status.DRAFT, people)
    first, second = tab(editor), tab(editor)
    loaded_first, loaded_second = open_page(first, answer), open_page(second, answer)
    assert loaded_first == loaded_second

    landed = save(first, answer, loaded_first, text="First tab: the Registry shares data.")
    assert landed.status_code == 302
    before = snapshot(answer)
    typed = "Second tab: the Registry never shares data."
    refused = save(second, answer, loaded_second, text=typed)

    assert refused.status_code == 200  # the merge page, inside the admin
    assert snapshot(answer) == before
    assert Answer.objects.get(pk=answer.pk).text == "First tab: the Registry shares data."
    html = refused.content.decode()
    assert f"{escape(typed)}</textarea>" in html  # the typing is kept
    assert "Changed by you, in another tab or window, while you had this page open" in html
    # Both tabs rewrote the one sentence: the second chooses, yours or theirs.
    form = MergeForm(html)
    assert form.radios == {"text-1": ["yours", "theirs"]} and form.checked == {}
    passage = html.split('id="passage-text-1"', 1)[1].split("</fieldset>")[0]
    assert escape(typed) in passage and "First tab: the Registry shares data." in passage
    # Saving again without a choice overwrites nothing; only the choice does.
    assert form.post(second).status_code == 200
    assert snapshot(answer) == before
    assert form.post(second, **{"text-1": "yours"}).status_code == 302
    row = Answer.objects.get(pk=answer.pk)
    assert row.text == typed
    assert row.events.order_by("-id").first().comment == (
        f"Merged version {loaded_first + 1} (stored) with the edit made from version "
        f"{loaded_second}"
    )


def test_a_stale_save_of_the_sources_alone_is_merged_with_the_stored_text(answer, people):
    editor = people["editor"]
    put_in_state(answer, Status.DRAFT, people)
    first, second = tab(editor), tab(editor)
    loaded = open_page(first, answer)
    open_page(second, answer)
    stale_data = change_form_data(answer, new_sources=[a_source(title="Second tab source")])
    assert save(first, answer, loaded, text="First tab text.").status_code == 302
    before = snapshot(answer)

    stale_data.update(loaded_version=str(loaded), loaded_status=loaded.status)
    shown = second.post(change_url(answer), stale_data)

    assert shown.status_code == 200
    assert snapshot(answer) == before  # nothing saved until confirmed
    merged = shown.content.decode().split('aria-label="The merged text"', 1)[1]
    # The typed source is kept, shown as added.
    assert re.search(r"<ins>[^<]*<span[^>]*>[^<]*</span>\s*Second tab source", merged)
    assert MergeForm(shown.content.decode()).post(second).status_code == 302
    row = Answer.objects.get(pk=answer.pk)
    assert row.text == "First tab text."
    assert list(row.sources.values_list("title", flat=True)) == ["T", "Second tab source"]


def test_a_page_without_its_version_saves_nothing(answer, people):
    put_in_state(answer, Status.DRAFT, people)
    client = tab(people["editor"])
    before = snapshot(answer)
    data = change_form_data(answer, text="No version carried.")
    del data["loaded_version"]

    response = client.post(change_url(answer), data)

    assert response.status_code == 200
    assert "did not say which version" in response.content.decode()
    assert snapshot(answer) == before


def test_a_save_from_before_an_approval_does_not_silently_reopen_it(answer, people):
    editor, reviewer = people["editor"], people["reviewer"]
    put_in_state(answer, Status.DRAFT, people)
    old_tab = tab(editor)
    loaded = open_page(old_tab, answer)  # a draft, when the page was opened
    workflow.submit(answer, editor, reviewer=reviewer)
    workflow.approve(answer, reviewer)
    before = snapshot(answer)

    refused = save(old_tab, answer, loaded, text="Typed on the draft page.")

    assert refused.status_code == 200
    assert snapshot(answer) == before  # still approved, nothing written
    html = refused.content.decode()
    assert "The answer became approved while you had this page open" in html
    assert "Typed on the draft page.</textarea>" in html
    # The page now shows the approved state; saving again is a deliberate edit.
    again = save(old_tab, answer, page_of(html), text="Typed on the draft page.")
    assert again.status_code == 302
    answer.refresh_from_db()
    assert (answer.status, answer.text) == (Status.DRAFT, "Typed on the draft page.")
    assert answer.approved.version == before["row"]["version"]


# --- a step from a stale page ---------------------------------------------------------------


@pytest.mark.parametrize("decision", ["approve", "request_changes"])
def test_a_stale_decision_is_refused_and_the_pin_is_what_the_reviewer_saw(answer, people, decision):
    editor, reviewer = people["editor"], people["reviewer"]
    put_in_state(answer, Status.IN_REVIEW, people)
    reviewer_tab = tab(reviewer)
    seen = open_page(reviewer_tab, answer)
    # Meanwhile the editor withdraws, rewrites and resubmits.
    workflow.withdraw(answer, editor)
    workflow.edit(answer, user=editor, text="Rewritten after the reviewer opened it.")
    workflow.submit(answer, editor, reviewer=reviewer)
    before = snapshot(answer)

    refused = step(reviewer_tab, answer, decision, seen, comment="Looks fine to me.")

    assert refused.status_code == 200
    assert snapshot(answer) == before
    assert not ApprovedVersion.objects.current().filter(answer=answer).exists()
    html = refused.content.decode()
    assert "Someone else saved this answer" in html
    assert "Looks fine to me.</textarea>" in html  # the reviewer's comment is kept
    assert "<ins>" in html and "Rewritten" in html  # and the rewrite is shown

    # Having now seen the rewrite, the reviewer decides on it.
    now_seen = page_of(html)
    decided = step(reviewer_tab, answer, decision, now_seen, comment="Seen the rewrite.")
    assert decided.status_code == 302
    answer.refresh_from_db()
    if decision == "approve":
        assert answer.approved.text == "Rewritten after the reviewer opened it."
        assert answer.approved.version == now_seen


def test_a_stale_approve_through_the_api_pins_nothing(answer, people):
    editor, reviewer = people["editor"], people["reviewer"]
    put_in_state(answer, Status.IN_REVIEW, people)
    seen_version, seen_text = answer.version, answer.text
    workflow.withdraw(answer, editor)
    workflow.edit(answer, user=editor, text="Changed while the reviewer read.")
    workflow.submit(answer, editor)

    with pytest.raises(workflow.StaleVersionError):
        workflow.approve(answer, reviewer, expected_version=seen_version)
    assert not ApprovedVersion.objects.current().filter(answer=answer).exists()

    answer.refresh_from_db()
    workflow.approve(answer, reviewer, expected_version=answer.version)
    pinned = ApprovedVersion.objects.current().get(answer=answer)
    assert (pinned.text, pinned.version) == ("Changed while the reviewer read.", seen_version + 1)
    assert pinned.text != seen_text


def test_a_step_button_saves_the_typing_first_and_acts_on_that_version(answer, people):
    editor = people["editor"]
    put_in_state(answer, Status.DRAFT, people)
    client = tab(editor)
    loaded = open_page(client, answer)
    data = change_form_data(answer, text="Typed, not saved, then Submit pressed.")
    data.update(loaded_version=str(loaded), loaded_status=loaded.status, step="submit")
    del data["_save"]

    response = client.post(change_url(answer), data)

    assert response.status_code == 302
    answer.refresh_from_db()
    assert (answer.status, answer.text) == (
        Status.IN_REVIEW,
        "Typed, not saved, then Submit pressed.",
    )
    assert answer.version == loaded + 1
    submit = answer.events.filter(action=WorkflowEvent.Action.SUBMIT).get()
    answer_version = submit.revision.version_set.get(
        object_id=str(answer.pk), content_type__model="answer"
    )
    assert answer_version.field_dict["text"] == ("Typed, not saved, then Submit pressed.")


def test_a_step_button_on_a_stale_page_takes_no_step_and_keeps_the_typing(answer, people):
    editor = people["editor"]
    put_in_state(answer, Status.DRAFT, people)
    stale_tab, other_tab = tab(editor), tab(editor)
    loaded = open_page(stale_tab, answer)
    assert (
        save(other_tab, answer, open_page(other_tab, answer), text="Other tab.").status_code == 302
    )
    before = snapshot(answer)
    data = change_form_data(answer, text="My typing, on a stale page.")
    data.update(loaded_version=str(loaded), loaded_status=loaded.status, step="submit")

    response = stale_tab.post(change_url(answer), data)

    assert response.status_code == 200
    assert snapshot(answer) == before
    html = response.content.decode()
    assert "My typing, on a stale page.</textarea>" in html
    assert "“Submit for review” was not done" in html


def test_a_step_refused_after_the_answer_left_draft_keeps_the_typing(answer, people):
    editor = people["editor"]
    put_in_state(answer, Status.DRAFT, people)
    client = tab(editor)
    loaded = open_page(client, answer)
    workflow.submit(answer, editor)  # from another tab
    before = snapshot(answer)
    data = change_form_data(answer, text="Typed on the draft page, then Submit.")
    data.update(loaded_version=str(loaded), loaded_status=loaded.status, step="submit")

    response = client.post(change_url(answer), data)

    assert response.status_code == 200
    assert snapshot(answer) == before
    html = response.content.decode()
    assert "“Submit for review” is not possible while the answer is in review." in html
    assert ">Typed on the draft page, then Submit.</textarea>" in html  # to copy


def test_a_refused_save_keeps_the_typing_inside_the_admin(answer, people):
    editor = people["editor"]
    put_in_state(answer, Status.DRAFT, people)
    client = tab(editor)
    loaded = open_page(client, answer)
    workflow.submit(answer, editor)  # from another tab: now read-only
    before = snapshot(answer)

    response = save(client, answer, loaded, text="<b>Typed</b> while it went to review.")

    assert response.status_code == 200
    assert snapshot(answer) == before
    html = response.content.decode()
    assert "The answer is in review and read-only" in html
    assert escape("<b>Typed</b> while it went to review.") in html
    assert "<b>Typed</b>" not in html


# --- PostgreSQL, real threads --------------------------------------------------------------


def run_together(*jobs):
    """Start every job at once on its own thread and connection; their results in order."""
    start = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index, job):
        try:
            start.wait()
            results[index] = job()
        except Exception as error:  # noqa: BLE001 - reported by the asserting test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@on_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_25_concurrent_saves_of_one_answer_lose_nothing(seeds, people, capsys):
    answer = Answer.objects.get(document__subject="Massachusetts", position=2)
    put_in_state(answer, Status.DRAFT, people)
    editor = people["editor"]
    start_version = Answer.objects.get(pk=answer.pk).version
    start_versions = Version.objects.get_for_object(answer).count()
    start_edits = answer.events.filter(action=WorkflowEvent.Action.EDIT).count()
    writers = [tab(editor) for _ in range(25)]

    def writer(index):
        def job():
            loaded = open_page(writers[index], answer)
            return save(writers[index], answer, loaded, text=f"Text from writer {index}.")

        return job

    responses = run_together(*(writer(i) for i in range(25)))

    assert all(not isinstance(r, Exception) for r in responses), responses
    landed = [i for i, r in enumerate(responses) if r.status_code == 302]
    refused = [i for i, r in enumerate(responses) if r.status_code == 200]
    assert len(landed) + len(refused) == 25
    for index in refused:
        assert f"Text from writer {index}.</textarea>" in responses[index].content.decode()
    row = Answer.objects.get(pk=answer.pk)
    new_versions = Version.objects.get_for_object(answer).count() - start_versions
    assert row.version - start_version == len(landed) == new_versions
    newest = Version.objects.get_for_object(answer).first()
    assert newest.field_dict["text"] == row.text
    assert row.text in {f"Text from writer {i}." for i in landed}
    edits = answer.events.filter(action=WorkflowEvent.Action.EDIT).count() - start_edits
    with capsys.disabled():
        print(f"\n25 concurrent saves: {len(landed)} landed, {len(refused)} refused; "
              f"version +{row.version - start_version}, {new_versions} new versions, "
              f"{edits} edit events")  # fmt: skip
    assert edits == len(landed)


@on_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_50_saves_racing_archive_or_approve_never_undo_a_step(seeds, people, capsys):
    editor, reviewer, managing = people["editor"], people["reviewer"], people["managing"]
    answer = Answer.objects.get(document__subject="Massachusetts", position=2)
    put_in_state(answer, Status.DRAFT, people)
    tally = {"archive": {"step": 0, "save": 0}, "approve": {"step": 0, "save": 0}}
    for trial in range(50):
        race = "archive" if trial % 2 == 0 else "approve"
        answer.refresh_from_db()
        if answer.status == Status.ARCHIVED:
            workflow.restore(answer, managing)
        workflow.edit(answer, user=editor, text=f"Trial {trial}: the stored text.")
        editor_tab = tab(editor)
        loaded = open_page(editor_tab, answer)  # loaded while still a draft
        if race == "approve":
            workflow.submit(answer, editor, reviewer=reviewer)
        decider = tab(managing if race == "archive" else reviewer)
        decider_loaded = open_page(decider, answer)
        typed = f"Trial {trial}: the editor's racing save."

        saved, stepped = run_together(
            functools.partial(save, editor_tab, answer, loaded, text=typed),
            functools.partial(step, decider, answer, race, decider_loaded, comment="Race."),
        )

        assert not isinstance(saved, Exception), saved
        assert not isinstance(stepped, Exception), stepped
        row = Answer.objects.get(pk=answer.pk)
        last = row.events.order_by("-id").first()
        assert row.status == last.to_status  # the log and the row agree
        landed = {"save": saved.status_code == 302, "step": stepped.status_code == 302}
        assert sum(landed.values()) == 1, (trial, race, saved.status_code, stepped.status_code)
        if landed["step"]:
            # The step landed and stays: a save that came after it was refused.
            assert row.status == (Status.ARCHIVED if race == "archive" else Status.APPROVED)
            assert last.action == race
            assert row.text == f"Trial {trial}: the stored text."
            if race == "approve":
                assert (row.approved.text, row.approved.version) == (row.text, decider_loaded)
            tally[race]["step"] += 1
        else:
            # The save landed first; the step from the older page was refused, not undone.
            assert (row.status, row.text, last.action) == (Status.DRAFT, typed, "edit")
            tally[race]["save"] += 1
        if row.status == Status.APPROVED:
            answer.refresh_from_db()
    with capsys.disabled():
        print(f"\n50 races of a save with a step, landed first: {tally}; 0 steps undone")


# --- SQLite: a large import beside editors ------------------------------------------------

_EDITOR_LOOP = """
import json, os, time
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import OperationalError
from editorial import workflow
from editorial.models import Answer

user = get_user_model().objects.create_user("sqlite-editor")
user.groups.set(Group.objects.filter(name="Editors"))
ids = list(Answer.objects.filter(document__name__startswith="0").values_list("pk", flat=True))
saves, locked, slowest, n = [], 0, 0.0, 0
open(os.environ["EDITOR_READY"], "w").close()
while not os.path.exists(os.environ["IMPORT_DONE"]) or n < 5:
    answer = Answer.objects.get(pk=ids[n % len(ids)])
    text = f"{answer.text} (edit {n})"
    started = time.perf_counter()
    try:
        workflow.edit(answer, user=user, text=text, expected_version=answer.version)
        saves.append((answer.pk, text))
    except OperationalError as error:
        locked += "locked" in str(error)
    slowest = max(slowest, time.perf_counter() - started)
    n += 1
landed = sum(
    Answer.objects.get(pk=pk).text == text for pk, text in dict(saves).items()
)
print(json.dumps({"saves": len(saves), "locked": locked, "slowest": slowest,
                  "landed": landed, "distinct": len(dict(saves))}))
"""


def test_a_large_sqlite_import_never_locks_editors_out(tmp_path):
    """Editors save while 16,000 answers and one 10,000-question file are imported.

    Real processes on one SQLite file: the importer parses and checks outside its
    transactions, so it holds the write lock only to write, within the busy timeout.
    """
    import json
    import os
    import shutil
    import subprocess
    import sys
    import time

    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("about SQLite's single writer; PostgreSQL has row locks")
    from bench.corpus import generate

    root = Path(__file__).resolve().parents[2]  # the project
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "ENV_FILE": os.devnull,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'editorial.sqlite3'}",
        "EDITOR_READY": str(tmp_path / "ready"),
        "IMPORT_DONE": str(tmp_path / "done"),
    }

    def manage(*args: str, **kwargs) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "manage.py", *args], cwd=root, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs,
        )  # fmt: skip

    for step in (("migrate",), ("import_answers", str(root / "fixtures"))):
        assert manage(*step).wait(timeout=300) == 0
    corpus = tmp_path / "corpus"
    generate(800, corpus)  # 16,000 answers
    (corpus / "zz_long.txt").write_text(
        "".join(f"{n}. Question {n} of the long file?\nAnswer {n}.\n" for n in range(1, 10_001))
    )
    editors = manage("shell", "-c", _EDITOR_LOOP)
    while not (tmp_path / "ready").exists():
        assert editors.poll() is None, editors.stderr.read()
        time.sleep(0.1)
    importer = manage("import_answers", str(corpus))
    import_out, import_err = importer.communicate(timeout=900)
    (tmp_path / "done").touch()
    editor_out, editor_err = editors.communicate(timeout=300)
    shutil.rmtree(corpus)

    assert importer.returncode == 0, import_err
    assert "26000 created" in import_out, import_out
    figures = json.loads(editor_out.strip().splitlines()[-1])
    print("SQLite import beside an editor:", figures)
    assert figures["locked"] == 0, editor_err
    assert figures["saves"] >= 5
    assert figures["landed"] == figures["distinct"]  # every save's text is stored
