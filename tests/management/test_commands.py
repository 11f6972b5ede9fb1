"""The management commands: import_answers and setup_demo, run as call_command runs them."""

from __future__ import annotations

import re
import shutil
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from reversion.models import Revision, Version

from editorial import workflow
from editorial.models import Answer, Document, WorkflowEvent
from tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db

MASSACHUSETTS = FIXTURES / "000_45b9d17f8c940ceb.txt"


def run(*args, **options) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


# --- import_answers -------------------------------------------------------------------------


def test_import_answers_summarises_a_first_import_and_a_repeat():
    out, err = run("import_answers", str(FIXTURES))

    assert out == "2 files: 40 created, 0 updated, 0 unchanged, 0 conflicting, 0 failed\n"
    assert err == ""
    assert Answer.objects.count() == 40
    assert sorted(Document.objects.values_list("subject", flat=True)) == [
        "Massachusetts",
        "Mississippi",
    ]
    versions = Version.objects.count()

    out, _ = run("import_answers", str(FIXTURES))

    assert out == "2 files: 0 created, 0 updated, 40 unchanged, 0 conflicting, 0 failed\n"
    assert Answer.objects.count() == 40
    assert Version.objects.count() == versions


def test_import_answers_lists_each_file_at_verbosity_2(tmp_path):
    copy = tmp_path / MASSACHUSETTS.name
    shutil.copy(MASSACHUSETTS, copy)

    out, _ = run("import_answers", str(copy), verbosity=2)

    assert out.splitlines() == [
        f"{copy}: 20 created, 0 updated, 0 unchanged, 0 conflicting",
        "1 file: 20 created, 0 updated, 0 unchanged, 0 conflicting, 0 failed",
    ]


def test_import_answers_counts_updated_and_conflicting_answers(tmp_path, editor):
    original = MASSACHUSETTS.read_text(encoding="utf-8")
    path = tmp_path / MASSACHUSETTS.name
    path.write_text(original, encoding="utf-8")
    run("import_answers", str(path))
    answers = {answer.position: answer for answer in Answer.objects.all()}
    workflow.edit(answers[5], user=editor, text="Staff text.")
    changed = original
    for position in (2, 5):
        assert changed.count(answers[position].imported_text) == 1
        changed = changed.replace(answers[position].imported_text, f"New answer {position}.")
    path.write_text(changed, encoding="utf-8")

    out, err = run("import_answers", str(path))

    assert out == "1 file: 0 created, 1 updated, 18 unchanged, 1 conflicting, 0 failed\n"
    assert err == ""
    assert Answer.objects.get(pk=answers[2].pk).text == "New answer 2."
    assert Answer.objects.get(pk=answers[5].pk).text == "Staff text."
    assert Answer.objects.get(pk=answers[5].pk).incoming_text == "New answer 5."


def test_import_answers_fails_with_the_file_error_and_imports_the_rest(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(MASSACHUSETTS, folder / MASSACHUSETTS.name)
    broken = folder / "broken.jsonl"
    broken.write_text('{"question": "One?", "answer": "A."}\n\n{"question": \n', encoding="utf-8")
    ignored = folder / "notes.md"  # not an importable type: folders skip it
    ignored.write_text("# notes\n", encoding="utf-8")

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_answers", str(folder), stdout=out, stderr=err)

    assert str(raised.value) == "1 file failed to import."
    assert raised.value.returncode == 1
    assert err.getvalue().startswith(f"{broken}:3: invalid JSON")
    assert out.getvalue() == (
        "2 files: 20 created, 0 updated, 0 unchanged, 0 conflicting, 1 failed\n"
    )
    assert list(Document.objects.values_list("name", flat=True)) == [MASSACHUSETTS.name]
    assert Answer.objects.count() == 20


def test_import_answers_records_the_user_given(editor):
    run("import_answers", str(MASSACHUSETTS), "--user", "editor")

    assert Document.objects.get().imported_by == editor
    assert set(Revision.objects.values_list("user", flat=True)) == {editor.pk}
    assert set(WorkflowEvent.objects.values_list("actor", flat=True)) == {editor.pk}


def test_import_answers_refuses_an_unknown_user_before_importing():
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        run("import_answers", str(FIXTURES), "--user", "nobody")

    assert Document.objects.count() == 0


def test_import_answers_refuses_a_folder_with_nothing_to_import(tmp_path):
    (tmp_path / "readme.md").write_text("nothing here", encoding="utf-8")

    with pytest.raises(CommandError, match="No importable files"):
        run("import_answers", str(tmp_path))


# --- setup_demo -----------------------------------------------------------------------------

DEMO_GROUPS = {"editor": "Editors", "reviewer": "Reviewers", "managing": "Managing editors"}
CREDENTIAL_LINE = re.compile(r"^  (Editors|Reviewers|Managing editors) +(\w+) +(\S+)$")


def credentials(out: str) -> dict[str, tuple[str, str]]:
    """username -> (group, password) as printed."""
    found = {}
    for line in out.splitlines():
        if match := CREDENTIAL_LINE.match(line):
            group, username, password = match.groups()
            found[username] = (group, password)
    return found


def test_setup_demo_imports_the_fixtures_and_prints_working_accounts(settings, client):
    settings.DEBUG = True

    out, err = run("setup_demo")

    assert err == ""
    assert "Fixtures: 2 files: 40 created, 0 updated, 0 unchanged, 0 conflicting, 0 failed" in out
    assert Answer.objects.count() == 40
    assert Document.objects.count() == 2
    printed = credentials(out)
    assert {name: group for name, (group, _) in printed.items()} == DEMO_GROUPS
    users = get_user_model().objects.all()
    assert {user.username for user in users} == set(DEMO_GROUPS)
    for user in users:
        assert list(user.groups.values_list("name", flat=True)) == [DEMO_GROUPS[user.username]]
        assert user.is_staff and user.is_active and not user.is_superuser
        assert user.check_password(printed[user.username][1])
    username, (_, password) = next(iter(printed.items()))
    # Through the login form, as a person signs in (django-axes needs the request).
    signed_in = client.post(
        "/admin/login/", {"username": username, "password": password, "next": "/admin/"}
    )
    assert signed_in.status_code == 302 and signed_in.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_setup_demo_is_idempotent(settings):
    settings.DEBUG = True
    first, _ = run("setup_demo")
    versions = Version.objects.count()
    users = set(get_user_model().objects.values_list("pk", "username"))

    second, _ = run("setup_demo")

    assert "Fixtures: 2 files: 0 created, 0 updated, 40 unchanged, 0 conflicting, 0 failed" in (
        second
    )
    assert Answer.objects.count() == 40
    assert Document.objects.count() == 2
    assert Version.objects.count() == versions
    assert set(get_user_model().objects.values_list("pk", "username")) == users
    old, new = credentials(first), credentials(second)
    assert set(new) == set(DEMO_GROUPS)
    for username, (group, password) in new.items():
        user = get_user_model().objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [group]
        assert user.check_password(password)
        # New passwords on every run: the ones printed before no longer work.
        assert not user.check_password(old[username][1])


def test_setup_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="only with DEBUG on"):
        run("setup_demo")

    assert get_user_model().objects.count() == 0
    assert Document.objects.count() == 0
