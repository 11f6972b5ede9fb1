"""A day's work through the app's own paths, each step committed on its own: every kind of
history write there is. The chain's test checks the history it leaves verifies
(tests/storage/test_chain.py); CI runs it on a new database outside the suite and then
`manage.py verify_history` (.ci/run); the roles test runs it as the service role
(tests/storage/test_roles.py):

    .venv/bin/python manage.py shell -c "from tests.history_day import main; main()"
"""

from __future__ import annotations

import io

from django.contrib.auth.models import Group, User
from reversion.models import Version

from editorial import workflow
from editorial.exporters import Export
from editorial.importers import import_contents, import_paths
from editorial.insights import review_quality
from editorial.models import Answer, ExportRecord, Status
from tests.conftest import FIXTURES, a_source, ma, put_in_state, settle_claims

PEOPLE = (("editor", "Editors"), ("reviewer", "Reviewers"), ("managing", "Managing editors"))


def work_a_day(people) -> ExportRecord:
    """Every path that appends history, each committed (and so sealed) on its own: bulk
    import, edits, claims, steps, a request for changes, approvals one at a time and in bulk,
    an edit after approval and a re-approval, a re-import kept as a conflict and merged, a
    revert, an archive, a review's timings, and an export."""
    editor, reviewer, managing = people["editor"], people["reviewer"], people["managing"]
    assert not import_paths([FIXTURES]).failed
    first = put_in_state(ma(2), Status.APPROVED, people)
    workflow.edit(first, user=editor, text=first.text + " Checked again.")
    first = put_in_state(Answer.objects.get(pk=first.pk), Status.APPROVED, people)
    several = [ma(position) for position in (3, 4, 5)]
    for answer in several:
        workflow.edit(answer, user=editor, sources=[a_source()])
        settle_claims(answer, editor)
        workflow.submit(answer, editor, reviewer=reviewer)
    review_quality.record_opening(answer_id=several[0].pk, user=reviewer)
    outcome = workflow.approve_many(
        answers=several,
        user=reviewer,
        expected_versions={a.pk: Answer.objects.get(pk=a.pk).version for a in several},
    )
    assert len(outcome.done) == 3, outcome.refused
    sent_back = put_in_state(ma(6), Status.CHANGES_REQUESTED, people)
    first_version = Version.objects.get_for_object(sent_back).order_by("pk").first()
    workflow.revert(sent_back, user=editor, version_id=first_version.pk)
    workflow.archive(ma(7), managing, comment="Duplicate.")
    # A re-import changing an approved answer's machine text: kept beside it, then merged.
    name = first.document.name
    original = (FIXTURES / name).read_text()
    changed = original.replace(first.imported_text.split(".")[0], "The RMV said otherwise", 1)
    assert changed != original
    assert not import_contents([(name, changed.encode())]).failed
    conflicted = Answer.objects.get(pk=first.pk)
    assert conflicted.has_import_conflict
    workflow.mark_import_merged(conflicted, user=editor, comment="Kept ours.")
    review_quality.refresh_decisions()
    export = Export("jsonl", user=managing, channel="command")
    export.write_to(io.BytesIO())
    return export.record


def main() -> None:
    """The day's work on this database, its people made first (they must not exist)."""
    people = {}
    for username, group in PEOPLE:
        user = User.objects.create_user(
            username, password=None, email=f"{username}@example.org", is_staff=True
        )
        user.groups.set(Group.objects.filter(name=group))
        people[username] = user
    record = work_a_day(people)
    print(
        f"A day's work done: {Answer.objects.filter(status=Status.APPROVED).count()} answers "
        f"approved, export {record.pk} made at link {record.chain_position}."
    )
