"""The pages the API serves: answers, documents and sync, asked of the exporters.

Every record comes from exporters.approved_versions and exporters.records and is written by
exporters.write_jsonl: an API record is, byte for byte, the jsonl export's line for the same
answer, and what the exporters leave out (unapproved, archived) the API never serves.

Pages are keyed on the answer's id, which never changes: a re-approval updates an answer in
place instead of moving it, so paging through while others approve neither skips nor
repeats an answer that was there when paging began.

Sync deltas are keyed on the history chain (storage.chain): every approval, archive and
restore is a workflow event sealed in a link, and links are appended under a lock just
before their transaction commits, so their positions come in commit order, without gaps.
The largest position a reader sees is therefore a point up to which everything is
committed; nothing committing later can take a smaller one. Sequence ids (of events or
approvals) carry no such promise on PostgreSQL: one taken earlier can commit later.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from editorial.api import tokens
from editorial.api.errors import ApiRefusal
from editorial.api.scope import Scope
from editorial.exporters import approved_versions, dumps, records, tombstones, write_jsonl
from editorial.models import Answer, Document, HistoryLink, WorkflowEvent

Action = WorkflowEvent.Action
# The steps that put an answer's content into the export or take it out (exporters.query:
# the latest approval of an answer not archived). Edits leave the approved version exported.
CHANGES = (Action.APPROVE, Action.ARCHIVE, Action.RESTORE)

ANSWERS_PAGE = 100
ANSWERS_PAGE_MAX = 500
SYNC_PAGE = 1000
DOCUMENTS_PAGE = 100


@dataclass
class Page:
    """A page as JSON text: records as the jsonl export writes them, and what comes next."""

    lines: list[str]
    next: str | None = None
    deleted: list[dict] = field(default_factory=list)
    next_sync_token: str | None = None


def exported(scope: Scope) -> QuerySet[Answer]:
    """The answers a key may read: those the exporters export, in the key's scope."""
    return scope.answers(Answer.objects.approved())


def _lines(answers: QuerySet[Answer]) -> dict[int, str]:
    """The export line (without its newline) of each of these answers, by id: one query.

    A page of answers or of an initial sync is asked as a slice of the answers, ordered and
    limited, within the one query of its records (_page_after): neither a second query for
    the page's ids nor a list of a thousand ids as literals, which PostgreSQL took longer to
    plan than to read the rows. A delta's answers come from its events, as a list of ids.
    """
    read = list(records(approved_versions(answers=answers)))
    # write_jsonl writes a line per record, in order, each ending with its newline.
    return {record["id"]: line[:-1] for record, line in zip(read, write_jsonl(read), strict=True)}


def _page_after(answers: QuerySet[Answer], after: int, limit: int) -> tuple[list[int], dict]:
    """The ids of the page after `after` and one more (is there a next page?), with the
    page's lines. Keyed on the id; answers and records read in one statement, so they
    agree."""
    lines = _lines(answers.filter(pk__gt=after).order_by("pk")[: limit + 1])
    return sorted(lines), lines


def answer_line(scope: Scope, answer_id: int) -> str:
    """One answer's record, refused (404) unless exported, (403) if out of the key's scope."""
    answer = Answer.objects.approved().select_related("document").filter(pk=answer_id).first()
    if answer is None:
        raise ApiRefusal(
            404,
            "not_found",
            f"No approved answer has id {answer_id} (never approved, or archived).",
        )
    if not scope.covers(answer.document):
        raise ApiRefusal(403, "out_of_scope", f"This key may not read answer {answer_id}.")
    line = _lines(Answer.objects.filter(pk=answer_id)).get(answer_id)
    if line is None:  # archived between the two reads
        raise ApiRefusal(404, "not_found", f"Answer {answer_id} was withdrawn.")
    return line


def answers_page(
    scope: Scope,
    *,
    document: str | None = None,
    subject: str | None = None,
    approved_since: datetime | None = None,
    cursor: str | None = None,
    limit: int = ANSWERS_PAGE,
) -> Page:
    """A page of approved answers in answer-id order, filtered, after the cursor."""
    filters = [document, subject, approved_since.isoformat() if approved_since else None]
    answers = exported(scope)
    if document is not None:
        answers = answers.filter(document=scope.check_document(document))
    if subject is not None:
        scope.check_subject(subject)
        answers = answers.filter(document__subject=subject)
    if approved_since is not None:
        answers = answers.filter(approved__approved_at__gte=approved_since)
    after = 0
    if cursor is not None:
        payload = tokens.read(cursor, "cursor")
        if payload.get("f") != filters or payload.get("s") != scope.fingerprint:
            raise ApiRefusal(
                400, "invalid_token", "This cursor belongs to other filters or another key's scope."
            )
        after = int(payload["a"])
    ids, lines = _page_after(answers, after, limit)
    more, ids = len(ids) > limit, ids[:limit]
    page = Page(lines=[lines[pk] for pk in ids])
    if more:
        page.next = tokens.make("cursor", a=ids[-1], f=filters, s=scope.fingerprint)
    return page


