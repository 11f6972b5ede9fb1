"""How a write lands: the version's compare-and-set in the database on its own, and the
version and state checks that refuse a stale page."""

import pytest

from editorial.models import Answer, Status
from editorial.workflow import StaleVersionError, check_version
from editorial.workflow.saving import bump_version, locked

pytestmark = pytest.mark.django_db


def test_the_version_is_raised_by_compare_and_set_even_without_a_lock(answer):
    """Two writers holding the same version: the second raise is refused by the database's
    WHERE version = …, not by any lock or check before it."""
    first = Answer.objects.get(pk=answer.pk)
    second = Answer.objects.get(pk=answer.pk)
    start = first.version

    bump_version(first)
    with pytest.raises(StaleVersionError) as refused:
        bump_version(second)

    assert (refused.value.loaded, refused.value.current) == (start, start + 1)
    assert first.version == start + 1 and second.version == start  # the loser is not bumped
    assert Answer.objects.get(pk=answer.pk).version == start + 1  # exactly one increment


def test_a_page_that_showed_another_version_or_state_is_refused(answer):
    row = Answer.objects.get(pk=answer.pk)
    check_version(row, row.version, row.status)  # the page showed what is stored: fine
    with pytest.raises(StaleVersionError) as older:
        check_version(row, row.version - 1 if row.version > 1 else row.version + 1)
    assert "Someone else saved this answer" in str(older.value)
    with pytest.raises(StaleVersionError, match="The answer became draft while you had this"):
        check_version(row, row.version, Status.APPROVED)
    with pytest.raises(StaleVersionError):
        locked(row, expected_version=row.version + 1)
