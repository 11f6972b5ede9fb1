"""A permission matrix that grows by itself: every admin URL and every admin action, found
by walking the URL resolver and the registered ModelAdmins, for every role, GET and a
forged POST (the test client skips the CSRF check, as a forger with a token would).

A URL or action added later fails `test_every_admin_url_and_action_is_classified` until it
is given its row in EXPECTED_URLS or EXPECTED_ACTIONS below.
"""

import dataclasses
import hashlib
import json
import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Count, Max
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from reversion.models import Revision, Version

from editorial import webhooks, workflow
from editorial.api import keys
from editorial.models import (
    Answer,
    ApiKey,
    ApprovedVersion,
    ClaimEvidence,
    DeliveryState,
    Document,
    ExportRecord,
    Job,
    JobKind,
    Notice,
    Source,
    Status,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookMessage,
    WorkflowEvent,
)
from tests.conftest import change_form_data, ma, put_in_state

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "outsider", "editor", "reviewer", "managing", "superuser"]
STAFF = {"editor", "reviewer", "managing", "superuser"}
SIGNED_IN = set(ROLES) - {"anonymous"}
NOBODY: set[str] = set()


@dataclasses.dataclass(frozen=True)
class Expect:
    """GET: the roles that open the page (200), or one status every signed-in role gets;
    the others are refused (403/404; anonymous is sent to log in). POST: the roles whose
    forged POST writes; nobody else's may change a row."""

    get: set[str] | int
    post: set[str]
    anonymous: str = "/admin/login/"  # where the signed-out are sent (302), or "200"
    opened: int = 200  # what the roles in `get` receive (302: a job started, its page next)


MANAGERS = {"managing", "superuser"}
READ = {"changelist", "history", "change"}

