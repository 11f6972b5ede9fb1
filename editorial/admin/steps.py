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
from django.http import HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from editorial import workflow
from editorial.admin.merge_forms import typed_source_rows
from editorial.admin.review import current_snapshot, review_baseline
from editorial.diffs import diff_content
from editorial.models import Answer
from editorial.wording import counted
from editorial.workflow import StaleVersionError, WorkflowError


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
        return [
            self.page_path("<path:object_id>/workflow/", self.workflow_view, "workflow"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST" and "step" in request.POST:
            return self.workflow_view(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    @method_decorator(require_POST)
    def workflow_view(self, request, object_id):
        answer = self.answer_acted_on(request, object_id)
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
            following = _next_in_queue(request.user, answer)
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
        """The step the button posted, through its service in the table, with its inputs."""
        step = workflow.STEPS.get(data["step"])
        if step is None:
            raise WorkflowError(f"Unknown step {data['step']!r}.")
        given = {
            "comment": data["comment"],
            "reviewer": _user_or_none(data.get("reviewer")),
            "editor": _user_or_none(data.get("editor")),
        }
        inputs = {name: given[name] for name in step.inputs}
        return step.service(answer, request.user, **inputs, expected_version=expected_version)

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
            "next_answer_url": _next_answer_url(user, answer),
        }

    # --- bulk actions: generated from the table, each answer through the workflow --------

    def get_actions(self, request):
        actions = super().get_actions(request)
        offered = {way.action: step for step, way in LIST_ACTIONS}
        return {
            name: action
            for name, action in actions.items()
            if name not in offered or workflow.has_part_in(offered[name].name, request.user)
        }

    def take_on_many(self, request, queryset, step: workflow.Step, way: workflow.OnMany):
        """A list action: a page first where the step asks something, then the step on each.

        "Select all" reaches answers the list page never showed: a step that only moves
        them along (archive, assign…) takes them as they are, its rules checked under the
        lock; a decision on their content needs the page that showed them (approve and
        request changes always pass through one).
        """
        if not way.choose:  # balancing: only answers still being worked on
            queryset = queryset.filter(status__in=workflow.OPEN_STATES)
        if not way.asks:
            self._take(request, queryset, step, way, {})
            return None
        if request.POST.get("confirm"):
            form = BulkStepForm(request.POST)
            if form.is_valid():
                inputs = {"comment": form.cleaned_data["comment"]}
                if way.asks in PEOPLE_ASKED:
                    inputs = {way.asks: _user_or_none(form.cleaned_data[way.asks])}
                if way.asks == "comment" and not inputs["comment"].strip():
                    messages.error(request, "A comment is needed saying what to change.")
                elif way.asks in PEOPLE_ASKED and inputs[way.asks] is None:
                    messages.error(request, PEOPLE_ASKED[way.asks])
                    return None
                else:
                    self._take(request, queryset, step, way, inputs)
                    return None
        return self._bulk_page(request, queryset, step, way)

    def _take(self, request, queryset, step, way, inputs: dict) -> None:
        outcome = workflow.take_many(
            step.name,
            answers=list(queryset.select_related("document")),
            user=request.user,
            expected_versions=_loaded_versions(request),
            unseen_allowed=not way.decision and request.POST.get("select_across") == "1",
            **inputs,
        )
        refused = [(answer, str(error)) for answer, error in outcome.refused]
        _report(request, way.label or step.label, outcome.done, refused)

    def _bulk_page(self, request, queryset, step, way):
        """The page before a bulk step that needs a comment, a choice or a look.

        It carries the version of each answer it shows; the step acts on those versions.
        """
        look = way.asks == "look"
        context = {
            **self.admin_site.each_context(request),
            "title": way.title or step.label,
            "opts": self.opts,
            "queryset": queryset,
            "rows": [
                {
                    "answer": answer,
                    "diff": diff_content(review_baseline(answer), current_snapshot(answer))
                    if look
                    else None,
                }
                for answer in queryset.select_related("document", "approved").prefetch_related(
                    "sources", workflow.EVIDENCE_PREFETCH
                )
            ],
            "action": way.action,
            "need_comment": way.asks == "comment",
            "reviewer_choices": workflow.reviewers().order_by("username")
            if way.asks == "reviewer"
            else None,
            "editor_choices": workflow.editors().order_by("username")
            if way.asks == "editor"
            else None,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across") == "1",
        }
        return TemplateResponse(request, "admin/editorial/answer/bulk_step.html", context)


def _list_action(step: workflow.Step, way: workflow.OnMany):
    """The answer list's action for one way the table offers a step on many answers."""

    def action(modeladmin, request, queryset):
        return modeladmin.take_on_many(request, queryset, step, way)

    action.__name__ = way.action
    return admin.action(description=way.description)(action)


# (step, way) for every list action, in the table's order.
LIST_ACTIONS = [(step, way) for step in workflow.STEPS.values() for way in step.many]
ACTIONS = [_list_action(step, way) for step, way in LIST_ACTIONS]
# A reviewer who took one of these lands on the next answer in their queue.
DECISIONS = {step.name for step, way in LIST_ACTIONS if way.decision}


def _report(request, label: str, done: list[Answer], refused: list[tuple[Answer, str]]) -> None:
    """One message for what a bulk step did, one per answer it refused, saying why."""
    if done:
        names = "; ".join(str(answer) for answer in done[:3])
        more = f"; and {len(done) - 3} more" if len(done) > 3 else ""
        messages.success(request, f"{label}: {counted(len(done), 'answer')} done: {names}{more}.")
    for answer, reason in refused:
        messages.error(request, f"{label} refused for {answer}: {reason}")


class BulkStepForm(forms.Form):
    comment = forms.CharField(required=False)
    reviewer = forms.IntegerField(required=False)
    editor = forms.IntegerField(required=False)


# The people a bulk step's page may ask for, and what it says when none was chosen.
PEOPLE_ASKED = {
    "reviewer": "Choose a reviewer, or use “Balance reviewers”.",
    "editor": "Choose an editor, or use “Balance editors”.",
}


def what_happened(step: str, answer: Answer) -> str:
    """The message after a step: what it did, in the words of the people involved."""
    return f"{answer}: {workflow.STEPS[step].done(answer)}."


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


def _next_in_queue(user, answer: Answer) -> Answer | None:
    return (
        Answer.objects.for_reviewer(user)
        .exclude(pk=answer.pk)
        .order_by("document__name", "position")
        .first()
    )


def _next_answer_url(user, answer: Answer) -> str:
    """Where "Next answer" goes: the next in the person's review queue, else the next answer
    of this document."""
    following = _next_in_queue(user, answer) or (
        Answer.objects.filter(document_id=answer.document_id, position__gt=answer.position)
        .order_by("position")
        .first()
    )
    return reverse("admin:editorial_answer_change", args=[following.pk]) if following else ""


def _label(step: str) -> str:
    """A state change by its label; anything else by its name, as people read it."""
    known = workflow.STEPS.get(step)
    return known.label if known is not None and known.transition else step.replace("_", " ")


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
    rows = typed_source_rows(post, ("url", "title", "publisher"))
    sources = [source for _, source in rows if any(source.values())]
    return {"question": post.get("question", ""), "text": post.get("text", ""), "sources": sources}


def _user_or_none(pk):
    if not pk:
        return None
    return get_user_model().objects.filter(pk=pk).first()
