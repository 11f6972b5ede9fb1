"""New documents in bulk: a handful of statements for any number of files.

Rows are inserted directly (storage.bulk.insert_copies), so neither signals nor
reversion see them: the revisions, versions and events the per-file writer gets from
reversion are written here, through the same writers (storage.versioning, storage.events).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable

from reversion.models import Revision

from editorial import flags
from editorial.importers.prepare import PreparedFile
from editorial.importers.results import FileResult
from editorial.importers.rows import new_answer, new_document
from editorial.models import Answer, Document, Status, WorkflowEvent, answer_name
from editorial.storage import events, search, versioning
from editorial.storage.bulk import insert_copies

# The fields in which one imported answer differs from another, as create_documents lists them.
_ANSWER_VARYING = (
    "document", "position", "question", "text", "imported_question", "imported_text",
    "flags", "flag_level", "text_fingerprint",
)  # fmt: skip


# A new document's answers are written in bulk; False takes the per-answer path for every
# file, which the tests compare the bulk path against (they set it here).
BULK_NEW_DOCUMENTS = True


def bulk_new_documents() -> bool:
    """Whether new documents are written in bulk (BULK_NEW_DOCUMENTS, read when used)."""
    return BULK_NEW_DOCUMENTS


# How often create_documents says how far it has got, in answers.
REPORT_EVERY = 2_000


def create_documents(
    files: list[PreparedFile],
    *,
    user,
    now: datetime.datetime,
    report: Callable[[int, str], None] | None = None,
) -> list[FileResult]:
    """New documents and their answers in bulk, with all the per-answer path writes.

    That is, for each answer: its quality flags (and the duplicate flag of earlier
    copies), one version in one reversion revision per file, and an import event tied to
    that revision, serialised as reversion serialises them. The files' names must be new
    and distinct. `report(answers, what)` hears how far it has got, inside its transaction
    (a job page shows it while a large file is written).
    """
    report = report or _silent
    documents = Document.objects.bulk_create(
        [new_document(file, user=user, now=now) for file in files]
    )
    prints = [print_ for file in files for print_ in file.prints if print_]
    earlier = flags.first_copies(prints)
    count = Counter(print_ for _, _, print_ in earlier) + Counter(prints)
    varying = []
    for document, file in zip(documents, files, strict=True):
        for item, print_, found in zip(file.items, file.prints, file.flags, strict=True):
            codes, level = flags.stored(found, duplicate=bool(print_) and count[print_] > 1)
            level = int(level)
            question, text = item.question, item.answer
            varying.append(
                (document.pk, item.position, question, text, question, text, codes, level, print_)
            )
    answer = new_answer(documents[0], files[0].items[0], created_at=now, updated_at=now)
    report(0, f"storing {len(varying):,} answers")
    with search.indexed_in_bulk():
        insert_copies(answer, _ANSWER_VARYING, varying)
    ids = {
        (document, position): pk
        for document, position, pk in Answer.objects.filter(document__in=documents)
        .order_by()
        .values_list("document", "position", "pk")
    }
    revisions = versioning.create_revisions(
        [
            Revision(date_created=now, user=user, comment=f"Imported from {document.name}")
            for document in documents
        ]
    )
    revision_of = {
        document.pk: revision.pk for document, revision in zip(documents, revisions, strict=True)
    }
    # Each version's object_repr is str() of its answer, made without an instance each.
    labels = {document.pk: document.label for document in documents}
    comments = {document.pk: f"From {document.name}" for document in documents}
    # Every version is Django's own serialisation of the first answer with the fields that
    # differ between answers put in: values as the serializer writes them.
    serialised = versioning.Copies(answer, _ANSWER_VARYING)
    imported, draft, entry = WorkflowEvent.Action.IMPORT, Status.DRAFT, events.Entry
    versions, entries, entry_revisions = [], [], []
    for done, row in enumerate(varying):
        if done % REPORT_EVERY == 0:
            report(done, "recording each answer's first version")
        document, position = row[0], row[1]
        pk, revision = ids[document, position], revision_of[document]
        versions.append(
            (
                revision,
                pk,
                serialised.data(pk, row),
                answer_name(labels[document], position, row[2]),
            )
        )
        entries.append(entry(pk, imported, draft, draft, comments[document]))
        entry_revisions.append(revision)
    report(len(varying), "storing the versions and events")
    versioning.write_versions(versioning.version_rows(Answer, versions))
    events.log(entries, actor=user, revisions=entry_revisions, at=now)
    # Earlier answers with a text these files repeat are duplicates now.
    flags.add_duplicate_flag((pk, stored) for pk, stored, _ in earlier)
    return [
        FileResult(
            path=str(file.path), document=document, created=len(file.items), warnings=file.warnings
        )
        for document, file in zip(documents, files, strict=True)
    ]


def _silent(answers: int, what: str) -> None:
    """No one is following."""
