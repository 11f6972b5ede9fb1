"""Reversion revisions and versions written in bulk, as reversion itself would write them.

bulk_create and QuerySet.update() send no signals, so reversion records nothing for them
(its documentation says so): a bulk path adds its objects' revisions and versions itself.
Every such revision goes through `create_revisions` (noted for the history chain, as
reversion's own are through its signal) and every such version through `write_versions`,
serialised exactly as reversion's own `create_revision` serialises, so history, diffs and
revert read them like any other.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Sequence

from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, router
from reversion.models import Revision, Version

from editorial.storage import chain
from editorial.storage.bulk import insert_copies, numbered

# A version to write: (revision id, content type id, database, object id, serialised data,
# object repr); version_rows() makes them.
VersionRow = tuple[int, int, str, str, str, str]
_VERSION_VARYING = ("revision", "content_type", "db", "object_id", "serialized_data", "object_repr")


def create_revisions(revisions: Iterable[Revision]) -> list[Revision]:
    """The one bulk-revision writer: these revisions in one statement, each to be sealed into
    the history chain with its versions, events and approvals when the transaction commits."""
    created = Revision.objects.bulk_create(revisions)
    chain.note([revision.pk for revision in created], using=router.db_for_write(Revision))
    return created


def write_versions(*rows: Iterable[VersionRow]) -> None:
    """The one bulk-version writer: every version given, of any models, in one statement,
    hashed for the history chain as written (storage.chain.note_copies)."""
    template = Version(format="json")
    varying, written = numbered(Version, _VERSION_VARYING, list(itertools.chain(*rows)))
    insert_copies(template, varying, written)
    chain.note_copies(template, varying, written, router.db_for_write(Version))


def version_rows(
    model: type[models.Model], versions: Iterable[tuple[int, int, str, str]]
) -> Iterator[VersionRow]:
    """Versions of objects of `model`, given as (revision id, object id, serialised data,
    repr), as reversion records them."""
    content_type = ContentType.objects.get_for_model(model).pk
    database = router.db_for_write(model)
    for revision_id, object_id, data, text in versions:
        yield revision_id, content_type, database, str(object_id), data, text


def serialized(objects: Sequence[models.Model]) -> Iterator[str]:
    """Each object as reversion stores it: Django's JSON serialisation of a one-item list.

    Serialised together through the "python" serializer and dumped one by one with the C
    JSON encoder: Django's "json" serializer writes through json.dump, in Python, at a
    third of the speed; the JSON is the same (DjangoJSONEncoder, ensure_ascii off).
    """
    for item in serializers.serialize("python", objects):
        yield json.dumps([item], cls=DjangoJSONEncoder, ensure_ascii=False)


def versions_of(
    objects: Sequence[models.Model], revisions: Iterable[Revision]
) -> Iterator[VersionRow]:
    """The versions of objects of one model, each in its revision (paired in order)."""
    if not objects:
        return iter(())
    return version_rows(
        type(objects[0]),
        (
            (revision.pk, obj.pk, data, str(obj))
            for obj, revision, data in zip(objects, revisions, serialized(objects), strict=True)
        ),
    )


class Copies:
    """The serialisation of many objects that differ from one template only in a few fields.

    An import writes its answers as rows (storage.bulk.insert_copies), never as instances:
    serialising 10,000 instances took longer than writing them. The template is serialised
    once by Django, and each copy's data is that with its varying values put in, which is
    what the serializer writes for them (text, integers, ids).

    The JSON is the template's, cut where the primary key and the varying values go: a
    copy's is those pieces joined with its values encoded, each text once even where it
    stands twice (an imported answer's text is also its imported text). json.dumps of the
    whole object took a twelfth of an import; the bytes are the same.
    """

    def __init__(self, template: models.Model, varying: Sequence[str]) -> None:
        pk, template.pk = template.pk, None
        item = serializers.serialize("python", [template])[0]
        template.pk = pk
        self.model = item["model"]
        self.fields = json.loads(json.dumps(item["fields"], cls=DjangoJSONEncoder))
        self.varying = varying
        # Each slot's name is a string JSON writes as it is, found again in the output.
        slots = [f"\ue000slot{index}\ue000" for index in range(len(varying) + 1)]
        fields = {**self.fields, **dict(zip(varying, slots[1:], strict=True))}
        text = json.dumps(
            [{"model": self.model, "pk": slots[0], "fields": fields}], ensure_ascii=False
        )
        self._pieces: list[str] = []
        for slot in slots:
            before, text = text.split(f'"{slot}"')
            self._pieces.append(before)
        self._pieces.append(text)

    def data(self, pk: int, values: Sequence) -> str:
        """The serialised version of the copy with this primary key and these values."""
        pieces = self._pieces
        out = [pieces[0], _encode(pk)]
        encoded: dict[int, str] = {}  # by identity: the values live as long as this call
        for piece, value in zip(pieces[1:-1], values, strict=True):
            text = encoded.get(id(value))
            if text is None:
                text = encoded[id(value)] = _encode(value)
            out.append(piece)
            out.append(text)
        out.append(pieces[-1])
        return "".join(out)


def _encode(value) -> str:
    """A value as json.dumps(ensure_ascii=False) writes it: texts, integers, None, booleans."""
    kind = type(value)
    if kind is str:
        return _encode_text(value)
    if kind is int:
        return int.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


_encode_text = json.encoder.encode_basestring
