"""Helpers of the admin's tests: a comment, answers ready for approval, a version of an answer,
the merge page's form as a browser posts it."""

from __future__ import annotations

from html.parser import HTMLParser

from django.test import Client
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


class MergeForm(HTMLParser):
    """What a browser would post from the merge page's form: its fields, radios unchosen."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.radios: dict[str, list[str]] = {}
        self.checked: dict[str, str] = {}
        self.action = ""
        self._inside = False
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == "merge_form":
            self._inside, self.action = True, attrs["action"]
        elif not self._inside:
            return
        elif tag == "input" and attrs.get("type") == "radio":
            self.radios.setdefault(attrs["name"], []).append(attrs["value"])
            if "checked" in attrs:
                self.checked[attrs["name"]] = attrs["value"]
        elif tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.fields[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            # A textarea's first line break is not its content (HTML parsing drops it).
            self.fields[self._textarea] = self.fields[self._textarea].removeprefix("\n")
            self._textarea = None
        elif tag == "form":
            self._inside = False

    def post(self, client: Client, action: str = "save", **choices):
        data = {**self.fields, **self.checked, **choices, "action": action}
        return client.post(self.action, data)
