"""Helpers of the admin's tests: a comment, answers ready for approval, a version of an answer."""

from __future__ import annotations

from reversion.models import Version

from editorial.models import Answer

COMMENT = "Please cite the 2004 statute."


def approvable(count: int) -> list[Answer]:
    """Answers that lack only a source and their claims' settlement to be approved, in
    reading order."""
    answers = Answer.objects.select_related("document").order_by("document__name", "position")
    return [a for a in answers if not {"hedge", "empty"} & set(a.flag_codes)][:count]


def version_with(answer: Answer, **fields) -> Version:
    """The answer's newest version whose fields have these values."""
    matches = [
        version
        for version in Version.objects.get_for_object(answer).order_by("pk")
        if all(version.field_dict[key] == value for key, value in fields.items())
    ]
    assert matches, fields
    return matches[-1]