# Every admin URL: its name (or, unnamed, its route). Rows follow SPEC.md's roles: editors
# edit answers and sources, reviewers decide, managing editors import, assign, archive,
# export and rename documents; logs are read-only for everyone; accounts are the superuser's.
EXPECTED_URLS: dict[str, Expect] = {
    "admin:index": Expect(get=200, post=NOBODY),
    "admin:login": Expect(get=302, post=NOBODY, anonymous="200"),  # signed in: sent on
    # Signing out writes its time into axes' access log: everyone signed in may.
    "admin:logout": Expect(get=405, post=SIGNED_IN, anonymous="/admin/"),
    "admin:password_change": Expect(get=200, post=SIGNED_IN),  # one's own password
    "admin:password_change_done": Expect(get=200, post=NOBODY),
    # Asked without its parameters (an API key's documents are the only autocomplete field).
    "admin:autocomplete": Expect(get=403, post=NOBODY),
    "admin:jsi18n": Expect(get=200, post=NOBODY),
    "admin:view_on_site": Expect(get=404, post=NOBODY),  # answers have no public URL
    "admin:app_list[auth]": Expect(get={"superuser"}, post=NOBODY),
    "admin:app_list[editorial]": Expect(get=STAFF, post=NOBODY),
    "admin/(?P<url>.*)$": Expect(get=404, post=NOBODY),
    # Accounts and groups: the superuser's.
    "admin:auth_group_changelist": Expect(get={"superuser"}, post=NOBODY),
    "admin:auth_group_add": Expect(get={"superuser"}, post={"superuser"}),
    "admin:auth_group_history": Expect(get={"superuser"}, post=NOBODY),
    "admin:auth_group_delete": Expect(get={"superuser"}, post={"superuser"}),
    "admin:auth_group_change": Expect(get={"superuser"}, post={"superuser"}),
    "admin/auth/group/<path:object_id>/": Expect(get=302, post=NOBODY),
    "admin:auth_user_password_change": Expect(get={"superuser"}, post={"superuser"}),
    "admin:auth_user_changelist": Expect(get={"superuser"}, post=NOBODY),
    "admin:auth_user_add": Expect(get={"superuser"}, post={"superuser"}),
    "admin:auth_user_history": Expect(get={"superuser"}, post=NOBODY),
    "admin:auth_user_delete": Expect(get={"superuser"}, post={"superuser"}),
    "admin:auth_user_change": Expect(get={"superuser"}, post={"superuser"}),
    "admin/auth/user/<path:object_id>/": Expect(get=302, post=NOBODY),
    # Sign-in attempts and lockouts (django-axes): the superuser's, or whoever is given axes'
    # permissions; unlocking is deleting the attempt. Nobody adds them by hand.
    "admin:app_list[axes]": Expect(get={"superuser"}, post=NOBODY),
    "admin:axes_accessattempt_changelist": Expect(get={"superuser"}, post=NOBODY),
    "admin:axes_accessattempt_add": Expect(get=NOBODY, post=NOBODY),
    "admin:axes_accessattempt_history": Expect(get={"superuser"}, post=NOBODY),
    "admin:axes_accessattempt_delete": Expect(get={"superuser"}, post={"superuser"}),
    "admin:axes_accessattempt_change": Expect(get={"superuser"}, post={"superuser"}),
    "admin/axes/accessattempt/<path:object_id>/": Expect(get=302, post=NOBODY),
    "admin:axes_accesslog_changelist": Expect(get={"superuser"}, post=NOBODY),
    "admin:axes_accesslog_add": Expect(get=NOBODY, post=NOBODY),
    "admin:axes_accesslog_history": Expect(get={"superuser"}, post=NOBODY),
    "admin:axes_accesslog_delete": Expect(get={"superuser"}, post={"superuser"}),
    "admin:axes_accesslog_change": Expect(get={"superuser"}, post={"superuser"}),
    "admin/axes/accesslog/<path:object_id>/": Expect(get=302, post=NOBODY),
    "admin:axes_accessfailurelog_changelist": Expect(get={"superuser"}, post=NOBODY),
    "admin:axes_accessfailurelog_add": Expect(get=NOBODY, post=NOBODY),
    "admin:axes_accessfailurelog_history": Expect(get={"superuser"}, post=NOBODY),
    "admin:axes_accessfailurelog_delete": Expect(get={"superuser"}, post={"superuser"}),
    "admin:axes_accessfailurelog_change": Expect(get={"superuser"}, post={"superuser"}),
    "admin/axes/accessfailurelog/<path:object_id>/": Expect(get=302, post=NOBODY),
    # Answers: everyone on staff reads; the answer's editor edits and reverts.
    # A GET asks (its page has the button); the POST starts an export job.
    "admin:editorial_answer_export": Expect(
        get={"managing", "superuser"}, post={"managing", "superuser"}
    ),
    "admin:editorial_answer_compare": Expect(get=STAFF, post=NOBODY),
    "admin:editorial_answer_workflow": Expect(get=405, post={"editor", "superuser"}),
    # Settling a claim's evidence is an edit: the answer's editor's.
    "admin:editorial_answer_claims": Expect(get=405, post={"editor", "superuser"}),
    # Merging a stale save or a waiting re-import is an edit: the answer's editor's. Opened
    # only for a waiting re-import (the scene's answer has none: 404, or 403 unseen).
    "admin:editorial_answer_merge": Expect(get=NOBODY, post={"editor", "superuser"}),
    "admin:editorial_answer_recoverlist": Expect(get=NOBODY, post=NOBODY),
    "admin:editorial_answer_recover": Expect(get=NOBODY, post=NOBODY),
    "admin:editorial_answer_revision": Expect(get=STAFF, post={"editor", "superuser"}),
    "admin:editorial_answer_changelist": Expect(get=STAFF, post=NOBODY),
    "admin:editorial_answer_add": Expect(get=NOBODY, post=NOBODY),
    "admin:editorial_answer_history": Expect(get=STAFF, post=NOBODY),
    "admin:editorial_answer_delete": Expect(get=NOBODY, post=NOBODY),
    "admin:editorial_answer_change": Expect(get=STAFF, post={"editor", "superuser"}),
    "admin/editorial/answer/<path:object_id>/": Expect(get=302, post=NOBODY),
    # Documents: read by staff, renamed and imported by managing editors.
    "admin:editorial_document_import": Expect(
        get={"managing", "superuser"}, post={"managing", "superuser"}
    ),
    "admin:editorial_document_changelist": Expect(get=STAFF, post=NOBODY),
    "admin:editorial_document_add": Expect(get=NOBODY, post=NOBODY),
    "admin:editorial_document_history": Expect(get=STAFF, post=NOBODY),
    "admin:editorial_document_delete": Expect(get=NOBODY, post=NOBODY),
    "admin:editorial_document_change": Expect(get=STAFF, post={"managing", "superuser"}),
    "admin/editorial/document/<path:object_id>/": Expect(get=302, post=NOBODY),
    # Logs and records: read, never written.
    "admin:editorial_workflowevent_changelist": Expect(get=STAFF, post=NOBODY),
    "admin:editorial_workflowevent_add": Expect(get=NOBODY, post=NOBODY),
    "admin:editorial_workflowevent_history": Expect(get=STAFF, post=NOBODY),
    "admin:editorial_workflowevent_delete": Expect(get=NOBODY, post=NOBODY),
    "admin:editorial_workflowevent_change": Expect(get=STAFF, post=NOBODY),
    "admin/editorial/workflowevent/<path:object_id>/": Expect(get=302, post=NOBODY),
    "admin:editorial_approvedversion_changelist": Expect(
        get={"managing", "superuser"}, post=NOBODY
    ),
    "admin:editorial_approvedversion_add": Expect(get=NOBODY, post=NOBODY),
    "admin:editorial_approvedversion_history": Expect(get={"managing", "superuser"}, post=NOBODY),
    "admin:editorial_approvedversion_delete": Expect(get=NOBODY, post=NOBODY),
    "admin:editorial_approvedversion_change": Expect(get={"managing", "superuser"}, post=NOBODY),
    "admin/editorial/approvedversion/<path:object_id>/": Expect(get=302, post=NOBODY),
    "admin:editorial_exportrecord_changelist": Expect(get={"managing", "superuser"}, post=NOBODY),
    "admin:editorial_exportrecord_add": Expect(get=NOBODY, post=NOBODY),
    "admin:editorial_exportrecord_history": Expect(get={"managing", "superuser"}, post=NOBODY),
    "admin:editorial_exportrecord_delete": Expect(get=NOBODY, post=NOBODY),
    "admin:editorial_exportrecord_change": Expect(get={"managing", "superuser"}, post=NOBODY),
    "admin/editorial/exportrecord/<path:object_id>/": Expect(get=302, post=NOBODY),
    # Jobs (the scene's: an import a managing editor queued): seen by who started it and by
    # managing editors, cancelled by them; a download is an export job's only.
    "admin:editorial_job_changelist": Expect(get={"managing", "superuser"}, post=NOBODY),
    "admin:editorial_job_add": Expect(get=NOBODY, post=NOBODY),
    "admin:editorial_job_history": Expect(get={"managing", "superuser"}, post=NOBODY),
    "admin:editorial_job_delete": Expect(get=NOBODY, post=NOBODY),
    "admin:editorial_job_change": Expect(get={"managing", "superuser"}, post=NOBODY),
    "admin/editorial/job/<path:object_id>/": Expect(get=302, post=NOBODY),
    "admin:editorial_job_status": Expect(get={"managing", "superuser"}, post=NOBODY),
    "admin:editorial_job_cancel": Expect(get=405, post={"managing", "superuser"}),
    "admin:editorial_job_download": Expect(get=NOBODY, post=NOBODY),
    # The read API's keys: managing editors make, rescope and revoke them; nobody deletes one.
    "admin:editorial_apikey_changelist": Expect(get={"managing", "superuser"}, post=NOBODY),
    "admin:editorial_apikey_add": Expect(
        get={"managing", "superuser"}, post={"managing", "superuser"}
    ),
    "admin:editorial_apikey_history": Expect(get={"managing", "superuser"}, post=NOBODY),
    "admin:editorial_apikey_delete": Expect(get=NOBODY, post=NOBODY),
    "admin:editorial_apikey_change": Expect(
        get={"managing", "superuser"}, post={"managing", "superuser"}
    ),
    "admin/editorial/apikey/<path:object_id>/": Expect(get=302, post=NOBODY),
    # The key once, after its POST redirected here; with none kept, back to the key's page.
    "admin:editorial_apikey_issued": Expect(get={"managing", "superuser"}, post=NOBODY, opened=302),
    # The key's own Revoke button: a page asking once (GET), the revocation (POST).
    "admin:editorial_apikey_revoke": Expect(
        get={"managing", "superuser"}, post={"managing", "superuser"}
    ),
    # Webhooks: managing editors' alone (editorial.manage_webhooks). The endpoint's buttons
    # are POSTs; revealing the secret writes nothing, the others do.
    "admin:editorial_webhookendpoint_changelist": Expect(get=MANAGERS, post=NOBODY),
    "admin:editorial_webhookendpoint_add": Expect(get=MANAGERS, post=MANAGERS),
    "admin:editorial_webhookendpoint_history": Expect(get=MANAGERS, post=NOBODY),
    # The scene's endpoint was sent an event: it is disabled, never deleted (its log stays).
    "admin:editorial_webhookendpoint_delete": Expect(get=NOBODY, post=NOBODY),
    "admin:editorial_webhookendpoint_change": Expect(get=MANAGERS, post=MANAGERS),
    "admin/editorial/webhookendpoint/<path:object_id>/": Expect(get=302, post=NOBODY),
    "admin:editorial_webhookendpoint_secret": Expect(get=405, post=NOBODY),
    # The secret once, after an add or a rotation redirected here; else back to the endpoint.
    "admin:editorial_webhookendpoint_shown": Expect(get=MANAGERS, post=NOBODY, opened=302),
    "admin:editorial_webhookendpoint_rotate": Expect(get=405, post=MANAGERS),
    "admin:editorial_webhookendpoint_test": Expect(get=405, post=MANAGERS),
    "admin:editorial_webhookendpoint_enable": Expect(get=405, post=MANAGERS),
    "admin:editorial_webhookendpoint_disable": Expect(get=405, post=MANAGERS),
    # The outbox and the attempt log: read by them, written by the delivery only.
    **{
        f"admin:editorial_{model}_{view}": Expect(
            get=MANAGERS if view in READ else NOBODY, post=NOBODY
        )
        for model in ("webhookmessage", "webhookattempt")
        for view in ("changelist", "add", "history", "delete", "change")
    },  # fmt: skip
    "admin/editorial/webhookmessage/<path:object_id>/": Expect(get=302, post=NOBODY),
    "admin/editorial/webhookattempt/<path:object_id>/": Expect(get=302, post=NOBODY),
    # The task framework's results (django-tasks-db's admin): the superuser reads them.
    "admin:app_list[django_tasks_database]": Expect(get={"superuser"}, post=NOBODY),
    "admin:django_tasks_database_dbtaskresult_changelist": Expect(get={"superuser"}, post=NOBODY),
    "admin:django_tasks_database_dbtaskresult_add": Expect(get=NOBODY, post=NOBODY),
    "admin:django_tasks_database_dbtaskresult_history": Expect(get={"superuser"}, post=NOBODY),
    "admin:django_tasks_database_dbtaskresult_delete": Expect(get=NOBODY, post=NOBODY),
    "admin:django_tasks_database_dbtaskresult_change": Expect(get={"superuser"}, post=NOBODY),
    "admin/django_tasks_database/dbtaskresult/<path:object_id>/": Expect(get=302, post=NOBODY),
}

