"""Each person's home page: their own work first, each item one click from it.

Every list here is a fixed number of aggregated queries (capped counts, the first few
items with what they show joined in, in index order), so the page costs the same with 2
documents or 50,000: nothing on it is rendered or counted in proportion to the database.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.urls import reverse

from editorial import tasks, workflow
from editorial.admin.quality import review_quality_rows
from editorial.models import Answer, Document, Notice, Status, WorkflowEvent

# How many items a list shows before "all N" takes over.
SHOWN = 8
# Home lists follow index order: (document, position) is the answers' unique index, so the
# first few are read from it, not sorted out of every answer joined to its document (the
# model's order, by document name).
IN_ORDER = ("document_id", "position")
# How many documents the managing editor's progress table shows: a screenful.
DOCUMENTS_SHOWN = 25
# Counts stop here: past it a page says "1,000+", so a count never reads the whole table.
COUNT_CAP = 1000
# What is still to do on an answer: its document shows on the managing editor's home.
WAITING = [Status.DRAFT, Status.IN_REVIEW, Status.CHANGES_REQUESTED]


def answers_url(**filters) -> str:
    """The answer list, filtered as given (the admin's own query parameters)."""
    url = reverse("admin:editorial_answer_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def capped_count(queryset, cap: int = COUNT_CAP) -> dict:
    """How many, counted no further than `cap` + 1 rows (a COUNT over a LIMIT subquery),
    with the label a page shows: "1,000+" once past the cap. Unordered: which rows the
    LIMIT keeps does not change the count, and an ORDER BY would sort them all first."""
    count = queryset.order_by()[: cap + 1].count()
    return {"count": min(count, cap), "more": count > cap, "label": counted_label(count, cap)}


def counted_label(count: int, cap: int = COUNT_CAP) -> str:
    return f"{cap:,}+" if count > cap else f"{count:,}"


def _listing(queryset, url: str) -> dict:
    """A capped count, the first items and the link to all of them: two bounded queries."""
    total = capped_count(queryset)
    return {
        "count": total["count"],
        "count_label": total["label"],
        "items": list(queryset[:SHOWN]),
        "url": url,
    }


def _latest_event(action: str, field: str):
    return Subquery(
        WorkflowEvent.objects.filter(answer=OuterRef("pk"), action=action)
        .order_by("-id")
        .values(field)[:1]
    )


def editor_home(user) -> dict:
    mine = Answer.objects.filter(editor=user).select_related("document")
    unread = Notice.objects.filter(recipient=user, read_at__isnull=True)
    changes = (
        mine.filter(status=Status.CHANGES_REQUESTED)
        .annotate(
            request_comment=_latest_event(WorkflowEvent.Action.REQUEST_CHANGES, "comment"),
            requested_at=_latest_event(WorkflowEvent.Action.REQUEST_CHANGES, "created_at"),
            requested_by_id=_latest_event(WorkflowEvent.Action.REQUEST_CHANGES, "actor_id"),
            unread=Exists(unread.filter(event__answer=OuterRef("pk"))),
        )
        .order_by("-unread", "requested_at")
    )
    requested = _listing(changes, answers_url(mine="changes"))
    # Who asked, by name: the few people of the items shown, in one query.
    askers = get_user_model().objects.in_bulk(
        {answer.requested_by_id for answer in requested["items"] if answer.requested_by_id}
    )
    for answer in requested["items"]:
        answer.requested_by = askers.get(answer.requested_by_id)
    return {
        "unread_count": unread.count(),
        "changes_requested": requested,
        "drafts": _listing(
            mine.filter(status=Status.DRAFT).order_by(*IN_ORDER),
            answers_url(mine="drafts"),
        ),
        "in_review": _listing(
            mine.filter(status=Status.IN_REVIEW).order_by(*IN_ORDER),
            answers_url(mine="submitted"),
        ),
        "claimable": _listing(
            Answer.objects.claimable().select_related("document").order_by(*IN_ORDER),
            answers_url(mine="unassigned"),
        ),
    }


def reviewer_home(user) -> dict:
    queue = (
        Answer.objects.for_reviewer(user)
        .select_related("document", "editor")
        .annotate(submitted_at=_latest_event(WorkflowEvent.Action.SUBMIT, "created_at"))
        .order_by("submitted_at", "pk")
    )
    decided = (
        WorkflowEvent.objects.filter(
            actor=user,
            action__in=[WorkflowEvent.Action.APPROVE, WorkflowEvent.Action.REQUEST_CHANGES],
        )
        .select_related("answer__document")
        .order_by("-id")
    )
    listing = _listing(queue, answers_url(mine="review"))
    return {
        # The queue is oldest first, so its first item is the oldest waiting.
        "queue": {**listing, "oldest": listing["items"][0] if listing["items"] else None},
        "decided": list(decided[:SHOWN]),
        "rereview": rereview_listing(),
    }


def rereview_listing() -> dict:
    """Approved answers past their review-by date, longest overdue first (still exported)."""
    due = (
        Answer.objects.due_for_rereview()
        .select_related("document", "approved")
        .order_by("approved__review_by", "pk")
    )
    return _listing(due, answers_url(rereview="due"))


def progress_counts() -> dict:
    """A document's answers counted by status, and how many are live: the annotations
    of one aggregated query over all documents.

    Live is what the exports carry: an answer not archived whose latest approval is pinned
    (Answer.approved). An approved answer edited again is a draft by status but still live,
    its approved version exported until the next approval.
    """
    counts = {
        f"n_{status}": Count("answers", filter=Q(answers__status=status)) for status in Status
    }
    live = Q(answers__approved__isnull=False) & ~Q(answers__status=Status.ARCHIVED)
    return {"n_answers": Count("answers"), "n_live": Count("answers", filter=live), **counts}


def progress_rows(documents) -> list[dict]:
    """The progress table's rows for the given documents (annotated with progress_counts),
    their links filled into URLs built once for the page, not reversed per row."""
    base = reverse("admin:editorial_answer_changelist")
    rows = []
    for document in documents:
        active = document.n_answers - document.n_archived
        url = f"{base}?document__id__exact={document.pk}"
        bars = [
            {
                "status": status,
                "label": status.label,
                "count": getattr(document, f"n_{status}"),
                "share": round(100 * getattr(document, f"n_{status}") / active) if active else 0,
                "url": f"{url}&status__exact={status}",
            }
            for status in Status
            if status != Status.ARCHIVED
        ]
        rows.append(
            {
                "document": document,
                "active": active,
                "bars": bars,
                "live": document.n_live,
                "live_share": round(100 * document.n_live / active) if active else 0,
                "live_url": f"{url}&live=yes",
                "url": url,
            }
        )
    return rows


def documents_waiting() -> dict:
    """The documents with work still to do, at most a screenful, in the order of the index
    on their name: one query finds them (stopping at DOCUMENTS_SHOWN), one counts their
    answers by status, one counts how many documents wait (capped). The rest are one
    click away in the paginated Documents list."""
    waiting = Document.objects.filter(
        Exists(Answer.objects.filter(document=OuterRef("pk"), status__in=WAITING))
    ).order_by("name")
    shown = list(waiting.values_list("pk", flat=True)[:DOCUMENTS_SHOWN])
    documents = Document.objects.filter(pk__in=shown).annotate(**progress_counts()).order_by("name")
    total = capped_count(waiting)
    return {
        "rows": progress_rows(documents),
        "count": total["count"],
        "count_label": total["label"],
        "more": total["more"] or total["count"] > len(shown),
        "url": reverse("admin:editorial_document_changelist"),
    }


def managing_home() -> dict:
    reviewers = workflow.reviewers().annotate(
        in_review=Count("reviewed_answers", filter=Q(reviewed_answers__status=Status.IN_REVIEW)),
        assigned=Count(
            "reviewed_answers",
            filter=Q(reviewed_answers__status__in=[Status.DRAFT, Status.CHANGES_REQUESTED]),
        ),
    )
    return {
        "documents": documents_waiting(),
        "reviewers": [
            {"user": reviewer, "url": answers_url(reviewer__id__exact=reviewer.pk)}
            | {"in_review": reviewer.in_review, "assigned": reviewer.assigned}
            for reviewer in reviewers.order_by("-in_review", "username")
        ],
        "blocked": _listing(
            Answer.objects.blocked().select_related("document").order_by(*IN_ORDER),
            answers_url(flag="blocking"),
        ),
        "reimports": _listing(
            Answer.objects.reimport_waiting().select_related("document").order_by(*IN_ORDER),
            answers_url(conflict="yes"),
        ),
        "unassigned": _listing(
            Answer.objects.claimable().select_related("document").order_by(*IN_ORDER),
            answers_url(mine="unassigned"),
        ),
        "rereview": rereview_listing(),
        "review_quality": review_quality_rows(),
    }


def home_context(request) -> dict:
    """The parts of the home page that are this person's to act on."""
    user = request.user
    if not user.is_active or not user.is_staff:
        return {}
    return {
        "editor_home": editor_home(user) if workflow.is_editor(user) else None,
        "reviewer_home": reviewer_home(user) if workflow.may_decide(user) else None,
        "managing_home": managing_home() if workflow.can_assign(user) else None,
        # Imports and exports run by workers: the latest few, each linked to its page.
        "recent_jobs": (
            tasks.recent_jobs(user)
            if workflow.can_import(user) or workflow.can_export(user)
            else None
        ),
    }
