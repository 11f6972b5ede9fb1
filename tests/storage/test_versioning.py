"""Versions written in bulk (storage.versioning) are the versions reversion itself writes:
history, diffs and revert read them alike."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from reversion.models import Revision, Version

from editorial import workflow
from editorial.models import Answer, Source
from editorial.storage import versioning
from tests.conftest import RMV_SOURCE

pytestmark = pytest.mark.django_db


def test_a_bulk_version_holds_what_reversion_writes(answer, editor):
    workflow.edit(answer, user=editor, text=answer.text + " Ünïcode — kept.", sources=[RMV_SOURCE])
    written = Version.objects.get_for_object(answer).first()  # by reversion
    row = Answer.objects.select_related("document").get(pk=answer.pk)
    source = Source.objects.get(answer=row)

    (ours,) = versioning.serialized([row])
    (source_data,) = versioning.serialized([source])

    # The flags are stored after the version (derived, not versioned): compare the rest.
    derived = {"flags", "flag_level", "text_fingerprint"}

    def content(data: str) -> list:
        items = json.loads(data)
        for item in items:
            item["fields"] = {k: v for k, v in item["fields"].items() if k not in derived}
        return items

    assert content(ours) == content(written.serialized_data)
    by_reversion = written.revision.version_set.get(content_type__model="source")
    assert json.loads(source_data) == json.loads(by_reversion.serialized_data)


def test_versions_of_any_models_go_in_one_statement_and_read_back(answer, editor):
    workflow.edit(answer, user=editor, sources=[RMV_SOURCE])
    row = Answer.objects.select_related("document").get(pk=answer.pk)
    source = row.sources.get()
    revision = Revision.objects.create(comment="bulk", date_created=timezone.now())
    before = Version.objects.count()

    with CaptureQueriesContext(connection) as queries:
        versioning.write_versions(
            versioning.versions_of([row], [revision]),
            versioning.versions_of([source], [revision]),
        )

    # Their ids reserved (so that sealing reads none back), then the one statement.
    assert len(queries) == 2 and "reversion_version" in queries[1]["sql"]
    assert Version.objects.count() == before + 2
    newest = Version.objects.get_for_object(row).order_by("-pk").first()
    assert newest.revision == revision and newest.object_repr == str(row)
    assert newest.field_dict["text"] == row.text
    assert workflow.version_sources(newest)[0]["url"] == RMV_SOURCE["url"]


def test_copies_serialise_as_django_serialises_each_copy(seeds):
    first, second = Answer.objects.select_related("document").order_by("pk")[:2]
    varying = ("position", "question", "text")
    copies = versioning.Copies(first, varying)

    data = copies.data(second.pk, [second.position, second.question, second.text])

    # The template and the copy differ only in the varying fields (and the primary key).
    expected = json.loads(next(versioning.serialized([second])))
    expected[0]["fields"].update(
        {
            name: json.loads(next(versioning.serialized([first])))[0]["fields"][name]
            for name in expected[0]["fields"]
            if name not in varying
        }
    )
    assert json.loads(data) == expected


def test_copies_are_byte_for_byte_what_json_dumps_writes(seeds):
    first = Answer.objects.select_related("document").order_by("pk").first()
    varying = ("document", "position", "question", "text", "imported_question",
               "imported_text", "flags", "flag_level", "text_fingerprint")  # fmt: skip
    copies = versioning.Copies(first, varying)
    fields = json.loads(next(versioning.serialized([first])))[0]["fields"]
    question, text = 'Quoted "Q"? \\ é \u2028', "Tab\there, \x01, emoji 💡, </script>"
    for pk, values in (
        (7, (first.document_id, 3, question, text, question, text, "no_source", 2, "ab")),
        (8, (12, 4, question, text, question + "!", text * 2, "", 0, "")),
    ):
        fields.update(zip(varying, values, strict=True))
        expected = json.dumps(
            [{"model": "editorial.answer", "pk": pk, "fields": fields}], ensure_ascii=False
        )
        assert copies.data(pk, values) == expected


def test_reserved_ids_are_never_given_again_not_even_those_of_deleted_rows(answer):
    from django.db import transaction

    from editorial.storage.bulk import insert_copies, reserve_ids

    # The newest answer deleted: its id must not come back (it may be in the history).
    newest = Answer.objects.create(document=answer.document, position=999, question="Q", text="A")
    newest_pk = newest.pk
    newest.delete()
    with transaction.atomic():
        reserved = list(reserve_ids(Answer, 3))
        assert len(set(reserved)) == 3
        assert min(reserved) > newest_pk
        now = timezone.now()
        template = Answer(
            document=answer.document, question="Q?", text="A.", created_at=now, updated_at=now
        )
        rows = [(pk, 1000 + index) for index, pk in enumerate(reserved)]
        insert_copies(template, ("id", "position"), rows)
    assert (
        list(Answer.objects.filter(pk__in=reserved).order_by("pk").values_list("pk", "position"))
        == rows
    )
    # An ordinary insert after them takes an id after theirs.
    later = Answer.objects.create(document=answer.document, position=2000, question="Q", text="A")
    assert later.pk > max(reserved)