# Every action of every ModelAdmin (the site-wide delete_selected included): the roles
# whose forged POST of it, on a selection where it could act, writes.
EXPECTED_ACTIONS: dict[str, set[str]] = {
    "auth.group:delete_selected": {"superuser"},
    "axes.accessattempt:delete_selected": {"superuser"},  # unlock
    "axes.accesslog:delete_selected": {"superuser"},
    "axes.accessfailurelog:delete_selected": {"superuser"},
    "auth.user:delete_selected": {"superuser"},
    "editorial.answer:delete_selected": NOBODY,
    "editorial.answer:claim_selected": {"editor", "superuser"},
    "editorial.answer:submit_selected": {"editor", "superuser"},
    "editorial.answer:withdraw_selected": {"editor", "superuser"},
    "editorial.answer:approve_selected": {"reviewer", "superuser"},
    "editorial.answer:request_changes_selected": {"reviewer", "superuser"},
    "editorial.answer:assign_reviewer_selected": {"managing", "superuser"},
    "editorial.answer:balance_reviewers": {"managing", "superuser"},
    "editorial.answer:assign_editor_selected": {"managing", "superuser"},
    "editorial.answer:balance_editors": {"managing", "superuser"},
    "editorial.answer:archive_selected": {"managing", "superuser"},
    "editorial.answer:restore_selected": {"managing", "superuser"},
    "editorial.document:delete_selected": NOBODY,
    "editorial.document:export_selected_documents": {"managing", "superuser"},
    "editorial.workflowevent:delete_selected": NOBODY,
    "editorial.approvedversion:delete_selected": NOBODY,
    "editorial.exportrecord:delete_selected": NOBODY,
    "editorial.job:delete_selected": NOBODY,
    "editorial.apikey:delete_selected": NOBODY,
    "editorial.apikey:revoke_selected": {"managing", "superuser"},
    "editorial.webhookendpoint:delete_selected": NOBODY,  # it was sent an event
    "editorial.webhookendpoint:send_test_event": MANAGERS,
    "editorial.webhookendpoint:enable_selected": MANAGERS,  # its failure count reset
    "editorial.webhookendpoint:disable_selected": MANAGERS,
    "editorial.webhookmessage:delete_selected": NOBODY,
    "editorial.webhookmessage:redeliver_selected": MANAGERS,
    "editorial.webhookattempt:delete_selected": NOBODY,
    "django_tasks_database.dbtaskresult:delete_selected": NOBODY,
}


