"""Approved content through the workflow, keys through the service, requests through the
test client with `Authorization: Bearer`.

The tests run in a transaction that never commits, so the history chain, sealed just before
a commit (storage.backends), is sealed by hand after each step that would have committed."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from editorial.api import keys
from editorial.models import Answer, ApiKey, Document
from editorial.storage import chain
from tests.exporters.conftest import MASSACHUSETTS, MISSISSIPPI, MS_DPS, RMV, answer_at
from tests.exporters.conftest import approve as approve_through_workflow


def approve(answer: Answer, editor, reviewer, **content) -> Answer:
    """Approved through the workflow, each step's history sealed as its commit would."""
    approved = approve_through_workflow(answer, editor, reviewer, **content)
    chain.seal()
    return approved


def step(function, answer: Answer, user, **kwargs) -> Answer:
    done = function(answer, user, **kwargs)
    chain.seal()
    return done


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    """Rate counts live in the cache, which outlives a test's transaction."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def approved(seeds, editor, reviewer) -> dict[str, Answer]:
    """Three approved answers of Massachusetts and two of Mississippi."""
    return {
        "ma2": approve(answer_at(MASSACHUSETTS, 2), editor, reviewer),
        "ma3": approve(answer_at(MASSACHUSETTS, 3), editor, reviewer, sources=[RMV, MS_DPS]),
        "ma1": approve(
            answer_at(MASSACHUSETTS, 1),
            editor,
            reviewer,
            text="Since 2004 the RMV shares records with ICE only when a court order requires it.",
        ),
        "ms1": approve(answer_at(MISSISSIPPI, 1), editor, reviewer, sources=[MS_DPS]),
        "ms20": approve(answer_at(MISSISSIPPI, 20), editor, reviewer, sources=[MS_DPS]),
    }


def make_key(user, *, documents=(), **fields) -> tuple[ApiKey, str]:
    return keys.issue(key=ApiKey(name=fields.pop("name", "site"), **fields), created_by=user,
                      documents=documents)  # fmt: skip


@pytest.fixture
def token(managing) -> str:
    """A key that reads everything approved."""
    return make_key(managing, everything=True)[1]


def get(client, path: str, key: str | None = None, **params):
    """GET /api/v1/<path> with the key as a bearer token (none: no Authorization header)."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.get(f"/api/v1/{path}", params, headers=headers)


def body(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return json.loads(response.content)


def documents_named(*names: str) -> list[Document]:
    return list(Document.objects.filter(name__in=names))


def all_pages(client, path: str, token: str, **params) -> list[dict]:
    """Every page of a list, following `next`."""
    pages = [body(get(client, path, token, **params))]
    while pages[-1]["next"]:
        pages.append(body(get(client, path, token, cursor=pages[-1]["next"], **params)))
    return pages
