"""Shared fixtures and helpers: the real seed corpus, one user per role, and what a test does
to an answer (bring it to a state, settle its claims) or posts as the admin's pages post."""

import datetime
import html
import re
from io import BytesIO
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import constants as levels
from django.urls import reverse
from django_tasks_db.management.commands import db_worker
from django_tasks_db.management.commands.db_worker import Worker
from reversion.models import Version

from editorial import flags, workflow
from editorial.exporters import Export
from editorial.importers import import_paths
from editorial.models import Answer, ApprovedVersion, ClaimEvidence, Document, Status

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEED_FILES = sorted(FIXTURES.glob("*.txt"))
# A real source for Massachusetts answers, as an editor attaches it.
RMV_SOURCE = {
    "url": "https://www.mass.gov/orgs/massachusetts-registry-of-motor-vehicles",
    "title": "Registry of Motor Vehicles",
    "publisher": "Commonwealth of Massachusetts",
    "accessed_on": datetime.date(2026, 1, 2),
    "excerpt": "The RMV shares records only as state law allows.",
}


# --- tasks: the database backend as production runs it, its worker run in this process ---

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker(max_tasks: int | None = None, worker_id: str = "test-worker") -> None:
    """`manage.py db_worker --batch`: every waiting task, then return.

    Between tasks the worker closes connections that are not in autocommit, as Django does
    between requests; the test's transaction is one, so that is skipped here, as Django's
    test client skips it for requests.
    """
    with mock.patch.object(db_worker, "close_old_connections", lambda: None):
        _worker(max_tasks, worker_id).run()


def _worker(max_tasks: int | None, worker_id: str) -> Worker:
    return Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


@pytest.fixture
def db_tasks(settings, tmp_path):
    """Tasks queued in the database (run_worker runs them), uploads and exports stored in a
    scratch folder."""
    settings.TASKS = DATABASE_TASKS
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return run_worker


def page_text(response) -> str:
    """A page's text as read, without its markup."""
    return html.unescape(re.sub(r"<[^>]+>", "", response.content.decode()))


@pytest.fixture
def seeds(db) -> list[Document]:
    """The two seed files imported, as the demo does."""
    summary = import_paths([FIXTURES])
    assert not summary.failed, summary.failed
    return list(Document.objects.order_by("name"))


def _member(django_user_model, username: str, *groups: str, **extra):
    user = django_user_model.objects.create_user(
        username=username, password="pw", email=f"{username}@example.org", is_staff=True, **extra
    )
    user.groups.set(Group.objects.filter(name__in=groups))
    return user


@pytest.fixture
def editor(django_user_model):
    return _member(django_user_model, "editor", "Editors")


@pytest.fixture
def editor2(django_user_model):
    return _member(django_user_model, "editor2", "Editors")


@pytest.fixture
def reviewer(django_user_model):
    return _member(django_user_model, "reviewer", "Reviewers")


@pytest.fixture
def reviewer2(django_user_model):
    return _member(django_user_model, "reviewer2", "Reviewers")


@pytest.fixture
def managing(django_user_model):
    return _member(django_user_model, "managing", "Managing editors")


@pytest.fixture
def editor_reviewer(django_user_model):
    return _member(django_user_model, "both", "Editors", "Reviewers")


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(
        username="root", password="pw", email="root@example.org"
    )


@pytest.fixture
def outsider(django_user_model):
    return _member(django_user_model, "outsider")


@pytest.fixture
def people(editor, editor2, reviewer, reviewer2, managing, superuser, outsider) -> dict:
    """One person per role, by role name."""
    return {
        "editor": editor,
        "editor2": editor2,
        "reviewer": reviewer,
        "reviewer2": reviewer2,
        "managing": managing,
        "superuser": superuser,
        "outsider": outsider,
    }


@pytest.fixture
def answer(seeds) -> Answer:
    """Massachusetts question 2: no hedge, so only the missing source blocks approval."""
    return Answer.objects.get(document__subject="Massachusetts", position=2)


# --- helpers: content and states, through the workflow --------------------------------


def a_source(url: str = "https://example.org/x", title: str = "T", excerpt: str = "") -> dict:
    return {
        "url": url,
        "title": title,
        "publisher": "P",
        "accessed_on": datetime.date(2026, 11, 1),
        "excerpt": excerpt,
    }