# --- discovery --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AdminUrl:
    key: str
    route: str
    pattern: URLPattern


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace]))
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            yield prefix + str(entry.pattern), namespace, entry


def admin_urls() -> list[AdminUrl]:
    """Every URL under the admin namespace, keyed by name (or route when unnamed)."""
    found = []
    for route, namespace, pattern in _walk(get_resolver().url_patterns):
        if namespace != "admin":
            continue
        if pattern.name == "app_list":
            found += [AdminUrl(f"admin:app_list[{label}]", route, pattern) for label in _apps()]
        elif pattern.name:
            found.append(AdminUrl(f"admin:{pattern.name}", route, pattern))
        else:
            found.append(AdminUrl(route, route, pattern))
    return found


def _apps() -> list[str]:
    return sorted({model._meta.app_label for model in admin.site._registry})


def admin_actions() -> list[str]:
    """Every action of every registered ModelAdmin, as app.model:name."""
    keys = []
    for model, model_admin in admin.site._registry.items():
        for _, name, _ in model_admin._get_base_actions():
            keys.append(f"{model._meta.label_lower}:{name}")
    return keys


def test_every_admin_url_and_action_is_classified():
    urls = {url.key for url in admin_urls()}
    actions = set(admin_actions())
    assert urls - set(EXPECTED_URLS) == set(), "new admin URLs: give each its row"
    assert set(EXPECTED_URLS) - urls == set(), "rows for URLs that no longer exist"
    assert actions - set(EXPECTED_ACTIONS) == set(), "new admin actions: give each its row"
    assert set(EXPECTED_ACTIONS) - actions == set(), "rows for actions that no longer exist"
    assert len(urls) >= 60 and len(actions) >= 17


