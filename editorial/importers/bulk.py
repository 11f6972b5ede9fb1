"""New documents in bulk: a handful of statements for any number of files, per 2,000
answers (ANSWERS_PER_STEP, so that a job page can follow a large file as it is written).

Rows are inserted directly (storage.bulk.insert_copies), so neither signals nor
reversion see them: the revisions, versions and events the per-file writer gets from
reversion are written here, through the same writers (storage.versioning, storage.events).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from reversion.models import Revision

from editorial import flags
from editorial.importers.prepare import PreparedFile
from editorial.importers.progress import Report, silent
from editorial.importers.results import FileResult
from editorial.importers.rows import new_answer, new_document
from editorial.models import Answer, Document, Status, WorkflowEvent, answer_name
from editorial.storage import events, search, versioning
from editorial.storage.bulk import checked_as_written, insert_copies, reserve_ids

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


# Answers written together, rows, versions and events, before the next ones: a large
# file's answers done then move as it is written (a step is a few tenths of a second of
# work), not only once it is all written. A step costs a handful of statements, so a file
# of up to this many answers is written in the fewest.
ANSWERS_PER_STEP = 2_000
# Texts looked up for earlier copies in one go (a report between): each is an index
# lookup, a statement per 200 on SQLite, one for all on PostgreSQL.
COPIES_PER_LOOKUP = 10_000


def create_documents(
    files: list[PreparedFile],
    *,
    user,
    now: datetime.datetime,
    report: Report | None = None,
) -> list[FileResult]:
    """New documents and their answers in bulk, with all the per-answer path writes.

    That is, for each answer: its quality flags (and the duplicate flag of earlier
    copies), one version in one reversion revision per file, and an import event tied to
    that revision, serialised as reversion serialises them. The files' names must be new
    and distinct. `report(answers, what)` hears how many answers are written, inside its
    transaction (a job page shows it while a large file is written).
    """
    report = report or silent
    total = sum(len(file.items) for file in files)
    if total > ANSWERS_PER_STEP:
        # Its foreign keys checked step by step, not all at the commit (seconds when large;
        # for a few answers, one more statement for nothing).
        checked_as_written()
    documents = Document.objects.bulk_create(
        [new_document(file, user=user, now=now) for file in files]
    )
    prints = [print_ for file in files for print_ in file.prints if print_]
    distinct = sorted(set(prints))
    earlier = []
    for start in range(0, len(distinct), COPIES_PER_LOOKUP):
        report(0, f"looking for earlier copies: {start:,} of {len(distinct):,} texts")
        earlier.extend(flags.first_copies(distinct[start : start + COPIES_PER_LOOKUP]))
    count = Counter(print_ for _, _, print_ in earlier) + Counter(prints)
    report(0, f"{len(earlier):,} earlier copies found; preparing {total:,} rows")
    varying = []
    for document, file in zip(documents, files, strict=True):
        for item, print_, found in zip(file.items, file.prints, file.flags, strict=True):
            codes, level = flags.stored(found, duplicate=bool(print_) and count[print_] > 1)
            level = int(level)
            question, text = item.question, item.answer
            varying.append(
                (document.pk, item.position, question, text, question, text, codes, level, print_)
            )
    revisions = versioning.create_revisions(
        [
            Revision(date_created=now, user=user, comment=f"Imported from {document.name}")
            for document in documents
        ]
    )
    answer = new_answer(documents[0], files[0].items[0], created_at=now, updated_at=now)
    step = _Step(
        template=answer,
        # Every version is Django's own serialisation of the first answer with the fields
        # that differ between answers put in: values as the serializer writes them.
        serialised=versioning.Copies(answer, _ANSWER_VARYING),
        revision_of={
            document.pk: revision.pk
            for document, revision in zip(documents, revisions, strict=True)
        },
        # Each version's object_repr is str() of its answer, made without an instance each.
        labels={document.pk: document.label for document in documents},
        comments={document.pk: f"From {document.name}" for document in documents},
        user=user,
        now=now,
    )
    # Earlier answers with a text these files repeat are duplicates now: a share of them
    # marked with each step, so that no step is much longer than another.
    copies = [(pk, stored) for pk, stored, _ in earlier]
    steps = -(-len(varying) // ANSWERS_PER_STEP)
    with search.indexed_in_bulk():
        for number, start in enumerate(range(0, len(varying), ANSWERS_PER_STEP)):
            report(start, f"{start:,} of {total:,} answers written")
            step.write(varying[start : start + ANSWERS_PER_STEP])
            flags.add_duplicate_flag(
                copies[len(copies) * number // steps : len(copies) * (number + 1) // steps]
            )
        report(total, f"{total:,} of {total:,} answers written")
    return [
        FileResult(
            path=str(file.path), document=document, created=len(file.items), warnings=file.warnings
        )
        for document, file in zip(documents, files, strict=True)
    ]


@dataclass
class _Step:
    """What every step of create_documents writes its answers with."""

    template: Answer  # the answers' columns alike in every row
    serialised: versioning.Copies
    revision_of: dict[int, int]  # document id: its revision's id
    labels: dict[int, str]  # document id: its label, in each answer's name
    comments: dict[int, str]  # document id: its answers' import event comment
    user: object
    now: datetime.datetime

    def write(self, rows: list[tuple]) -> None:
        """These answers' rows with ids reserved for them, and their versions and events,
        made as each row is written (on PostgreSQL while the server takes in the rows)."""
        ids = reserve_ids(Answer, len(rows))
        serialised, labels, comments = self.serialised, self.labels, self.comments
        imported, draft, entry = WorkflowEvent.Action.IMPORT, Status.DRAFT, events.Entry
        versions, entries, entry_revisions = [], [], []

        def with_their_history():
            for pk, row in zip(ids, rows, strict=True):
                document, position = row[0], row[1]
                revision = self.revision_of[document]
                name = answer_name(labels[document], position, row[2])
                versions.append((revision, pk, serialised.data(pk, row), name))
                entries.append(entry(pk, imported, draft, draft, comments[document]))
                entry_revisions.append(revision)
                yield (pk, *row)

        insert_copies(self.template, ("id", *_ANSWER_VARYING), with_their_history())
        versioning.write_versions(versioning.version_rows(Answer, versions))
        events.log(entries, actor=self.user, revisions=entry_revisions, at=self.now)
