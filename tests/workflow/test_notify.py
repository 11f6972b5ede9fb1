"""Steps announced once committed reach the right people by e-mail."""

import pytest

from editorial import workflow
from tests.workflow.conftest import sourced

pytestmark = pytest.mark.django_db


def test_notifications_go_to_the_right_people(answer, editor, reviewer, mailoutbox,
                                              django_capture_on_commit_callbacks):  # fmt: skip
    answer = sourced(answer, editor)
    with django_capture_on_commit_callbacks(execute=True):
        answer = workflow.submit(answer, editor, reviewer=reviewer)
    assert [m.to for m in mailoutbox] == [[reviewer.email]]
    assert "Review requested" in mailoutbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        answer = workflow.request_changes(answer, reviewer, comment="Cite the law.")
    assert mailoutbox[-1].to == [editor.email] and "Cite the law." in mailoutbox[-1].body
    with django_capture_on_commit_callbacks(execute=True):
        answer = workflow.submit(answer, editor)
        workflow.approve(answer, reviewer)
    assert [m.to for m in mailoutbox[-2:]] == [[reviewer.email], [editor.email]]
    assert mailoutbox[-1].subject.startswith("Approved")