# --- the scene: real objects in every state, to fill the URLs and aim the POSTs --------


@pytest.fixture
def scene(seeds, people):
    drafted = put_in_state(ma(2), Status.DRAFT, people)  # editor's, reviewer assigned
    in_review = put_in_state(ma(3), Status.IN_REVIEW, people)
    approved = put_in_state(ma(4), Status.APPROVED, people)
    archived = put_in_state(ma(5), Status.ARCHIVED, people)
    unclaimed = ma(6)
    # A claim (a year) in the correction, settled, so the claims URL has something to
    # settle again and the drafted answer can still be submitted.
    workflow.edit(drafted, user=people["editor"], text=drafted.text + " Corrected in 2024.")
    workflow.settle_claim(
        drafted, user=people["editor"], claim="2024", kind="common_knowledge", reason="Scene."
    )
    return {
        "people": people,
        "drafted": drafted,
        "in_review": in_review,
        "approved": approved,
        "archived": archived,
        "answers": [drafted, in_review, approved, archived, unclaimed],
        "document": drafted.document,
        "version": Version.objects.get_for_object(drafted).order_by("pk").first(),
        "event": WorkflowEvent.objects.filter(answer=drafted).first(),
        "approvedversion": ApprovedVersion.objects.current().get(answer=approved),
        "exportrecord": _an_export_record(people["managing"]),
        "job": Job.objects.create(kind=JobKind.IMPORT, created_by=people["managing"]),
        "dbtaskresult": DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {"job_id": 1}},
            task_path="editorial.tasks.imports.run_import",
            backend_name="default",
        ),
        "apikey": keys.issue(
            key=ApiKey(name="scene", everything=True), created_by=people["managing"]
        )[0],
        **_sign_in_records(),
        **_webhook_records(people["managing"]),
    }


