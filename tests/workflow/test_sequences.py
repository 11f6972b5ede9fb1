"""Random sequences of edits and steps by random users: the rules hold after every one."""

import contextlib
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from reversion.models import Version

from editorial import flags, workflow
from editorial.importers import import_file
from editorial.models import ApprovedVersion, WorkflowEvent
from editorial.workflow import WorkflowError
from tests.workflow.conftest import SOURCE

pytestmark = pytest.mark.django_db

TEXTS = [
    "The Registry shares license data only under a warrant.",
    "As of my last update, the Registry shares data daily.",
    "",
    "The RMV publishes its data-sharing agreements.",
]


class WorkflowMachine(RuleBasedStateMachine):
    """Random edits and steps by random users; the rules must hold after every one."""

    users: dict = {}
    counter = 0

    def __init__(self):
        super().__init__()
        WorkflowMachine.counter += 1
        # A real import, so the answer starts as every answer does: one version, one event.
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"machine-{WorkflowMachine.counter}.jsonl"
            path.write_text(
                json.dumps({"question": "Does the RMV share data?", "answer": TEXTS[0]})
            )
            document = import_file(path).document
        self.answer = document.answers.get()

    def _try(self, step, *args, **kwargs):
        with contextlib.suppress(WorkflowError):
            step(*args, **kwargs)
        self.answer.refresh_from_db()

    @rule(user=st.sampled_from(["editor", "both", "reviewer", "root"]),
          text=st.sampled_from(TEXTS), with_source=st.booleans())  # fmt: skip
    def edit(self, user, text, with_source):
        self._try(workflow.edit, self.answer, user=self.users[user], text=text,
                  sources=[SOURCE] if with_source else [])  # fmt: skip

    @rule(user=st.sampled_from(["editor", "both", "root", "reviewer"]),
          reviewer=st.sampled_from([None, "reviewer", "both"]))  # fmt: skip
    def submit(self, user, reviewer):
        self._try(workflow.submit, self.answer, self.users[user],
                  reviewer=self.users.get(reviewer))  # fmt: skip

    @rule(user=st.sampled_from(list(("editor", "both", "reviewer", "managing", "root"))),
          step=st.sampled_from(["withdraw", "approve", "request_changes", "archive",
                                "restore", "claim"]),
          comment=st.sampled_from(["", "Fix the date."]))  # fmt: skip
    def step(self, user, step, comment):
        if step == "claim":
            self._try(workflow.claim, self.answer, self.users[user])
        else:
            self._try(getattr(workflow, step), self.answer, self.users[user], comment=comment)

    @rule(user=st.sampled_from(["managing", "root", "editor"]),
          reviewer=st.sampled_from([None, "reviewer", "both"]))  # fmt: skip
    def assign(self, user, reviewer):
        self._try(workflow.assign_reviewer, self.answer, self.users[user],
                  reviewer=self.users.get(reviewer))  # fmt: skip

    @invariant()
    def approvals_obey_the_rules(self):
        events = list(self.answer.events.order_by("id"))
        edited_since: set[int] = set()
        for event in events:
            if event.action in (WorkflowEvent.Action.EDIT, WorkflowEvent.Action.REVERT):
                edited_since.add(event.actor_id)
            if event.action == WorkflowEvent.Action.APPROVE:
                assert event.actor_id not in edited_since, "self-approval"
                edited_since = set()
        pinned = ApprovedVersion.objects.current().filter(answer=self.answer).first()
        if pinned is not None:
            assert pinned.sources, "approved without a source"
            assert pinned.text.strip(), "approved an empty answer"
            assert not flags.has_hedge(pinned.text), "approved with a blocking flag"
            assert pinned.approved_by_id == events_of(self.answer, "approve")[-1].actor_id

    @invariant()
    def log_and_revisions_agree_with_state(self):
        last = self.answer.events.order_by("-id").first()
        assert last.to_status == self.answer.status
        latest = Version.objects.get_for_object(self.answer).first()
        assert latest.field_dict["status"] == self.answer.status
        assert latest.revision_id == last.revision_id


def events_of(answer, action):
    return list(answer.events.filter(action=action).order_by("id"))


def test_random_sequences_never_break_the_rules(editor, editor_reviewer, reviewer, managing,
                                                superuser):  # fmt: skip
    WorkflowMachine.users = {
        "editor": editor,
        "both": editor_reviewer,
        "reviewer": reviewer,
        "managing": managing,
        "root": superuser,
    }
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        WorkflowMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