def settle_claims(answer: Answer, user, reason: str = "Checked by the editor.") -> None:
    """Mark every unsettled claim of the answer's text common knowledge, in one edit, as its
    editor may: approval (and so submitting) waits on every claim."""
    unsettled = [claim.key for claim in workflow.unsettled_claims(answer)]
    if unsettled:
        workflow.settle_claims(
            answer, user=user, claims=unsettled, kind="common_knowledge", reason=reason
        )


def put_in_state(answer: Answer, state: str, people: dict) -> Answer:
    """Bring the answer to `state` through the workflow, `editor` and `reviewer` on it."""
    editor, reviewer, managing = people["editor"], people["reviewer"], people["managing"]
    workflow.edit(answer, user=editor, sources=[a_source()])
    settle_claims(answer, editor)
    if state in {Status.DRAFT, Status.ARCHIVED}:
        workflow.assign_reviewer(answer, managing, reviewer=reviewer)
    else:
        workflow.submit(answer, editor, reviewer=reviewer)
    if state == Status.CHANGES_REQUESTED:
        workflow.request_changes(answer, reviewer, comment="Name the agreement.")
    elif state == Status.APPROVED:
        workflow.approve(answer, reviewer)
    elif state == Status.ARCHIVED:
        workflow.archive(answer, managing)
    answer.refresh_from_db()
    assert (answer.status, answer.editor, answer.reviewer) == (state, editor, reviewer)
    return answer


def ma(position: int) -> Answer:
    return Answer.objects.get(document__subject="Massachusetts", position=position)


def change_url(answer: Answer) -> str:
    return reverse("admin:editorial_answer_change", args=[answer.pk])


def workflow_url(answer: Answer) -> str:
    return reverse("admin:editorial_answer_workflow", args=[answer.pk])


def history_url(answer: Answer) -> str:
    return reverse("admin:editorial_answer_history", args=[answer.pk])


def version_url(answer: Answer, version: Version) -> str:
    return reverse("admin:editorial_answer_revision", args=[answer.pk, version.pk])


CHANGELIST = "/admin/editorial/answer/"


def snapshot(answer: Answer) -> dict:
    """Everything a refused request must leave as it was."""
    row = Answer.objects.get(pk=answer.pk)
    approved = ApprovedVersion.objects.current().filter(answer=row).first()
    return {
        "row": {
            field: getattr(row, field)
            for field in (
                "status",
                "status_before_archive",
                "editor_id",
                "reviewer_id",
                "version",
                "question",
                "text",
                "flags",
            )
        },
        "sources": list(row.sources.values_list("url", "title", "excerpt")),
        "events": list(row.events.values_list("id", flat=True)),
        "versions": Version.objects.get_for_object(row).count(),
        "approved": approved and (approved.version, approved.question, approved.text),
    }


def messages_of(response) -> list[tuple[int, str]]:
    return [(message.level, str(message)) for message in response.context["messages"]]


def errors_of(response) -> list[str]:
    return [text for level, text in messages_of(response) if level == levels.ERROR]


def successes_of(response) -> list[str]:
    return [text for level, text in messages_of(response) if level == levels.SUCCESS]


def post_step(client, answer: Answer, step: str, **data):
    """What a step button posts: the step, its inputs and the version the page showed."""
    payload = {
        "step": step,
        "comment": "",
        "reviewer": "",
        "editor": "",
        "loaded_version": Answer.objects.get(pk=answer.pk).version,
        **data,
    }
    return client.post(workflow_url(answer), payload, follow=True)


STEP_BUTTON = re.compile(r'<button type="submit" form="answer_form" name="step" value="([a-z_]+)"')


def buttons(response) -> set[str]:
    return set(STEP_BUTTON.findall(response.content.decode()))


def action_choices(response) -> set[str]:
    html = response.content.decode()
    select = re.search(r'<select name="action".*?</select>', html, re.S)
    assert select, "the changelist has no action dropdown"
    return set(re.findall(r'<option value="([a-z_]+)"', select.group(0)))


def event_log(response) -> str:
    html = response.content.decode()
    assert 'aria-label="Event log"' in html
    return html.split('aria-label="Event log"', 1)[1]