def _webhook_records(user) -> dict:
    """An endpoint (active, after failures: enabling it resets them), a delivered event
    and its attempt. The endpoint is never called: each request is rolled back."""
    endpoint = webhooks.create_endpoint(
        url="https://hooks.example.org/in", events=["answer.approved"], user=user
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=3)
    now = timezone.now()
    message = WebhookMessage.objects.create(
        endpoint=endpoint, webhook_id="msg_scene", event_type="answer.approved", body="{}",
        created_at=now, state=DeliveryState.DELIVERED, attempts=1, delivered_at=now,
    )  # fmt: skip
    attempt = WebhookAttempt.objects.create(
        message=message, endpoint=endpoint, number=1, attempted_at=now, status_code=204,
        duration_ms=3,
    )  # fmt: skip
    return {"webhookendpoint": endpoint, "webhookmessage": message, "webhookattempt": attempt}


def _sign_in_records() -> dict:
    """A lockout (of nobody who signs in here: a sign-in clears its own), a sign-in, a failed
    one."""
    seen = {"user_agent": "scene", "ip_address": "192.0.2.10", "http_accept": "*/*"}
    seen |= {"path_info": "/admin/login/", "username": "locked-out"}
    return {
        "accessattempt": AccessAttempt.objects.create(
            **seen, get_data="", post_data="", failures_since_start=5
        ),
        "accesslog": AccessLog.objects.create(**seen),
        "accessfailurelog": AccessFailureLog.objects.create(**seen, locked_out=True),
    }


def _an_export_record(user) -> ExportRecord:
    from editorial.exporters import Export

    Export("json", user=user, channel="command").write_to(open("/dev/null", "wb"))  # noqa: SIM115
    return ExportRecord.objects.get()


def _object_for(model_name: str, scene) -> object:
    people = scene["people"]
    return {
        "group": Group.objects.get(name="Editors"),
        "user": people["editor2"],
        "answer": scene["drafted"],
        "document": scene["document"],
        "workflowevent": scene["event"],
        "approvedversion": scene["approvedversion"],
        "exportrecord": scene["exportrecord"],
        "job": scene["job"],
        "apikey": scene["apikey"],
        "dbtaskresult": scene["dbtaskresult"],
        "accessattempt": scene["accessattempt"],
        "accesslog": scene["accesslog"],
        "accessfailurelog": scene["accessfailurelog"],
        "webhookendpoint": scene["webhookendpoint"],
        "webhookmessage": scene["webhookmessage"],
        "webhookattempt": scene["webhookattempt"],
    }[model_name]


def url_for(url: AdminUrl, scene) -> str:
    """The route with its parameters filled by real ids from the scene."""
    route = url.route
    if url.key.startswith("admin:app_list["):
        return "/admin/" + url.key.removeprefix("admin:app_list[").rstrip("]") + "/"
    if url.key == "admin/(?P<url>.*)$":
        return "/admin/no-such-page/"
    if url.key == "admin:editorial_answer_export":
        return "/admin/editorial/answer/export/?format=jsonl"
    if url.key == "admin:view_on_site":
        answer = scene["drafted"]
        return f"/admin/r/{ContentType.objects.get_for_model(Answer).pk}/{answer.pk}/"
    if url.key == "admin:editorial_answer_revision":
        return f"/admin/editorial/answer/{scene['drafted'].pk}/history/{scene['version'].pk}/"
    if url.key == "admin:editorial_answer_recover":
        return f"/admin/editorial/answer/recover/{scene['version'].pk}/"
    if url.key == "admin:editorial_answer_recoverlist":
        return "/admin/editorial/answer/recover/"
    model_name = route.split("/")[2] if route.count("/") > 2 else ""
    if "<id>" in route:
        route = route.replace("<id>", str(scene["people"]["editor2"].pk))
    if "<path:object_id>" in route:
        route = route.replace("<path:object_id>", str(_object_for(model_name, scene).pk))
    assert "<" not in route and "^" not in route, route
    return "/" + route


