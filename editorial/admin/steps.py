"""Workflow steps from the answer page and the answer list; each one calls editorial.workflow.

The step buttons belong to the change form (HTML `form=` attribute), so a step posts the
person's unsaved typing with it: the typing is saved first, through the same checked save
as the Save button, and the step acts on exactly that version; if the save is refused,
the step is not taken and the page comes back with everything typed still in it.
"""

from __future__ import annotations

import copy

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import path, reverse

from editorial import workflow
from editorial.admin.review import current_snapshot, review_baseline
from editorial.diffs import diff_content
from editorial.models import Answer, Status
from editorial.workflow import StaleVersionError, WorkflowError

DECISIONS = {"approve", "request_changes"}


class StepForm(forms.Form):
    """The inputs a workflow step may take; which are used depends on the step."""

    step = forms.CharField()
    comment = forms.CharField(required=False, widget=forms.Textarea)
    reviewer = forms.IntegerField(required=False)
    editor = forms.IntegerField(required=False)
    loaded_version = forms.IntegerField()


# Events listed on the change page, newest first; the history page has the rest.
EVENTS_SHOWN = 20


class WorkflowStepsMixin:
    """Step buttons on the change page, and the bulk actions of the answer list."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/workflow/",
                self.admin_site.admin_view(self.workflow_view),
                name="{}_{}_workflow".format(*info),
            ),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST" and "step" in request.POST:
            return self.workflow_view(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def workflow_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        answer = self.get_object(request, unquote(object_id))
        if answer is None or not self.has_view_permission(request, answer):
            raise PermissionDenied
        form = StepForm(request.POST)
        if not form.is_valid():
            return self.page_again(
                request, object_id, error="The request was incomplete; nothing was changed."
            )
        data = form.cleaned_data
        expected = data["loaded_version"]
        if self._typed_content_changed(request, answer):
            response, expected = self._save_typed_content(request, object_id)
            if response.status_code != 302:  # the form again, with its errors and the typing
                messages.error(request, f"“{_label(data['step'])}” was not done: see below.")
                return response
        try:
            done = self._run_step(request, answer, data, expected_version=expected)
        except WorkflowError as error:
            stale = error if isinstance(error, StaleVersionError) else None
            return self.page_again(
                request,
                object_id,
                error=str(error),
                comment=data["comment"],
                stale=stale,
                kept=_unsaved_typing(request, answer),
            )
        messages.success(request, what_happened(data["step"], done))
        return HttpResponseRedirect(self._after_step(request, answer, data["step"]))

    def page_again(
        self, request, object_id, *, error, comment="", stale=None, kept=None, kept_claim=None
    ):
        """The change page again, inside the admin: the refusal said, nothing typed lost."""
        messages.error(request, error)
        page_request = copy.copy(request)
        page_request.method = "GET"
        page_request.POST = QueryDict()
        context = {
            "kept_comment": comment,
            "stale": stale,
            "kept_content": kept,
            "kept_claim": kept_claim,
            "stale_step": True,
        }
        return self.change_view(page_request, object_id, extra_context=context)

    def _after_step(self, request, answer: Answer, step: str) -> str:
        """A reviewer who decided lands on the next answer in their queue."""
        if step in DECISIONS:
            following = (
                Answer.objects.for_reviewer(request.user)
                .exclude(pk=answer.pk)
                .order_by("document__name", "position")
                .first()
            )
            if following is not None:
                messages.info(request, f"Next in your review queue: {following}")
                return reverse("admin:editorial_answer_change", args=[following.pk])
        return reverse("admin:editorial_answer_change", args=[answer.pk])

    def _typed_content_changed(self, request, answer: Answer) -> bool:
        if "question" not in request.POST or not workflow.can_edit(answer, request.user):
            return False
        form = self.get_form(request, answer, change=True)(
            request.POST, request.FILES, instance=answer
        )
        formsets, _ = self._create_formsets(request, answer, change=True)
        return form.has_changed() or any(formset.has_changed() for formset in formsets)

    def _save_typed_content(self, request, object_id) -> tuple[object, int | None]:
        save_request = copy.copy(request)
        save_request.POST = request.POST.copy()
        save_request.POST.pop("step")
        save_request.editorial_step_follows = True  # the comment is the step's, not the save's
        response = super().change_view(save_request, object_id)
        # Set by save_related: the version this save made, which the step then acts on.
        return response, getattr(save_request, "editorial_saved_version", None)

    def refused_save(self, request, object_id):
        """An editor's save the rules refuse (in review, archived, someone else's) keeps
        their typing on the page instead of ending on a bare 403."""
        answer = self.get_object(request, unquote(object_id))
        if answer is None or not self.has_view_permission(request, answer):
            return None
        if not workflow.is_editor(request.user):
            return None
        try:
            workflow.check_can_edit(answer, request.user)
        except WorkflowError as error:
            return self.page_again(request, object_id, error=str(error), kept=_typed(request))
        return None

    def _run_step(self, request, answer: Answer, data: dict, *, expected_version: int) -> Answer:
        user, comment, step = request.user, data["comment"], data["step"]
        version = {"expected_version": expected_version}
        reviewer = _user_or_none(data.get("reviewer"))
        if step == "submit":
            return workflow.submit(answer, user, reviewer=reviewer, comment=comment, **version)
        if step == "assign_reviewer":
            return workflow.assign_reviewer(
                answer, user, reviewer=reviewer, comment=comment, **version
            )
        if step == "assign_editor":
            editor = _user_or_none(data.get("editor"))
            if editor is None:
                raise WorkflowError("Choose an editor.")
            return workflow.assign_editor(answer, user, editor, comment=comment, **version)
        if step == "claim":
            return workflow.claim(answer, user, **version)
        if step == "merge_import":
            return workflow.mark_import_merged(answer, user=user, comment=comment, **version)
        if step in {"withdraw", "approve", "request_changes", "archive", "restore"}:
            return getattr(workflow, step)(answer, user, comment=comment, **version)
        raise WorkflowError(f"Unknown step {step!r}.")

    def workflow_context(self, request, answer: Answer) -> dict:
        """What the workflow panel shows: exactly the steps the rules allow this person."""
        user = request.user
        steps = workflow.offered_steps(answer, user)
        return {
            "steps": steps,
            "comment_needed_by": next((step.label for step in steps if step.needs_comment), ""),
            "can_choose_reviewer": workflow.may_assign_reviewer(answer, user)
            or any(step.name == "submit" for step in steps),
            # Approve and request changes are often refused for one reason: say it once.
            "refused": list(dict.fromkeys(workflow.refused_transitions(answer, user).values())),
            "can_assign_reviewer": workflow.may_assign_reviewer(answer, user),
            "can_assign_editor": workflow.may_assign_editor(answer, user),
            "can_claim": workflow.may_claim(answer, user),
            "can_merge": answer.has_import_conflict and workflow.can_edit(answer, user),
            # Only people the rules allow: choosing one the step would refuse is a dead end.
            "reviewer_choices": workflow.eligible_reviewers(answer),
            "editor_choices": workflow.editors().order_by("username"),
            # The newest steps; an answer edited all year has hundreds, in its history.
            "events": answer.events.select_related("actor").order_by("-id")[:EVENTS_SHOWN],
            "event_count": answer.events.count(),
        }

    # --- bulk actions: each answer goes through the workflow and reports its outcome -----

    def get_actions(self, request):
        actions = super().get_actions(request)
        step_of_action = {
            "claim_selected": "claim",
            "submit_selected": "submit",
            "withdraw_selected": "withdraw",
            "approve_selected": "approve",
            "request_changes_selected": "request_changes",
            "assign_reviewer_selected": "assign_reviewer",
            "balance_reviewers": "assign_reviewer",
            "archive_selected": "archive",
            "restore_selected": "restore",
        }
        allowed = {
            name: workflow.has_part_in(step, request.user) for name, step in step_of_action.items()
        }
        return {name: action for name, action in actions.items() if allowed.get(name, True)}

    def _apply(self, request, queryset, label: str, step, *, decision: bool = False) -> None:
        """Take the step on each answer, from the version the list (or page) showed of it.

        "Select all" reaches answers the list page never showed: a step that only moves
        them along (archive, assign…) takes them as they are, its rules checked under the
        lock; a decision on their content needs the page that showed them (approve and
        request changes always pass through one).
        """
        done, refused = [], []
        versions = _loaded_versions(request)
        across = request.POST.get("select_across") == "1"
        for answer in queryset.select_related("document"):
            try:
                if answer.pk not in versions and (decision or not across):
                    raise WorkflowError(UNSEEN)
                step(answer, versions.get(answer.pk))
            except WorkflowError as error:
                refused.append((answer, str(error)))
            else:
                done.append(answer)
        _report(request, label, done, refused)

    def _decide_many(self, request, queryset, label: str, decide) -> None:
        """A decision on many answers in one workflow call, each at the version shown.

        The workflow checks every rule per answer as the one-at-a-time path does and
        writes a batch of answers at a time; answers the page did not show are refused.
        """
        versions = _loaded_versions(request)
        answers = list(queryset.select_related("document"))
        unseen = {answer.pk for answer in answers if answer.pk not in versions}
        outcome = decide([answer for answer in answers if answer.pk not in unseen], versions)
        reasons = {answer.pk: str(error) for answer, error in outcome.refused}
        reasons.update(dict.fromkeys(unseen, UNSEEN))
        refused = [(answer, reasons[answer.pk]) for answer in answers if answer.pk in reasons]
        _report(request, label, outcome.done, refused)

    @admin.action(description="Claim (become their editor)")
    def claim_selected(self, request, queryset):
        self._apply(
            request,
            queryset,
            "Claim",
            lambda a, v: workflow.claim(a, request.user, expected_version=v),
        )

    @admin.action(description="Submit for review")
    def submit_selected(self, request, queryset):
        self._apply(
            request,
            queryset,
            "Submit",
            lambda a, v: workflow.submit(a, request.user, expected_version=v),
        )

    @admin.action(description="Withdraw from review")
    def withdraw_selected(self, request, queryset):
        self._apply(
            request,
            queryset,
            "Withdraw",
            lambda a, v: workflow.withdraw(a, request.user, expected_version=v),
        )

    @admin.action(description="Approve…")
    def approve_selected(self, request, queryset):
        # Nobody approves text they did not see: the answers' changes are shown first, and
        # each is approved only at the version that page showed.
        return self._with_input(
            request,
            queryset,
            action="approve_selected",
            title="Approve",
            show_changes=True,
            run=lambda data: self._decide_many(
                request,
                queryset,
                "Approve",
                lambda answers, versions: workflow.approve_many(
                    answers=answers,
                    user=request.user,
                    comment=data["comment"],
                    expected_versions=versions,
                ),
            ),
        )

    @admin.action(description="Request changes…")
    def request_changes_selected(self, request, queryset):
        return self._with_input(
            request,
            queryset,
            action="request_changes_selected",
            title="Request changes",
            need_comment=True,
            run=lambda data: self._apply(
                request,
                queryset,
                "Request changes",
                lambda a, v: workflow.request_changes(
                    a, request.user, comment=data["comment"], expected_version=v
                ),
                decision=True,
            ),
        )

    @admin.action(description="Assign reviewer…")
    def assign_reviewer_selected(self, request, queryset):
        def run(data):
            reviewer = _user_or_none(data.get("reviewer"))
            if reviewer is None:
                messages.error(request, "Choose a reviewer, or use “Balance reviewers”.")
                return
            self._apply(
                request,
                queryset,
                "Assign reviewer",
                lambda a, v: workflow.assign_reviewer(
                    a, request.user, reviewer=reviewer, expected_version=v
                ),
            )

        return self._with_input(
            request,
            queryset,
            action="assign_reviewer_selected",
            title="Assign a reviewer",
            reviewer_choices=workflow.reviewers().order_by("username"),
            run=run,
        )

    @admin.action(description="Balance reviewers (least loaded)")
    def balance_reviewers(self, request, queryset):
        self._apply(
            request,
            queryset.exclude(status__in=[Status.APPROVED, Status.ARCHIVED]),
            "Balance reviewers",
            lambda a, v: workflow.assign_reviewer(a, request.user, expected_version=v),
        )

    @admin.action(description="Archive")
    def archive_selected(self, request, queryset):
        self._apply(
            request,
            queryset,
            "Archive",
            lambda a, v: workflow.archive(a, request.user, expected_version=v),
        )

    @admin.action(description="Restore from archive")
    def restore_selected(self, request, queryset):
        self._apply(
            request,
            queryset,
            "Restore",
            lambda a, v: workflow.restore(a, request.user, expected_version=v),
        )

    def _with_input(
        self,
        request,
        queryset,
        *,
        action,
        title,
        run,
        need_comment=False,
        reviewer_choices=None,
        show_changes=False,
    ):
        """An intermediate page for bulk steps that need a comment, a choice or a look.

        It carries the version of each answer it shows; the step acts on those versions.
        """
        if request.POST.get("confirm"):
            form = BulkStepForm(request.POST)
            if form.is_valid() and (form.cleaned_data["comment"].strip() or not need_comment):
                run(form.cleaned_data)
                return None
            messages.error(request, "A comment is needed saying what to change.")
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "queryset": queryset,
            "rows": [
                {
                    "answer": answer,
                    "diff": diff_content(review_baseline(answer), current_snapshot(answer))
                    if show_changes
                    else None,
                }
                for answer in queryset.select_related("document", "approved").prefetch_related(
                    "sources", workflow.EVIDENCE_PREFETCH
                )
            ],
            "action": action,
            "need_comment": need_comment,
            "reviewer_choices": reviewer_choices,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across") == "1",
        }
        return TemplateResponse(request, "admin/editorial/answer/bulk_step.html", context)


UNSEEN = "The page did not say which version of this answer it showed; reload it and try again."


def _report(request, label: str, done: list[Answer], refused: list[tuple[Answer, str]]) -> None:
    """One message for what a bulk step did, one per answer it refused, saying why."""
    if done:
        names = "; ".join(str(answer) for answer in done[:3])
        more = f"; and {len(done) - 3} more" if len(done) > 3 else ""
        messages.success(request, f"{label}: {len(done)} answer(s) done: {names}{more}.")
    for answer, reason in refused:
        messages.error(request, f"{label} refused for {answer}: {reason}")


class BulkStepForm(forms.Form):
    comment = forms.CharField(required=False)
    reviewer = forms.IntegerField(required=False)


def what_happened(step: str, answer: Answer) -> str:
    """The message after a step: what it did, in the words of the people involved."""
    name = workflow.display_name
    said = {
        "submit": lambda: f"submitted to reviewer {name(answer.reviewer)}",
        "withdraw": lambda: "withdrawn from review; it is a draft you can edit again",
        "approve": lambda: f"approved version {answer.version}; it is now the exported one",
        "request_changes": lambda: (
            f"changes requested of {name(answer.editor)}" if answer.editor else "changes requested"
        ),
        "archive": lambda: "archived; it is left out of exports until restored",
        "restore": lambda: f"restored to {answer.get_status_display().lower()}",
        "assign_reviewer": lambda: f"{name(answer.reviewer)} is now its reviewer",
        "assign_editor": lambda: f"{name(answer.editor)} is now its editor",
        "claim": lambda: "you are now its editor",
        "merge_import": lambda: "the re-import is marked merged",
    }
    return f"{answer}: {said[step]()}."


def _loaded_versions(request) -> dict[int, int]:
    """The version of each answer that the posting page showed, by answer id.

    A list row carries `loaded_version_<id>`; an intermediate page carries them all in one
    field, `loaded_versions` ("id:version,…"), so a large selection stays one field.
    """
    prefix = "loaded_version_"
    pairs = [
        (key.removeprefix(prefix), value)
        for key, value in request.POST.items()
        if key.startswith(prefix)
    ]
    for pair in request.POST.get("loaded_versions", "").split(","):
        pk, _, version = pair.partition(":")
        pairs.append((pk, version))
    return {int(pk): int(version) for pk, version in pairs if pk.isdigit() and version.isdigit()}


def _label(step: str) -> str:
    return workflow.STEPS[step].label if step in workflow.STEPS else step.replace("_", " ")


def _unsaved_typing(request, answer: Answer) -> dict | None:
    """Typing posted with a step that could not be saved (the answer stopped being
    editable meanwhile): shown back so that it can be copied, never silently dropped."""
    if "question" not in request.POST:
        return None
    typed = _typed(request)
    stored = Answer.objects.get(pk=answer.pk)
    if (typed["question"], typed["text"]) == (stored.question, stored.text):
        return None
    return typed


def _typed(request) -> dict:
    """What the person typed into the change form, to put back in front of them."""
    post = request.POST
    sources = []
    total = post.get("sources-TOTAL_FORMS", "0")
    for index in range(min(int(total) if total.isdigit() else 0, 1000)):
        prefix = f"sources-{index}-"
        if post.get(prefix + "DELETE"):
            continue
        source = {key: post.get(prefix + key, "") for key in ("url", "title", "publisher")}
        if any(source.values()):
            sources.append(source)
    return {"question": post.get("question", ""), "text": post.get("text", ""), "sources": sources}


def _user_or_none(pk):
    if not pk:
        return None
    return get_user_model().objects.filter(pk=pk).first()
