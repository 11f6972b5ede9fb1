"""The admin over HTTP: editing through the change form, who reaches which page, lists."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from reversion.models import Version

from editorial import workflow
from editorial.api import keys
from editorial.importers import import_paths
from editorial.models import (
    Answer,
    ApiKey,
    ApprovedVersion,
    Document,
    ExportRecord,
    Source,
    WorkflowEvent,
)
from tests.conftest import settle_claims

pytestmark = pytest.mark.django_db

MASSACHUSETTS = "000_45b9d17f8c940ceb.txt"

SOURCE = {
    "url": "https://www.mass.gov/orgs/massachusetts-registry-of-motor-vehicles",
    "title": "Registry of Motor Vehicles",
    "publisher": "Commonwealth of Massachusetts",
    "accessed_on": datetime.date(2024, 5, 1),
}


def change_form_data(answer: Answer, **changes) -> dict[str, str]:
    """What the answer change form posts when nothing but `changes` is altered."""
    sources = list(answer.sources.all())
    data = {
        "question": answer.question,
        "text": answer.text,
        "sources-TOTAL_FORMS": str(len(sources)),
        "sources-INITIAL_FORMS": str(len(sources)),
        "sources-MIN_NUM_FORMS": "0",
        "sources-MAX_NUM_FORMS": "1000",
        # The version the page showed when it was loaded.
        "loaded_version": str(Answer.objects.get(pk=answer.pk).version),
        "loaded_status": Answer.objects.get(pk=answer.pk).status,
        "_save": "Save",
    }
    for index, source in enumerate(sources):
        data |= {
            f"sources-{index}-id": str(source.pk),
            f"sources-{index}-answer": str(answer.pk),
            f"sources-{index}-url": source.url,
            f"sources-{index}-title": source.title,
            f"sources-{index}-publisher": source.publisher,
            f"sources-{index}-accessed_on": source.accessed_on.isoformat(),
            f"sources-{index}-excerpt": source.excerpt,
        }
    return data | changes


# --- editing through the change form -------------------------------------------------------


def test_saving_the_change_form_versions_the_edit_with_its_user(client, editor, answer):
    url = f"/admin/editorial/answer/{answer.pk}/change/"
    client.force_login(editor)
    assert client.get(url).status_code == 200
    data = change_form_data(
        answer,
        text="The RMV does not share data with ICE on a daily basis.",
        **{
            "sources-TOTAL_FORMS": "1",
            "sources-0-url": SOURCE["url"],
            "sources-0-title": SOURCE["title"],
            "sources-0-publisher": SOURCE["publisher"],
            "sources-0-accessed_on": "2024-05-01",
            "sources-0-excerpt": "",
        },
    )

    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    answer.refresh_from_db()
    assert answer.text == "The RMV does not share data with ICE on a daily basis."
    assert answer.editor == editor
    assert answer.version == 2
    assert list(answer.sources.values_list("url", flat=True)) == [SOURCE["url"]]
    versions = Version.objects.get_for_object(answer).order_by("pk")
    assert versions.count() == 2
    imported, edited = versions
    assert imported.revision.user is None
    assert edited.revision.user == editor
    assert edited.field_dict["text"] == answer.text
    # The sources are part of the answer's version.
    assert [
        version.field_dict["url"]
        for version in edited.revision.version_set.filter(content_type__model="source")
    ] == [SOURCE["url"]]
    event = answer.events.order_by("-id").first()
    assert (event.action, event.actor, event.revision) == (
        WorkflowEvent.Action.EDIT,
        editor,
        edited.revision,
    )

    history = client.get(f"/admin/editorial/answer/{answer.pk}/history/")

    assert history.status_code == 200
    html = history.content.decode()
    assert f"Imported from {MASSACHUSETTS}" in html
    assert (
        edited.revision.get_comment()
        == "Changed Answer. Added source “Registry of Motor Vehicles”."
    )
    assert edited.revision.get_comment() in html
    rows = [
        (row["version"].pk, row["version"].revision.user) for row in history.context["versions"]
    ]
    assert rows == [(edited.pk, editor), (imported.pk, None)]
    assert "<td>editor</td>" in html
    assert "<td>—</td>" in html


def test_an_unchanged_change_form_adds_no_version(client, editor, answer):
    client.force_login(editor)

    response = client.post(f"/admin/editorial/answer/{answer.pk}/change/", change_form_data(answer))

    assert response.status_code == 302
    assert Version.objects.get_for_object(answer).count() == 1
    assert Answer.objects.get(pk=answer.pk).version == 1


# --- who reaches which page ----------------------------------------------------------------

# Copied from editorial/migrations/0002_groups.py on purpose: the matrix below follows from
# these, and test_groups_hold_exactly_these_permissions notices when either side changes.
GROUP_PERMISSIONS = {
    "Editors": {
        "view_document",
        "view_answer",
        "change_answer",
        "view_source",
        "add_source",
        "change_source",
        "delete_source",
        "view_workflowevent",
    },
    "Reviewers": {
        "view_document",
        "view_answer",
        "review_answer",
        "view_source",
        "view_workflowevent",
    },
    "Managing editors": {
        "view_document",
        "import_documents",
        "view_answer",
        "assign_answer",
        "archive_answer",
        "export_answers",
        "view_source",
        "view_workflowevent",
        "view_approvedversion",
        "view_exportrecord",
        "change_document",  # the title only; migration 0004
        # The read API's keys: made, rescoped and revoked, never deleted; migration 0022.
        "view_apikey",
        "add_apikey",
        "change_apikey",
        "manage_webhooks",  # endpoints, their secrets, redelivery; migration 0023
    },
}

MODELS = [
    "document", "answer", "workflowevent", "approvedversion", "exportrecord", "source", "apikey",
]  # fmt: skip
LOGIN = "login"  # redirected to /admin/login/?next=<the page>

# Status of GET on the changelist and on a change page, per person. Source has no admin of
# its own (sources are edited inline on the answer): 404 for anyone signed in.
EXPECTED = {
    "editor": {
        "document": 200,
        "answer": 200,
        "workflowevent": 200,
        "approvedversion": 403,
        "exportrecord": 403,
        "source": 404,
        "apikey": 403,
    },
    "reviewer": {
        "document": 200,
        "answer": 200,
        "workflowevent": 200,
        "approvedversion": 403,
        "exportrecord": 403,
        "source": 404,
        "apikey": 403,
    },
    "managing": {
        "document": 200,
        "answer": 200,
        "workflowevent": 200,
        "approvedversion": 200,
        "exportrecord": 200,
        "source": 404,
        "apikey": 200,
    },
    "outsider": {
        "document": 403,
        "answer": 403,
        "workflowevent": 403,
        "approvedversion": 403,
        "exportrecord": 403,
        "source": 404,
        "apikey": 403,
    },
    "superuser": {
        "document": 200,
        "answer": 200,
        "workflowevent": 200,
        "approvedversion": 200,
        "exportrecord": 200,
        "source": 404,
        "apikey": 200,
    },
    "anonymous": {model: LOGIN for model in MODELS},
}

WEBHOOK_MODELS = {"WebhookAttempt", "WebhookEndpoint", "WebhookMessage"}

# The models each person sees listed on the admin index.
EXPECTED_INDEX = {
    "editor": {"Answer", "Document", "WorkflowEvent"},
    "reviewer": {"Answer", "Document", "WorkflowEvent"},
    # Jobs: the imports and exports of those who may start them.
    # Webhooks: their endpoints, events and attempts, for those who manage them.
    "managing": {
        "Answer",
        "ApiKey",
        "ApprovedVersion",
        "Document",
        "ExportRecord",
        "Job",
        "WorkflowEvent",
        *WEBHOOK_MODELS,
    },  # fmt: skip
    "outsider": set(),
    "superuser": {
        "Answer",
        "ApiKey",
        "ApprovedVersion",
        "Document",
        "ExportRecord",
        "Job",
        "WorkflowEvent",
        *WEBHOOK_MODELS,
    },  # fmt: skip
}


def test_groups_hold_exactly_these_permissions():
    for name, codenames in GROUP_PERMISSIONS.items():
        group = Group.objects.get(name=name)
        held = {
            (permission.content_type.app_label, permission.codename)
            for permission in group.permissions.select_related("content_type")
        }
        assert held == {("editorial", codename) for codename in codenames}, name


@pytest.fixture
def objects(seeds, editor, reviewer, managing) -> dict[str, object]:
    """One object of each model, the approved version made by the real workflow."""
    answer = Answer.objects.get(document__name=MASSACHUSETTS, position=2)
    workflow.edit(answer, user=editor, sources=[SOURCE], comment="source added")
    settle_claims(answer, editor)
    workflow.submit(answer, editor, reviewer=reviewer)
    workflow.approve(answer, reviewer)
    export = ExportRecord.objects.create(
        created_by=managing,
        format="json",
        filters={},
        answer_count=1,
        sha256="0" * 64,
        channel="command",
    )
    return {
        "document": Document.objects.get(name=MASSACHUSETTS),
        "answer": answer,
        "workflowevent": WorkflowEvent.objects.filter(answer=answer).first(),
        "approvedversion": ApprovedVersion.objects.current().get(answer=answer),
        "exportrecord": export,
        "source": Source.objects.get(answer=answer),
        "apikey": keys.issue(key=ApiKey(name="site", everything=True), created_by=managing)[0],
    }


@pytest.fixture
def person(request, client, django_user_model):
    """The client signed in as the named person (or not at all), and that name."""
    name = request.param
    if name != "anonymous":
        client.force_login(request.getfixturevalue(name))
    return name


PEOPLE = list(EXPECTED)


def _assert_status(response, expected, path: str) -> None:
    if expected == LOGIN:
        assert response.status_code == 302, path
        assert response["Location"] == f"/admin/login/?next={path}", path
    else:
        assert response.status_code == expected, path


@pytest.mark.parametrize("person", PEOPLE, indirect=True)
@pytest.mark.parametrize("model", MODELS)
def test_each_person_reaches_exactly_the_pages_their_group_allows(client, objects, person, model):
    expected = EXPECTED[person][model]
    changelist = f"/admin/editorial/{model}/"
    change = f"/admin/editorial/{model}/{objects[model].pk}/change/"

    _assert_status(client.get(changelist), expected, changelist)
    _assert_status(client.get(change), expected, change)
    if model == "answer":
        history = f"/admin/editorial/answer/{objects[model].pk}/history/"
        _assert_status(client.get(history), expected, history)


@pytest.mark.parametrize("person", [p for p in PEOPLE if p != "anonymous"], indirect=True)
def test_the_admin_index_lists_only_what_the_person_may_see(client, person):
    response = client.get("/admin/")

    assert response.status_code == 200
    listed = {
        model["object_name"]
        for app in response.context["app_list"]
        for model in app["models"]
        if app["app_label"] == "editorial"
    }
    assert listed == EXPECTED_INDEX[person]
    html = response.content.decode()
    if not EXPECTED_INDEX[person]:
        assert "You don’t have permission to view or edit anything." in html
        assert "/admin/editorial/" not in html


@pytest.mark.parametrize("person", ["anonymous"], indirect=True)
def test_anonymous_index_redirects_to_login(client, person):
    _assert_status(client.get("/admin/"), LOGIN, "/admin/")


@pytest.mark.parametrize("person", ["reviewer", "managing", "outsider"], indirect=True)
def test_posting_an_answer_change_without_the_right_is_refused(client, answer, person):
    url = f"/admin/editorial/answer/{answer.pk}/change/"
    before = (answer.text, answer.version, answer.editor_id)
    versions = Version.objects.get_for_object(answer).count()
    events = WorkflowEvent.objects.count()

    response = client.post(url, change_form_data(answer, text="Overwritten by a non-editor."))

    assert response.status_code == 403
    answer.refresh_from_db()
    assert (answer.text, answer.version, answer.editor_id) == before
    assert Version.objects.get_for_object(answer).count() == versions
    assert WorkflowEvent.objects.count() == events


@pytest.mark.parametrize("person", ["editor", "reviewer", "managing", "superuser"], indirect=True)
def test_only_a_documents_title_changes_and_only_for_managing_editors(client, seeds, person):
    document = Document.objects.get(name=MASSACHUSETTS)

    response = client.post(
        f"/admin/editorial/document/{document.pk}/change/",
        {"title": "Massachusetts RMV", "name": "renamed.txt", "subject": "Texas"},
    )

    document.refresh_from_db()
    assert (document.name, document.subject) == (MASSACHUSETTS, "Massachusetts")
    if person in {"managing", "superuser"}:
        assert response.status_code == 302
        assert document.title == "Massachusetts RMV"
        assert str(Answer.objects.get(document=document, position=1)).startswith(
            "Massachusetts RMV · Q1 · "
        )
    else:
        assert response.status_code == 403
        assert document.title == ""


@pytest.mark.parametrize("person", ["editor", "superuser"], indirect=True)
def test_answers_are_neither_added_nor_deleted_in_the_admin(client, answer, person):
    assert client.get("/admin/editorial/answer/add/").status_code == 403
    assert (
        client.post(f"/admin/editorial/answer/{answer.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Answer.objects.filter(pk=answer.pk).exists()


# --- lists: search, filters, documents -------------------------------------------------------


def _listed(response) -> set[tuple[str, int]]:
    assert response.status_code == 200
    changelist = response.context["cl"]
    assert changelist.result_count == len(changelist.result_list)
    return {(answer.document.subject, answer.position) for answer in changelist.result_list}


def test_search_finds_the_knowledge_cutoff_answer(client, editor, seeds):
    client.force_login(editor)

    found = _listed(client.get("/admin/editorial/answer/", {"q": "knowledge cutoff"}))

    expected = {
        (answer.document.subject, answer.position)
        for answer in Answer.objects.select_related("document")
        if all(
            word in answer.question.lower() or word in answer.text.lower()
            for word in ("knowledge", "cutoff")
        )
    }
    assert ("Massachusetts", 1) in found
    assert found == expected
    assert len(found) < 40


def test_the_hedge_filter_lists_exactly_the_hedge_flagged_answers(client, reviewer, seeds):
    client.force_login(reviewer)

    found = _listed(client.get("/admin/editorial/answer/", {"flag": "hedge"}))

    expected = {
        (answer.document.subject, answer.position)
        for answer in Answer.objects.select_related("document")
        if "hedge" in answer.flags.split()
    }
    assert found == expected
    # The seeds' hedges: "As of my knowledge cutoff" (Massachusetts 1), "As of my latest
    # information" (10), "As of my most recent update" (15), "As of my last review"
    # (Mississippi 19).
    assert found == {
        ("Massachusetts", 1),
        ("Massachusetts", 10),
        ("Massachusetts", 15),
        ("Mississippi", 19),
    }


def test_the_document_list_shows_both_seed_documents_with_their_subjects(client, managing, seeds):
    client.force_login(managing)

    response = client.get("/admin/editorial/document/")

    assert response.status_code == 200
    changelist = response.context["cl"]
    assert changelist.result_count == 2
    assert [(d.name, d.subject, d.n_answers) for d in changelist.result_list] == [
        (MASSACHUSETTS, "Massachusetts", 20),
        ("004_4ec6ae860d37c5b3.txt", "Mississippi", 20),
    ]
    html = response.content.decode()
    # Each by its title, the file name beneath it in small type.
    for subject, name in [
        ("Massachusetts", MASSACHUSETTS),
        ("Mississippi", "004_4ec6ae860d37c5b3.txt"),
    ]:
        assert re.search(
            rf'<th class="field-document"><a href="[^"]+">{subject}'
            rf'<span class="file-name">{re.escape(name)}</span></a></th>',
            html,
        )


def test_the_document_list_counts_only_the_rows_it_shows(
    client, managing, seeds, tmp_path, django_assert_max_num_queries
):
    """Issue 21: the counts by status were annotated on every document before the page kept
    its 100, and the list's own count went through that join. Now the list pages plain
    documents and counts the answers of the rows shown: the same queries at 2 documents as
    at 12 on pages of 5, each row's counts its own."""
    workflow.archive(Answer.objects.get(document__name=MASSACHUSETTS, position=1), managing)
    document_admin = admin.site._registry[Document]
    client.force_login(managing)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/admin/editorial/document/")
    at_two = len(captured)
    rows = {
        d.name: (d.n_answers, d.n_draft, d.n_archived, d.n_live)
        for d in response.context["cl"].result_list
    }
    assert rows == {MASSACHUSETTS: (20, 19, 1, 0), "004_4ec6ae860d37c5b3.txt": (20, 20, 0, 0)}
    for index in range(10):
        (tmp_path / f"extra_{index:02}.jsonl").write_text(
            '{"question": "Is it so?", "answer": "It is."}\n'
            '{"question": "Is it not?", "answer": "It is not."}\n'
        )
    assert not import_paths([tmp_path]).failed
    document_admin.list_per_page = 5
    try:
        with django_assert_max_num_queries(at_two):
            response = client.get("/admin/editorial/document/", {"p": "2"})
    finally:
        del document_admin.list_per_page
    changelist = response.context["cl"]
    assert changelist.result_count == 12
    assert [(d.name, d.n_answers, d.n_draft) for d in changelist.result_list] == [
        (f"extra_{index:02}.jsonl", 2, 2) for index in range(3, 8)
    ]