def forged_post(key: str, scene) -> dict:
    """What a forger would send to that URL to make it write."""
    people, drafted = scene["people"], scene["drafted"]
    fresh = Answer.objects.get(pk=drafted.pk)
    secret = "Forged-passw0rd-77"
    payloads = {
        "admin:password_change": {
            "old_password": "pw",
            "new_password1": secret,
            "new_password2": secret,
        },
        "admin:auth_group_add": {"name": "Forged"},
        "admin:auth_group_change": {"name": "Forged editors"},
        "admin:auth_user_password_change": {
            "password1": secret,
            "password2": secret,
            "usable_password": "true",
        },
        "admin:auth_user_add": {
            "username": "forged",
            "password1": secret,
            "password2": secret,
            "usable_password": "true",
        },
        "admin:auth_user_change": {
            "username": "editor2",
            "email": "forged@example.org",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
        "admin:editorial_answer_change": change_form_data(drafted, text="Forged text."),
        "admin/editorial/answer/<path:object_id>/": change_form_data(drafted, text="Forged."),
        "admin:editorial_answer_workflow": {
            "step": "submit",
            "loaded_version": fresh.version,
            "comment": "Forged.",
            "reviewer": people["reviewer"].pk,
        },
        "admin:editorial_answer_revision": {"loaded_version": fresh.version, "comment": ""},
        # The merge page's confirm, as if typed on the version before: the typing wins.
        "admin:editorial_answer_merge": {
            "kind": "stale",
            "base_version": fresh.version - 1,
            "stored_version": fresh.version,
            "stored_status": fresh.status,
            "yours_question": fresh.question,
            "yours_text": "Forged text.",
            "yours_sources": json.dumps(
                [
                    {**s.as_dict(), "id": s.pk, "accessed_on": s.accessed_on.isoformat()}
                    for s in fresh.sources.all()
                ]
            ),
            "action": "save",
        },
        "admin:editorial_answer_claims": {
            "claim": _a_claim(drafted),
            "action": "common",
            "reason": "Forged.",
            "loaded_version": fresh.version,
        },
        "admin:editorial_document_import": {
            "files": [SimpleUploadedFile("forged.txt", b"1. Forged question?\nForged.\n")]
        },
        "admin:editorial_document_change": {"title": "Forged title"},
        "admin:editorial_workflowevent_change": {"comment": "Forged."},
        "admin:editorial_approvedversion_change": {"text": "Forged."},
        "admin:editorial_exportrecord_change": {"sha256": "0" * 64},
        "admin:editorial_workflowevent_add": {"comment": "Forged."},
        "admin:editorial_apikey_add": {
            "name": "Forged",
            "everything": "on",
            "requests_per_minute": 60,
        },
        "admin:editorial_apikey_change": {
            "name": "Forged",
            "everything": "on",
            "requests_per_minute": 60,
        },
        "admin:editorial_webhookendpoint_add": FORGED_ENDPOINT,
        "admin:editorial_webhookendpoint_change": FORGED_ENDPOINT,
        "admin:editorial_webhookmessage_change": {"body": "Forged."},
    }
    return payloads.get(key, {"post": "yes", "comment": "Forged.", "title": "Forged"})


FORGED_ENDPOINT = {
    "url": "https://forged.example.org/in",
    "events": ["answer.approved", "answer.withdrawn"],
    "description": "Forged",
}


def _a_claim(answer: Answer) -> str:
    """The first claim of the answer's text, for a forged settlement to aim at."""
    from editorial.flags import find_claims

    claims = find_claims(Answer.objects.get(pk=answer.pk).text)
    assert claims, "the scene's drafted answer needs a claim"
    return claims[0].key


def action_post(key: str, scene) -> tuple[str, dict]:
    """The changelist URL and the forged POST of an action, on objects it could act on."""
    model_label, action = key.split(":")
    app_label, model_name = model_label.split(".")
    url = f"/admin/{app_label}/{model_name}/"
    people = scene["people"]
    if model_name == "answer":
        answers = scene["answers"]
        selected = [a.pk for a in answers]
        versions = dict(Answer.objects.filter(pk__in=selected).values_list("pk", "version"))
        data = {f"loaded_version_{pk}": str(version) for pk, version in versions.items()}
        data.update(
            confirm="1",
            step=action,
            comment="Forged.",
            reviewer=people["reviewer2"].pk,
            editor=people["editor2"].pk,
        )
    elif model_name == "user":
        selected, data = [people["editor2"].pk], {}
    else:
        model = {"group": Group, "document": Document}.get(model_name) or next(
            m for m in admin.site._registry if m._meta.model_name == model_name
        )
        selected, data = [model.objects.order_by("pk").first().pk], {"format": "jsonl"}
    data.update({"action": action, "_selected_action": selected, "index": "0", "post": "yes"})
    return url, data


# --- what "nothing written" means: every row of every table a POST could touch ---------

WATCHED = [
    User, Group, Permission, Answer, Source, Document, ApprovedVersion, ExportRecord, Notice,
    LogEntry, ClaimEvidence, AccessAttempt, AccessLog, AccessFailureLog, Job, DBTaskResult,
    ApiKey,
    WebhookEndpoint, WebhookMessage, WebhookAttempt,
]  # fmt: skip
# Append-only (the database refuses any other change): a new row is all a POST could add.
APPENDED = [WorkflowEvent, Revision, Version]


def database_state() -> str:
    digest = hashlib.sha256()
    for model in APPENDED:
        digest.update(repr(model.objects.aggregate(n=Count("pk"), last=Max("pk"))).encode())
    for model in WATCHED:
        for row in model.objects.order_by("pk").values_list():
            digest.update(repr(row).encode())
        for field in model._meta.many_to_many:
            through = field.remote_field.through
            digest.update(repr(list(through.objects.order_by("pk").values_list())).encode())
    return digest.hexdigest()


def _request(user, method: str, url: str, data: dict | None = None):
    """One request by one person, in a savepoint rolled back after: each starts alike."""
    client = Client()
    if user is not None:
        client.force_login(user)
    with transaction.atomic():
        before = database_state() if method == "POST" else None
        response = client.get(url) if method == "GET" else client.post(url, data or {})
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)  # an export records itself at its end
        wrote = before is not None and database_state() != before
        transaction.set_rollback(True)
    return response, wrote


