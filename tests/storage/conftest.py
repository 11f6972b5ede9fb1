"""The history every backup test backs up, and a backup of it with the database emptied."""

import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection

from editorial import workflow
from editorial.exporters import Export
from editorial.insights import review_quality
from editorial.models import (
    Answer,
    ExportRecord,
    HistoryLink,
    Notice,
    ReviewDecision,
    ReviewOpening,
)
from editorial.storage import chain
from tests.conftest import RMV_SOURCE, settle_claims

SOURCE = RMV_SOURCE


@pytest.fixture
def history(seeds, people):
    """Edits, sources, an approval then a new draft, a request for changes, an archive, an
    export: every kind of row a backup must carry."""
    editor, reviewer, managing = people["editor"], people["reviewer"], people["managing"]
    answers = Answer.objects.filter(document__subject="Massachusetts").order_by("position")
    first, second, third = answers[1], answers[2], answers[3]
    workflow.edit(first, user=editor, text=first.text + " Checked in 2024.", sources=[SOURCE])
    # Its claims settled in one edit: "2024" linked to the source, the agencies marked known.
    workflow.settle_claims(
        first, user=editor, claims=[c.key for c in workflow.unsettled_claims(first)],
        kind="common_knowledge", reason="The agencies the question names.",
        overrides={"2024": {"kind": "source", "source_id": first.sources.get().pk,
                            "excerpt": SOURCE["excerpt"]}},
    )  # fmt: skip
    workflow.submit(first, editor, reviewer=reviewer, comment="Sourced.")
    workflow.approve(first, reviewer, comment="Fine.")
    workflow.edit(first, user=editor, text=first.text + " Later.")  # approved stays pinned
    workflow.edit(second, user=editor, sources=[SOURCE])
    settle_claims(second, editor)
    workflow.submit(second, editor, reviewer=reviewer)
    review_quality.record_opening(answer_id=second.pk, user=reviewer)
    workflow.request_changes(second, reviewer, comment="Which law?")
    workflow.archive(third, managing, comment="Duplicate.")
    review_quality.refresh_decisions()
    chain.seal()  # as the commits would have: every revision in the chain
    Export("jsonl", user=managing, channel="command").write_to(io.BytesIO())
    assert Notice.objects.exists() and ExportRecord.objects.exists()
    assert first.claim_evidence.exists() and first.approved.claims
    assert ReviewOpening.objects.count() == 1 and ReviewDecision.objects.count() == 2
    assert HistoryLink.objects.exists() and ExportRecord.objects.get().chain_position
    return first


@pytest.fixture
def fresh_content_types():
    """Flushing inside the test renumbers content types; the cache must forget them."""
    ContentType.objects.clear_cache()
    yield
    ContentType.objects.clear_cache()


@pytest.fixture
def backed_up(history, tmp_path, fresh_content_types):
    """A backup of the history, and the database emptied as a new deployment has it."""
    path = tmp_path / "editorial.json"
    call_command("backup", str(path), stderr=io.StringIO())
    emptied()
    return path


def emptied() -> None:
    """The database as a new deployment has it: schema, content types, permissions, groups."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # TRUNCATE waits for no FK check
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, reset_sequences=False, verbosity=0)
    ContentType.objects.clear_cache()
    call_command("migrate", verbosity=0)
