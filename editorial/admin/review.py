"""History, diffs, revert and the review panel of an answer.

The comparisons themselves live in editorial.diffs (no screens); this module only picks
the two sides (a saved version, the approved version, the text as imported, the answer
now) and shows them. A revert is an edit: it goes through workflow.revert and its rules.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.timezone import localtime
from reversion.models import Version

from editorial import flags, workflow
from editorial.diffs import ContentDiff, Snapshot, diff_content
from editorial.models import Answer, ApprovedVersion, Status, WorkflowEvent

# Named sides of a comparison, besides a saved version's id.
CURRENT, APPROVED, IMPORTED = "current", "approved", "imported"


def current_snapshot(answer: Answer) -> Snapshot:
    return Snapshot(
        question=answer.question,
        text=answer.text,
        sources=tuple(source.as_dict() for source in answer.sources.all()),
        label=f"version {answer.version} (now)",
        claims=tuple(workflow.pinned_claims(answer, workflow.claim_evidence(answer))),
    )


def approved_snapshot(approved: ApprovedVersion) -> Snapshot:
    return Snapshot(
        question=approved.question,
        text=approved.text,
        sources=tuple(approved.sources),
        label=f"approved version {approved.version}",
        claims=tuple(approved.claims),
    )


def imported_snapshot(answer: Answer) -> Snapshot:
    return Snapshot(
        question=answer.imported_question, text=answer.imported_text, label="as imported"
    )


def version_snapshot(version: Version) -> Snapshot:
    data = version.field_dict
    when = timezone.localtime(version.revision.date_created).strftime("%Y-%m-%d %H:%M")
    return Snapshot(
        question=data["question"],
        text=data["text"],
        sources=tuple(workflow.version_sources(version)),
        label=f"version {data.get('version', '?')} of {when}",
        claims=tuple(workflow.version_claims(version)),
    )


def review_baseline(answer: Answer) -> Snapshot:
    """What a reviewer compares against: the last approved version, or the import."""
    if answer.approved is not None:
        return approved_snapshot(answer.approved)
    return imported_snapshot(answer)


def latest_editor_comment(answer: Answer) -> WorkflowEvent | None:
    """The editor's latest word to the reviewer: the comment typed when submitting."""
    return (
        answer.events.filter(action=WorkflowEvent.Action.SUBMIT, actor_id=answer.editor_id)
        .exclude(comment="")
        .select_related("actor")
        .order_by("-id")
        .first()
    )


class RevertForm(forms.Form):
    loaded_version = forms.IntegerField()
    comment = forms.CharField(required=False)


