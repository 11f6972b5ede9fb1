"""Shared fixtures: the real seed corpus, and one user per role."""

import datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from editorial.importers import import_paths
from editorial.models import Answer, Document

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
