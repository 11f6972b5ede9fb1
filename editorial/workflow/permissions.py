"""Who may do what: predicates over people and answers, asked by guards, pages and lists.

Each is a plain function of the user (and the answer); none changes anything. A
permission comes from the groups the data migration creates (Editors, Reviewers,
Managing editors) or is given directly.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import Exists, OuterRef, QuerySet

from editorial.models import Answer, Status
from editorial.workflow.states import OPEN_STATES


def is_editor(user) -> bool:
    return user.is_active and user.has_perm("editorial.change_answer")


def is_reviewer(user) -> bool:
    return user.is_active and user.has_perm("editorial.review_answer")


def can_decide_any(user) -> bool:
    return user.is_active and user.has_perm("editorial.approve_any_answer")


def may_decide(user, answer: Answer | None = None) -> bool:
    """Approving and requesting changes is a reviewer's part, or an "approve any" holder's."""
    return is_reviewer(user) or can_decide_any(user)


def can_assign(user, answer: Answer | None = None) -> bool:
    return user.is_active and user.has_perm("editorial.assign_answer")


def can_archive(user, answer: Answer | None = None) -> bool:
    return user.is_active and user.has_perm("editorial.archive_answer")


def can_export(user) -> bool:
    return user.is_active and user.has_perm("editorial.export_answers")


def can_import(user) -> bool:
    return user.is_active and user.has_perm("editorial.import_documents")


def can_manage_webhooks(user) -> bool:
    """Endpoints, their secrets and redelivery: managing editors (editorial.manage_webhooks)."""
    return user.is_active and user.has_perm("editorial.manage_webhooks")


def is_responsible_editor(answer: Answer, user) -> bool:
    """The answer's editor; an unassigned answer belongs to the first editor who claims it."""
    if not is_editor(user):
        return False
    return user.is_superuser or answer.editor_id in (None, user.pk)


def editor_part(user, answer: Answer | None = None) -> bool:
    """Submitting and withdrawing are the answer's editor's part (any editor's, in a list)."""
    return is_editor(user) if answer is None else is_responsible_editor(answer, user)


def editing_part(user, answer: Answer | None = None) -> bool:
    """Claiming and merging are an editor's part."""
    return is_editor(user)


def decides_on(reviewer_id: int | None, user) -> bool:
    """Whether the user may decide on an answer assigned to reviewer_id: its assigned
    reviewer, or a holder of "approve any" (guards.guard_review says why not, when not)."""
    return can_decide_any(user) or (is_reviewer(user) and reviewer_id == user.pk)


def may_assign_reviewer(answer: Answer, user) -> bool:
    return can_assign(user) and answer.status in OPEN_STATES


def may_assign_editor(answer: Answer, user) -> bool:
    return can_assign(user) and answer.status != Status.ARCHIVED


def may_claim(answer: Answer, user) -> bool:
    return is_editor(user) and answer.editor_id is None and answer.status != Status.ARCHIVED


def _holders(codename: str) -> QuerySet:
    """Active users who hold an editorial permission through a group or directly."""
    permission = Permission.objects.get(content_type__app_label="editorial", codename=codename)
    User = get_user_model()
    # EXISTS, not joins: a join with DISTINCT multiplied any count annotated on top (a
    # reviewer in two reviewing groups, or with the permission twice, counted double).
    through_group = Group.permissions.through.objects.filter(
        group__user=OuterRef("pk"), permission=permission
    )
    direct = User.user_permissions.through.objects.filter(
        user=OuterRef("pk"), permission=permission
    )
    return User.objects.filter(Exists(through_group) | Exists(direct), is_active=True)


def reviewers() -> QuerySet:
    return _holders("review_answer")


def editors() -> QuerySet:
    return _holders("change_answer")


def display_name(user, nobody: str = "nobody") -> str:
    """How people are named in messages and e-mails: their full name, else the username;
    `nobody` where there is no one."""
    if user is None:
        return nobody
    return user.get_full_name() or user.get_username()