def documents_page(scope: Scope, *, cursor: str | None = None, limit: int = DOCUMENTS_PAGE):
    """Documents in scope with at least one exported answer, each with that count."""
    documents = scope.documents(Document.objects.all()).filter(
        Exists(Answer.objects.approved().filter(document=OuterRef("pk")))
    )
    after = 0
    if cursor is not None:
        payload = tokens.read(cursor, "documents")
        if payload.get("s") != scope.fingerprint:
            raise ApiRefusal(400, "invalid_token", "This cursor belongs to another key's scope.")
        after = int(payload["a"])
    shown = list(documents.filter(pk__gt=after).order_by("pk")[: limit + 1])
    more, shown = len(shown) > limit, shown[:limit]
    counts = dict(
        Answer.objects.approved()
        .filter(document__in=shown)
        .order_by()
        .values_list("document")
        .annotate(Count("pk"))
    )
    items = [
        {
            "name": document.name,
            "title": document.label,
            "subject": document.subject,
            "answers": counts.get(document.pk, 0),
            "imported_at": document.imported_at.isoformat(),
        }
        for document in shown
    ]
    following = tokens.make("documents", a=shown[-1].pk, s=scope.fingerprint) if more else None
    return items, following


# --- sync -------------------------------------------------------------------------------


def sync_page(scope: Scope, *, token: str | None, head: int, limit: int = SYNC_PAGE) -> Page:
    """A page of a sync: the initial one (no token) or a continuation of one.

    `head` is the chain's last position as this request read it, before any content: what
    is read after it is at least as new, so nothing sealed up to it is missed.
    """
    if token is None:
        return _initial(scope, horizon=head, after=0, limit=limit)
    payload = tokens.read(token, "sync")
    if payload.get("k") != scope.key.pk:
        raise ApiRefusal(400, "invalid_token", "This sync token was issued to another key.")
    if payload.get("s") != scope.fingerprint:
        raise ApiRefusal(
            410,
            "scope_changed",
            "This key's documents or subjects changed since the token was issued: "
            "start again with an initial sync (no token).",
        )
    if payload["m"] == "initial":
        return _initial(scope, horizon=payload["h"], after=payload["a"], limit=limit)
    horizon = payload.get("h", head)
    return _delta(scope, since=payload["p"], horizon=horizon, after=payload.get("a"), limit=limit)


def _sync_token(scope: Scope, **payload) -> str:
    return tokens.make("sync", k=scope.key.pk, s=scope.fingerprint, **payload)


def _initial(scope: Scope, *, horizon: int, after: int, limit: int) -> Page:
    """Everything the key may read, in id order; then a token for what comes after `horizon`.

    Changes sealed after the horizon while the pages are read may already show in a later
    page: the deltas from the horizon carry them again, and applying one twice is harmless.
    """
    ids, lines = _page_after(exported(scope), after, limit)
    more, ids = len(ids) > limit, ids[:limit]
    page = Page(lines=[lines[pk] for pk in ids])
    if more:
        page.next = _sync_token(scope, m="initial", h=horizon, a=ids[-1])
    else:
        page.next_sync_token = _sync_token(scope, m="delta", p=horizon)
    return page


def _delta(scope: Scope, *, since: int, horizon: int, after, limit: int) -> Page:
    """What was approved, re-approved, archived or restored in links (since, horizon]: each
    answer as it is now, a record or (taken out of the export) a tombstone."""
    sealed = HistoryLink.objects.filter(position__gt=since, position__lte=horizon)
    events = scope.answers(
        WorkflowEvent.objects.filter(
            action__in=CHANGES,
            answer__approved__isnull=False,  # an answer never approved was never exported
            revision_id__in=sealed.values("revision_id"),
        ),
        prefix="answer__",
    ).annotate(
        position=Subquery(
            HistoryLink.objects.filter(revision_id=OuterRef("revision_id")).values("position")[:1]
        )
    )
    if after is not None:
        position, event = after
        events = events.filter(Q(position__gt=position) | Q(position=position, pk__gt=event))
    found = list(
        events.order_by("position", "pk").values_list("position", "pk", "answer_id")[: limit + 1]
    )
    more, found = len(found) > limit, found[:limit]
    answer_ids = list(dict.fromkeys(answer_id for _, _, answer_id in found))
    lines = _lines(Answer.objects.filter(pk__in=answer_ids)) if answer_ids else {}
    gone = [pk for pk in answer_ids if pk not in lines]
    page = Page(lines=[lines[pk] for pk in answer_ids if pk in lines], deleted=tombstones(gone))
    if more:
        page.next = _sync_token(scope, m="delta", p=since, h=horizon, a=list(found[-1][:2]))
    else:
        page.next_sync_token = _sync_token(scope, m="delta", p=horizon)
    return page


def answers_json(page: Page) -> str:
    """A page of answers as JSON text, its records exactly as the jsonl export writes them."""
    return f'{{"answers": [{", ".join(page.lines)}], "next": {json.dumps(page.next)}}}'


def sync_json(page: Page) -> str:
    """A sync page as JSON text: records, tombstones, and the next page's or sync's token."""
    return (
        f'{{"answers": [{", ".join(page.lines)}], "deleted": {dumps(page.deleted)}, '
        f'"next_page": {json.dumps(page.next)}, '
        f'"next_sync_token": {json.dumps(page.next_sync_token)}}}'
    )