def _user(role: str, people: dict):
    return None if role == "anonymous" else people["outsider" if role == "outsider" else role]


def _signed_out(expect: Expect, response) -> bool:
    """The signed-out get nothing but a redirect to log in (or the login page itself)."""
    if expect.anonymous == "200":
        return response.status_code == 200
    location = response.get("Location", "")
    return response.status_code == 302 and location.split("?")[0] == expect.anonymous


def _check_get(expect: Expect, role: str, response) -> str | None:
    status = response.status_code
    if role == "anonymous":
        return None if _signed_out(expect, response) else f"GET gave {status}, not login"
    if isinstance(expect.get, int):
        return None if status == expect.get else f"GET gave {status}, expected {expect.get}"
    if role in expect.get:
        opened = expect.opened
        return None if status == opened else f"GET gave {status}, expected {opened}"
    return None if status in {403, 404} else f"GET gave {status}, expected a refusal"


def _check_post(expect: Expect, role: str, response, wrote: bool) -> str | None:
    status, writers = response.status_code, expect.post
    if status >= 500:
        return f"POST gave {status}"
    if role == "anonymous" and not _signed_out(expect, response):
        return f"POST gave {status}, not login"
    if role in writers and not wrote:
        return "POST wrote nothing (the forged payload should work for this role)"
    if role not in writers and wrote:
        return "POST WROTE (a role without the permission changed the database)"
    return None


def test_every_admin_url_for_every_role_get_and_forged_post(scene):
    people = scene["people"]
    problems, checked = [], 0
    for url in admin_urls():
        expect = EXPECTED_URLS[url.key]
        address = url_for(url, scene)
        for role in ROLES:
            user = _user(role, people)
            response, wrote = _request(user, "GET", address)
            if problem := _check_get(expect, role, response):
                problems.append(f"{url.key} {role}: {problem}")
            response, wrote = _request(user, "POST", address, forged_post(url.key, scene))
            if problem := _check_post(expect, role, response, wrote):
                problems.append(f"{url.key} {role}: {problem}")
            checked += 2
    assert problems == [], "\n".join(problems)
    assert checked == len(admin_urls()) * len(ROLES) * 2


def test_every_admin_action_for_every_role_by_forged_post(scene):
    people = scene["people"]
    problems = []
    for key in admin_actions():
        url, data = action_post(key, scene)
        for role in ROLES:
            response, wrote = _request(_user(role, people), "POST", url, data)
            expect = Expect(get=NOBODY, post=EXPECTED_ACTIONS[key])
            if problem := _check_post(expect, role, response, wrote):
                problems.append(f"{key} {role}: {problem}")
    assert problems == [], "\n".join(problems)


def test_the_matrix_sees_a_leak():
    """The checks themselves: a refusal that wrote, or a page opened to the wrong role, fails."""
    ok = HttpResponse()
    nobody, superuser = (
        Expect(get=NOBODY, post=NOBODY),
        Expect(get={"superuser"}, post={"superuser"}),
    )
    assert _check_post(nobody, "editor", ok, wrote=True)
    assert _check_get(superuser, "editor", ok)
    assert _check_get(superuser, "anonymous", ok)
    assert re.search("WROTE", _check_post(superuser, "reviewer", ok, wrote=True))
    assert _check_post(superuser, "superuser", ok, wrote=False)  # a payload that cannot work
