"""What the merge page reads and lays out: the content a form posted (typed on the change form,
or carried by the merge page), the passages to choose between and the sources' choice."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator

from django import forms
from django.urls import reverse

from editorial.admin.answer_form import TextInput
from editorial.diffs import (
    THEIRS,
    YOURS,
    Agreed,
    ContentMerge,
    Passage,
    Snapshot,
    diff_words,
    sources_text,
)
from editorial.models import Answer, Source, WebURLFormField

# How much of the agreed text around a passage is shown with it, in characters.
CONTEXT_CHARS = 160


class TypedSource(forms.ModelForm):
    """One source as typed on the change form (or carried by the merge page)."""

    url = WebURLFormField(label="URL", max_length=2000)  # normalised as the model saves it
    excerpt = TextInput(required=False)

    class Meta:
        model = Source
        fields = ["url", "title", "publisher", "accessed_on", "excerpt"]


def typed_source_rows(post, names) -> Iterator[tuple[str, dict[str, str]]]:
    """The change form's source rows as posted, each with its prefix, but those marked for
    deletion; at most 1,000, whatever TOTAL_FORMS claims."""
    total = post.get("sources-TOTAL_FORMS", "0")
    for index in range(min(int(total) if total.isdigit() else 0, 1000)):
        prefix = f"sources-{index}-"
        if not post.get(prefix + "DELETE"):
            yield prefix, {name: post.get(prefix + name, "") for name in names}


def typed_content(post) -> Snapshot | None:
    """The question, text and sources typed into the change form, or None if not valid."""
    question = _text(post.get("question"), required=True)
    text = _text(post.get("text"))
    if question is None or text is None:
        return None
    sources = []
    for prefix, data in typed_source_rows(post, TypedSource.Meta.fields):
        if not any(data[name].strip() for name in ("url", "title", "publisher", "excerpt")):
            continue  # an added row left empty, as the formset skips it
        source = _source(data, post.get(prefix + "id", ""))
        if source is None:
            return None
        sources.append(source)
    return Snapshot(question=question, text=text, sources=tuple(sources), label="yours")


def carried_content(post) -> Snapshot | None:
    """The typing a merge page carries (its readonly copies and the sources as JSON)."""
    question = _text(post.get("yours_question"), required=True)
    text = _text(post.get("yours_text"))
    try:
        rows = json.loads(post.get("yours_sources") or "[]")
    except ValueError:
        return None
    if question is None or text is None or not isinstance(rows, list):
        return None
    sources = []
    for row in rows:
        if not isinstance(row, dict):
            return None
        data = {name: str(row.get(name) or "") for name in TypedSource.Meta.fields}
        source = _source(data, str(row.get("id") or ""))
        if source is None:
            return None
        sources.append(source)
    return Snapshot(question=question, text=text, sources=tuple(sources), label="yours")


def _source(data: dict, pk: str) -> dict | None:
    form = TypedSource(data)
    if not form.is_valid():
        return None
    return {"id": int(pk) if pk.isdigit() else None, **form.cleaned_data}


def _text(value, *, required: bool = False) -> str | None:
    try:
        return TextInput(required=required).clean(value)
    except forms.ValidationError:
        return None


def posted_number(value) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None


def posted_choices(post) -> dict[str, str]:
    return {name: value for name, value in post.items() if value in (YOURS, THEIRS)}


def sources_json(sources) -> str:
    def plain(value):
        return value.isoformat() if isinstance(value, datetime.date) else value

    return json.dumps(
        [{name: plain(value) for name, value in source.items()} for source in sources]
    )


def passage_rows(merge: ContentMerge, choices: dict, sides: dict, missing: list[str]):
    """Each passage with the agreed text around it, its two sides and what differs."""
    rows = []
    for part, label, text_merge in (("question", "Question", merge.question),
                                    ("text", "Answer", merge.text)):  # fmt: skip
        pieces = text_merge.pieces
        count = len(text_merge.passages)
        number = 0
        for index, piece in enumerate(pieces):
            if not isinstance(piece, Passage):
                continue
            number += 1
            before = (
                pieces[index - 1].text if index and isinstance(pieces[index - 1], Agreed) else ""
            )
            after = (
                pieces[index + 1].text
                if index + 1 < len(pieces) and isinstance(pieces[index + 1], Agreed)
                else ""
            )
            name = f"{part}-{number}"
            rows.append(
                {
                    "name": name,
                    "label": f"{label}, passage {number} of {count}",
                    "before": _tail(before),
                    "after": _head(after),
                    "options": [
                        {"value": side, "label": sides[side], "text": piece.side(side)}
                        for side in (YOURS, THEIRS)
                    ],
                    "chosen": choices.get(name),
                    "missing": name in missing,
                    "diff": diff_words(piece.theirs, piece.yours),
                }
            )
    return rows


def sources_choice(merge: ContentMerge, choices: dict, missing: list[str]) -> dict | None:
    if merge.sources is None or not merge.sources.needs_choice:
        return None
    return {
        "theirs": sources_text(merge.sources.theirs).splitlines(),
        "yours": sources_text(merge.sources.yours).splitlines(),
        "chosen": choices.get("sources"),
        "missing": "sources" in missing,
    }


def _tail(text: str) -> str:
    if len(text) <= CONTEXT_CHARS:
        return text
    cut = text[-CONTEXT_CHARS:]
    return "…" + cut[cut.find(" ") + 1 :] if " " in cut else "…" + cut


def _head(text: str) -> str:
    if len(text) <= CONTEXT_CHARS:
        return text
    cut = text[:CONTEXT_CHARS]
    return cut[: cut.rfind(" ")] + "…" if " " in cut else cut + "…"


def labelled(snapshot: Snapshot, label: str) -> Snapshot:
    """The content under another name (and without claims, which a merge leaves alone)."""
    return Snapshot(snapshot.question, snapshot.text, snapshot.sources, label=label)


def same_content(one: Snapshot, other: Snapshot) -> bool:
    return (one.question, one.text, sources_text(one.sources)) == (
        other.question,
        other.text,
        sources_text(other.sources),
    )


def change_url(answer: Answer) -> str:
    return reverse("admin:editorial_answer_change", args=[answer.pk])
