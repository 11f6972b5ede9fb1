"""The merge page: a save from a stale page, or a waiting re-import, merged instead of refused.

A save posted from a page that showed an older version comes here instead of being refused:
the typing is merged three-way with what is stored (workflow.stale_merge) and shown as a word
diff against the stored text, to confirm; passages both sides changed are offered yours or
theirs, one radio choice each (no JavaScript needed). A waiting re-import is merged on the
same page (workflow.import_merge). The page carries everything typed, so nothing is lost
whatever happens next, and the stored version it merged with, so that a save after someone
else's is refused and merged again. The rules and the saving are the workflow's.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from reversion.models import Version

from editorial import workflow
from editorial.admin.merge_forms import (
    carried_content,
    change_url,
    labelled,
    passage_rows,
    posted_choices,
    posted_number,
    same_content,
    sources_choice,
    sources_json,
    typed_content,
)
from editorial.diffs import (
    THEIRS,
    YOURS,
    ContentMerge,
    Snapshot,
    diff_content,
)
from editorial.models import Answer, Status

STALE, REIMPORT = "stale", "import"


class MergeMixin:
    """The merge page of an answer (`<id>/merge/`) and the change page's re-import panel."""

    def get_urls(self):
        return [
            self.page_path("<path:object_id>/merge/", self.merge_view, "merge"),
            *super().get_urls(),
        ]

    # --- from the change form ------------------------------------------------------------

    def merge_instead(self, request, object_id):
        """The merge page for a save from a stale page (or None: the save goes on as usual).

        Only for a page of another version whose typing is valid on its own; a page with
        errors shows them first (and keeps its version, so its next save merges).
        """
        loaded = request.POST.get("loaded_version", "")
        answer = self.get_object(request, unquote(object_id))
        if answer is None or not loaded.isdigit() or int(loaded) == answer.version:
            return None
        if not workflow.can_edit(answer, request.user):
            return None
        yours = typed_content(request.POST)
        if yours is None:
            return None
        try:
            merge = workflow.stale_merge(answer, base_version=int(loaded), yours=yours)
        except workflow.WorkflowError:
            return None  # no such version to merge from: refused as before, the typing kept
        return self.merge_page(
            request,
            answer,
            kind=STALE,
            merge=merge,
            base_version=int(loaded),
            comment=request.POST.get("comment", ""),
        )

    def import_conflict_context(self, request, answer: Answer) -> dict:
        """The change page's panel for a waiting re-import: what it changed, and the way on."""
        if not answer.has_import_conflict:
            return {}
        merge = workflow.import_merge(answer)
        return {
            "import_diff": diff_content(
                labelled(merge.base, "the previous import"),
                labelled(merge.theirs, f"the new import of {answer.document.label}"),
            ),
            "import_merge_url": reverse("admin:editorial_answer_merge", args=[answer.pk]),
            "can_resolve_import": workflow.can_edit(answer, request.user),
        }

    # --- the merge page --------------------------------------------------------------------

    def merge_view(self, request, object_id):
        if request.method != "POST":
            return self._reimport_page(request, object_id)
        answer = self.answer_acted_on(request, object_id)
        kind = request.POST.get("kind")
        if kind == REIMPORT:
            return self._save_reimport(request, answer)
        if kind == STALE:
            return self._save_stale(request, answer)
        messages.error(request, "The request was incomplete; nothing was changed.")
        return HttpResponseRedirect(change_url(answer))

    def _reimport_page(self, request, object_id):
        answer = self.answer_shown(request, object_id)
        if not answer.has_import_conflict:
            # A stale save's merge is only ever shown in answer to that save.
            raise Http404("No re-import of this answer is waiting to be merged.")
        try:
            workflow.check_can_edit(answer, request.user)
        except workflow.WorkflowError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(change_url(answer))
        return self.merge_page(request, answer, kind=REIMPORT, merge=workflow.import_merge(answer))

    def _save_stale(self, request, answer: Answer):
        post = request.POST
        yours = carried_content(post)
        base_version = posted_number(post.get("base_version"))
        stored_version = posted_number(post.get("stored_version"))
        if yours is None or base_version is None or stored_version is None:
            messages.error(request, "The request was incomplete; nothing was changed.")
            return HttpResponseRedirect(change_url(answer))
        choices = posted_choices(post)
        comment = post.get("comment", "")
        again = {"kind": STALE, "base_version": base_version, "comment": comment}

        def page(choices, **extra):
            answer.refresh_from_db()
            try:
                workflow.check_can_edit(answer, request.user)
                merge = workflow.stale_merge(answer, base_version=base_version, yours=yours)
            except workflow.WorkflowError as error:
                return self._kept(request, answer, error, yours)
            return self.merge_page(request, answer, merge=merge, choices=choices, **again, **extra)

        if post.get("action") == "preview":
            moved = answer.version != stored_version
            return page({} if moved else choices, moved=moved)
        try:
            done = workflow.merge_edit(
                answer,
                user=request.user,
                base_version=base_version,
                yours=yours,
                choices=choices,
                expected_version=stored_version,
                expected_status=post.get("stored_status") or None,
                comment=comment,
            )
        except workflow.ChoiceNeeded as error:
            return page(choices, error=str(error), missing=error.names)
        except workflow.StaleVersionError as error:
            if error.current != stored_version:
                return page({}, moved=True)
            return page({}, error=str(error))  # its state changed: shown, then saved as it is
        except workflow.WorkflowError as error:
            return page(choices, error=str(error))
        return self._merged(request, done.answer, done)

    def _save_reimport(self, request, answer: Answer):
        post = request.POST
        stored_version = posted_number(post.get("stored_version"))
        if stored_version is None:
            messages.error(request, "The request was incomplete; nothing was changed.")
            return HttpResponseRedirect(change_url(answer))
        choices = posted_choices(post)

        def page(choices, **extra):
            answer.refresh_from_db()
            if not answer.has_import_conflict or not workflow.can_edit(answer, request.user):
                messages.error(
                    request, extra.get("error") or "The re-import can no longer be merged."
                )
                return HttpResponseRedirect(change_url(answer))
            merge = workflow.import_merge(answer)
            return self.merge_page(
                request, answer, kind=REIMPORT, merge=merge, choices=choices,
                comment=post.get("comment", ""), **extra,
            )  # fmt: skip

        moved = answer.version != stored_version or post.get("incoming") != (
            workflow.incoming_digest(answer)
        )
        if post.get("action") == "preview":
            return page({} if moved else choices, moved=moved)
        try:
            done = workflow.merge_reimport(
                answer,
                user=request.user,
                choices=choices,
                expected_version=stored_version,
                incoming=post.get("incoming", ""),
                comment=post.get("comment", ""),
            )
        except workflow.ChoiceNeeded as error:
            return page(choices, error=str(error), missing=error.names)
        except workflow.StaleVersionError:
            return page({}, moved=True)
        except workflow.WorkflowError as error:
            return page(choices, error=str(error))
        return self._merged(request, done.answer, done)

    def _merged(self, request, answer: Answer, done: workflow.Merged):
        if done.saved:
            messages.success(request, f"{answer}: merged, saved as version {answer.version}.")
        else:
            messages.info(request, f"{answer}: nothing changed; the stored text stays as it was.")
        return HttpResponseRedirect(change_url(answer))

    def _kept(self, request, answer: Answer, error, yours: Snapshot):
        """The answer can no longer take the merge: its page, with the typing to copy."""
        kept = {
            "question": yours.question,
            "text": yours.text,
            "sources": [dict(source) for source in yours.sources],
        }
        return self.page_again(request, str(answer.pk), error=str(error), kept=kept)

    def merge_page(
        self,
        request,
        answer: Answer,
        *,
        kind: str,
        merge: ContentMerge,
        base_version: int | None = None,
        choices: dict | None = None,
        comment: str = "",
        error: str = "",
        missing: list[str] | None = None,
        moved: bool = False,
    ):
        """The merge, shown: passages to choose, the result as a word diff, the typing kept."""
        choices = choices or {}
        stored_side = THEIRS if kind == STALE else YOURS
        stored = merge.theirs if kind == STALE else merge.yours
        preview = merge.resolve(choices, default=stored_side)
        latest = (
            Version.objects.get_for_object(answer).select_related("revision__user").first()
            if kind == STALE
            else None
        )
        if kind == STALE:
            sides = {
                YOURS: f"Yours (typed on version {base_version})",
                THEIRS: f"Stored (version {answer.version})",
            }
        else:
            sides = {
                YOURS: f"The edited text (version {answer.version})",
                THEIRS: "The new import",
            }
        if moved:
            messages.warning(
                request,
                f"{answer}: it changed again while you were merging (now version "
                f"{answer.version}); nothing was saved. Your edit is merged again below.",
            )
        if error:
            messages.error(request, error)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Merge: {answer}",
            "opts": self.opts,
            "object": answer,
            "kind": kind,
            "stored_side": stored_side,
            "sides": sides,
            "base_version": base_version,
            "latest": latest,
            "passages": passage_rows(merge, choices, sides, missing or []),
            "sources_choice": sources_choice(merge, choices, missing or []),
            "choice_count": len(merge.names),
            "preview": diff_content(
                labelled(stored, f"version {answer.version} (stored)"),
                labelled(preview, "the merged text"),
            ),
            "nothing_to_save": merge.clean and same_content(stored, preview),
            "no_typing_of_yours": kind == STALE and same_content(merge.base, merge.yours),
            "reopens": answer.status == Status.APPROVED,
            "yours": merge.yours,
            "yours_sources": sources_json(merge.yours.sources) if kind == STALE else "",
            "comment": comment,
            "incoming": workflow.incoming_digest(answer) if kind == REIMPORT else "",
            "theirs_diff": diff_content(
                labelled(merge.base, f"version {base_version}"),
                labelled(merge.theirs, f"version {answer.version}"),
            )
            if kind == STALE
            else None,
            "import_diff": diff_content(
                labelled(merge.base, "the previous import"),
                labelled(merge.theirs, f"the new import of {answer.document.label}"),
            )
            if kind == REIMPORT
            else None,
            "change_url": change_url(answer),
        }
        return TemplateResponse(request, "admin/editorial/answer/merge.html", context)