def change_form_data(answer: Answer, *, new_sources=(), **fields) -> dict:
    """What the admin change form posts: the content fields and the sources inline."""
    row = Answer.objects.get(pk=answer.pk)
    sources = list(row.sources.order_by("id"))
    data = {
        "question": row.question,
        "text": row.text,
        "sources-TOTAL_FORMS": str(len(sources) + len(new_sources)),
        "sources-INITIAL_FORMS": str(len(sources)),
        "sources-MIN_NUM_FORMS": "0",
        "sources-MAX_NUM_FORMS": "1000",
        "loaded_version": str(row.version),
        "loaded_status": row.status,
        "_save": "Save",
    }
    values = [
        {"id": s.pk, "url": s.url, "title": s.title, "publisher": s.publisher,
         "accessed_on": s.accessed_on, "excerpt": s.excerpt}
        for s in sources
    ] + [{"id": "", **source} for source in new_sources]  # fmt: skip
    for index, source in enumerate(values):
        prefix = f"sources-{index}-"
        data.update(
            {
                prefix + "id": source["id"],
                prefix + "answer": row.pk,
                prefix + "url": source["url"],
                prefix + "title": source["title"],
                prefix + "publisher": source["publisher"],
                prefix + "accessed_on": source["accessed_on"].isoformat(),
                prefix + "excerpt": source["excerpt"],
            }
        )
    data.update(fields)
    return data


def revert_form(answer: Answer) -> dict:
    """What the version page's revert button posts: the version the page showed."""
    return {"loaded_version": Answer.objects.get(pk=answer.pk).version, "comment": ""}


def admin_edit(client, answer: Answer, *, new_sources=(), **fields):
    """Save the admin change form; a successful save redirects to the changelist."""
    response = client.post(
        change_url(answer), change_form_data(answer, new_sources=new_sources, **fields)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return response


def bulk(client, action: str, answers, follow=True, **data):
    """Post a changelist action; with confirm=..., as the intermediate page posts it."""
    payload = {"action": action, "_selected_action": [str(a.pk) for a in answers], **data}
    # Each row of the list (and of the intermediate page) carries the version it shows.
    payload.update(
        {
            f"loaded_version_{pk}": str(version)
            for pk, version in Answer.objects.filter(pk__in=[a.pk for a in answers]).values_list(
                "pk", "version"
            )
        }
    )
    if "confirm" in data:
        payload["step"] = action  # the intermediate page's hidden input
    return client.post(CHANGELIST, payload, follow=follow)


# --- claims: Massachusetts Q1 with only its 2004 claim open ----------------------------

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


def keys(text: str) -> list[str]:
    return [claim.text for claim in flags.find_claims(text)]


# The agencies Massachusetts Q1 names in its first sentence, settled together in the q1
# fixture; its second sentence's "2004" is the claim the tests settle.
Q1_AGENCIES = [
    "Massachusetts Department of Motor Vehicles (DMV)",
    "U.S. Immigration and Customs Enforcement (ICE)",
]
Q1_AGENCIES_REASON = "The agencies the question asks about."

# The agencies as an approval of q1 pins them (before its 2004, in text order).
Q1_AGENCIES_PINNED = [
    {
        "text": text,
        "kind": "common_knowledge",
        "source_url": "",
        "source_title": "",
        "excerpt": "",
        "reason": Q1_AGENCIES_REASON,
    }
    for text in Q1_AGENCIES
]


@pytest.fixture
def q1(seeds, people) -> Answer:
    """Massachusetts Q1 with its hedges removed, the RMV source, and its first sentence's two
    agencies settled (common knowledge, one edit): only its 2004 claim is open."""
    answer = ma(1)
    workflow.edit(
        answer,
        user=people["editor"],
        text=without_hedges(answer.text),
        sources=[RMV_SOURCE],
    )
    assert keys(answer.text) == [*Q1_AGENCIES, "2004"]
    workflow.settle_claims(
        answer,
        user=people["editor"],
        claims=Q1_AGENCIES,
        kind=ClaimEvidence.Kind.COMMON_KNOWLEDGE,
        reason=Q1_AGENCIES_REASON,
    )
    assert [claim.text for claim in workflow.unsettled_claims(answer)] == ["2004"]
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


def export(format_name: str) -> str:
    out = BytesIO()
    Export(format_name, channel="command").write_to(out)
    return out.getvalue().decode()