class ReviewPagesMixin:
    """History with chosen comparisons, the version page with revert, the review panel."""

    def get_urls(self):
        return [
            self.page_path("<path:object_id>/history/compare/", self.compare_view, "compare"),
            *super().get_urls(),
        ]

    def compare_url(self, answer: Answer, old: str | int, new: str | int = CURRENT) -> str:
        url = reverse("admin:editorial_answer_compare", args=[answer.pk])
        return f"{url}?from={old}&to={new}"

    def review_context(self, request, answer: Answer, *, stale=None) -> dict:
        """The review panel (diff since approval or import, comment, sources) and links."""
        context = {
            "approved": ApprovedVersion.objects.filter(pk=answer.approved_id)
            .select_related("approved_by")
            .first(),
            "since_import_url": self.compare_url(answer, IMPORTED),
        }
        if context["approved"]:
            context["since_approval_url"] = self.compare_url(answer, APPROVED)
            review_by = context["approved"].review_by
            context["rereview_due"] = review_by is not None and review_by < timezone.localdate()
        if answer.status == Status.CHANGES_REQUESTED:
            context["change_request"] = (
                answer.events.filter(action=WorkflowEvent.Action.REQUEST_CHANGES)
                .select_related("actor")
                .order_by("-id")
                .first()
            )
        if answer.status == Status.IN_REVIEW:
            approved = context["approved"]  # already read: the baseline needs no query of its own
            baseline = approved_snapshot(approved) if approved else imported_snapshot(answer)
            context["review_diff"] = diff_content(baseline, current_snapshot(answer))
            context["editor_comment"] = latest_editor_comment(answer)
            context["review_sources"] = answer.sources.order_by("id")
            # Approving now: a source read before this day is stale (a warning, not a refusal).
            context["stale_before"] = flags.stale_before()
            context["stale_days"] = settings.EDITORIAL_SOURCE_STALE_DAYS
        if stale is not None:
            context["stale_diff"] = self.stale_diff(answer, stale.loaded)
            context["stale_saver"] = self.latest_saver(answer)
        return context

    def stale_diff(self, answer: Answer, loaded: int) -> ContentDiff | None:
        """What changed between the version a stale page showed and the answer now."""
        version = workflow.numbered_version(answer, loaded)
        if version is None:
            return None
        return diff_content(version_snapshot(version), current_snapshot(answer))

    def latest_saver(self, answer: Answer):
        """Who saved the answer's newest version: the person a stale page names."""
        latest = Version.objects.get_for_object(answer).select_related("revision__user").first()
        return latest.revision.user if latest else None

    def _side(self, answer: Answer, key: str) -> Snapshot:
        if key == CURRENT:
            return current_snapshot(answer)
        if key == IMPORTED:
            return imported_snapshot(answer)
        if key == APPROVED:
            approved = ApprovedVersion.objects.filter(pk=answer.approved_id).first()
            if approved is None:
                raise Http404("This answer has never been approved.")
            return approved_snapshot(approved)
        if not key.isdigit():
            raise Http404("Unknown version.")
        version = get_object_or_404(
            Version.objects.get_for_object(answer).select_related("revision"), pk=key
        )
        return version_snapshot(version)

    def compare_view(self, request, object_id):
        answer = self.answer_shown(request, object_id)
        old = self._side(answer, request.GET.get("from", IMPORTED))
        new = self._side(answer, request.GET.get("to", CURRENT))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Changes: {answer}",
            "opts": self.opts,
            "object": answer,
            "diff": diff_content(old, new),
        }
        return TemplateResponse(request, "admin/editorial/answer/compare.html", context)

    def history_view(self, request, object_id, extra_context=None):
        answer = self.answer_shown(request, object_id)
        versions = (
            Version.objects.get_for_object(answer)
            .select_related("revision", "revision__user")
            .order_by("-revision__date_created", "-pk")
        )
        rows = []
        history_url = reverse("admin:editorial_answer_history", args=[answer.pk])
        for version in versions:
            data = workflow.stored_fields(version)
            revision = version.revision
            rows.append(
                {
                    "version": version,
                    "number": data.get("version"),
                    "status": Status(data["status"]).label,
                    "url": f"{history_url}{version.pk}/",
                    "diff_url": self.compare_url(answer, version.pk),
                    # Formatted here: 200 rows of lookups and filters were most of the page.
                    "when": date_format(localtime(revision.date_created), "DATETIME_FORMAT"),
                    "user": workflow.display_name(revision.user) if revision.user else "—",
                    "comment": revision.get_comment(),
                }
            )
        approved = answer.approved_id is not None
        # Compared by default: the newest version with other content than now, to now.
        earlier = [row for row in rows if row["number"] != answer.version]
        default_from = (earlier or rows or [{"version": None}])[0]["version"]
        context = {
            **self.admin_site.each_context(request),
            "title": f"History: {answer}",
            "module_name": capfirst(self.opts.verbose_name_plural),
            "opts": self.opts,
            "object": answer,
            "versions": rows,
            "default_from": default_from,
            "compare_url": reverse("admin:editorial_answer_compare", args=[answer.pk]),
            "since_approval_url": self.compare_url(answer, APPROVED) if approved else None,
            "since_import_url": self.compare_url(answer, IMPORTED),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.object_history_template, context)

    def revision_view(self, request, object_id, version_id, extra_context=None):
        # reversion's own view writes the old row back, workflow fields included; ours
        # shows the version beside the answer now and reverts only its content, as an
        # edit the rules allow, from the version the person saw.
        answer = self.answer_shown(request, object_id)
        version = get_object_or_404(
            Version.objects.get_for_object(answer).select_related("revision__user"),
            pk=version_id,
        )
        stale = None
        if request.method == "POST":
            form = RevertForm(request.POST)
            if not form.is_valid():
                messages.error(request, "The request was incomplete; nothing was changed.")
            else:
                try:
                    workflow.revert(
                        answer,
                        user=request.user,
                        version_id=version.pk,
                        comment=form.cleaned_data["comment"],
                        expected_version=form.cleaned_data["loaded_version"],
                    )
                except workflow.StaleVersionError as error:
                    messages.error(request, str(error))
                    stale = error
                except workflow.WorkflowError as error:
                    messages.error(request, str(error))
                else:
                    messages.success(request, f"{answer}: reverted; it is a new version now.")
                    return HttpResponseRedirect(
                        reverse("admin:editorial_answer_change", args=[answer.pk])
                    )
            answer.refresh_from_db()
        data = version.field_dict
        snapshot = version_snapshot(version)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{answer} as of {version.revision.date_created:%Y-%m-%d %H:%M}",
            "opts": self.opts,
            "object": answer,
            "version": version,
            "number": data.get("version"),
            "data": data,
            "status": Status(data["status"]).label,
            "sources": workflow.version_sources(version),
            # Reverting replaces the answer now with this version: that is the change shown.
            "revert_diff": (revert_diff := diff_content(current_snapshot(answer), snapshot)),
            "can_revert": revert_diff.changed and workflow.can_edit(answer, request.user),
            "stale_diff": self.stale_diff(answer, stale.loaded) if stale else None,
            "stale_saver": self.latest_saver(answer) if stale else None,
        }
        return TemplateResponse(request, "admin/editorial/answer/version.html", context)

    def recover_view(self, request, version_id, extra_context=None):
        raise PermissionDenied  # answers are archived, never deleted, so nothing to recover

    def recoverlist_view(self, request, extra_context=None):
        raise PermissionDenied
