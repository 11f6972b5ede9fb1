"""The claims panel of an answer: settle each specific claim of the text, one form per claim.

The panel sits outside the change form (HTML forms cannot nest), so it posts to its own
URL with the version the page showed; the rules are workflow.settle_claim and clear_claim.
A refused settlement (stale page, missing excerpt or reason) shows the page again with
what was typed still in the claim's form.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from editorial import flags, workflow
from editorial.models import Answer, ClaimEvidence

LINK, COMMON, CLEAR = "link", "common", "clear"


class ClaimForm(forms.Form):
    claim = forms.CharField(max_length=300)
    action = forms.ChoiceField(choices=[(LINK, LINK), (COMMON, COMMON), (CLEAR, CLEAR)])
    source = forms.IntegerField(required=False)
    excerpt = forms.CharField(required=False, widget=forms.Textarea)
    reason = forms.CharField(required=False, widget=forms.Textarea)
    loaded_version = forms.IntegerField()


class ClaimsMixin:
    """The claims panel on the answer page and the review panel's claims with evidence."""

    def get_urls(self):
        return [
            self.page_path("<path:object_id>/claims/", self.claims_view, "claims"),
            *super().get_urls(),
        ]

    @method_decorator(require_POST)
    def claims_view(self, request, object_id):
        answer = self.answer_acted_on(request, object_id)
        form = ClaimForm(request.POST)
        if not form.is_valid():
            return self._claims_again(
                request, object_id, "The request was incomplete; nothing was changed.", form
            )
        data = form.cleaned_data
        version = {"expected_version": data["loaded_version"]}
        try:
            if data["action"] == CLEAR:
                saved = workflow.clear_claim(
                    answer, user=request.user, claim=data["claim"], **version
                )
                done = "evidence cleared; the claim must be settled again"
            else:
                saved = workflow.settle_claim(
                    answer,
                    user=request.user,
                    claim=data["claim"],
                    kind=ClaimEvidence.Kind.SOURCE
                    if data["action"] == LINK
                    else ClaimEvidence.Kind.COMMON_KNOWLEDGE,
                    source_id=data["source"],
                    excerpt=data["excerpt"],
                    reason=data["reason"],
                    **version,
                )
                done = "linked to its source" if data["action"] == LINK else "common knowledge"
        except workflow.WorkflowError as error:
            stale = error if isinstance(error, workflow.StaleVersionError) else None
            return self._claims_again(request, object_id, str(error), form, stale=stale)
        # Named as the text writes it (the form posts its normalised key).
        key = flags.claim_key(data["claim"])
        name = next(
            (claim.text for claim in flags.find_claims(saved.text) if claim.key == key),
            data["claim"],
        )
        messages.success(request, f"Claim “{name}”: {done}.")
        url = reverse("admin:editorial_answer_change", args=[answer.pk])
        return HttpResponseRedirect(f"{url}#claims")

    def _claims_again(self, request, object_id, error, form, *, stale=None):
        """The answer page again with the refusal said and the claim's typing kept."""
        kept = {key: form.data.get(key, "") for key in ("claim", "source", "excerpt", "reason")}
        return self.page_again(request, object_id, error=error, stale=stale, kept_claim=kept)

    def claims_context(self, request, answer: Answer, *, kept_claim: dict | None = None) -> dict:
        """Each claim of the text now with its evidence; the forms only for who may edit."""
        kept_claim = kept_claim or {}
        rows = []
        for claim, evidence in workflow.claims_with_evidence(answer):
            kept = kept_claim if kept_claim.get("claim") in (claim.key, claim.text) else {}
            rows.append(
                {
                    "claim": claim,
                    "evidence": evidence,
                    "settled": evidence is not None and evidence.settled,
                    "kept": kept,
                    "kept_source": str(kept.get("source") or ""),
                }
            )
        return {
            "claims": rows,
            "claims_unsettled": sum(not row["settled"] for row in rows),
            "claims_editable": workflow.can_edit(answer, request.user),
            "claim_sources": list(answer.sources.order_by("id")),
            "claims_url": reverse("admin:editorial_answer_claims", args=[answer.pk]),
            "claims_version": answer.version,
        }
