"""The claims panel of an answer: the specific claims of the text, one form per sentence.

A sentence's claims are settled together (workflow.settle_claims, one edit): one source and
excerpt, or one reason, for all of them, and for any claim of it another way ("Settle this
claim differently") or not at all. The panel sits outside the change form (HTML forms
cannot nest), so it posts to its own URL with the version the page showed. A refused
settlement (stale page, missing excerpt or reason) shows the page again with what was typed
still in the sentence's form. Server-rendered: no script is needed.

With script (workspace.js), a sentence is settled in place: the same POST, with the header
`X-Editorial-Inplace: 1`, goes through the same permission check, service and stale check
and is answered with the claims panel alone (and the answer's new version in it), the
message inside it, what was typed kept on a refusal.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from editorial import flags, workflow
from editorial.models import Answer, ClaimEvidence

LINK, COMMON, CLEAR = "link", "common", "clear"
# How one claim of a sentence is settled: as the sentence, another way, or left as it is.
AS_SENTENCE, KEEP = "", "keep"
KIND_OF = {LINK: ClaimEvidence.Kind.SOURCE, COMMON: ClaimEvidence.Kind.COMMON_KNOWLEDGE}
WAYS = [
    (AS_SENTENCE, "as the sentence"),
    (LINK, "linked to a source of its own"),
    (COMMON, "common knowledge, its own reason"),
    (KEEP, "left as it is"),
]
MAX_CLAIMS = 50  # claims one form posts; a sentence holds far fewer
_TYPED = ("source", "excerpt", "reason")
INPLACE_HEADER = "X-Editorial-Inplace"
PANEL_TEMPLATE = "admin/editorial/answer/_claims_panel.html"


class ClaimsForm(forms.Form):
    """A sentence's form: the sentence's way of settling and the version the page showed."""

    action = forms.ChoiceField(
        required=False, choices=[(LINK, LINK), (COMMON, COMMON), (CLEAR, CLEAR)]
    )
    clear = forms.CharField(required=False, max_length=300)
    source = forms.IntegerField(required=False)
    excerpt = forms.CharField(required=False, widget=forms.Textarea)
    reason = forms.CharField(required=False, widget=forms.Textarea)
    loaded_version = forms.IntegerField()

    def clean(self):
        data = super().clean()
        if not data.get("action") and not data.get("clear"):
            raise forms.ValidationError("Choose how to settle the claims.")
        return data


def _posted(request) -> tuple[list[str], dict[str, dict], list[str]]:
    """The claims the form named, each one's own way where it differs, and those to keep."""
    claims = request.POST.getlist("claim")[:MAX_CLAIMS]
    overrides: dict[str, dict] = {}
    kept_as_is = []
    for index, claim in enumerate(claims):
        how = request.POST.get(f"how_{index}", AS_SENTENCE)
        if how == KEEP:
            kept_as_is.append(claim)
        elif how in KIND_OF:
            own = {"kind": KIND_OF[how]}
            for field in _TYPED:  # what it leaves empty it takes from the sentence
                value = request.POST.get(f"{field}_{index}", "").strip()
                if value and field == "source":
                    own["source_id"] = _number(value)
                elif value:
                    own[field] = value
            overrides[claim] = own
    return claims, overrides, kept_as_is


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
        form = ClaimsForm(request.POST)
        claims, overrides, kept_as_is = _posted(request)
        if not form.is_valid() or not claims:
            return self._claims_again(
                request, object_id, "The request was incomplete; nothing was changed.", form
            )
        data = form.cleaned_data
        version = {"expected_version": data["loaded_version"]}
        try:
            if data["clear"] or data["action"] == CLEAR:
                cleared = data["clear"] or claims[0]
                saved = workflow.clear_claim(answer, user=request.user, claim=cleared, **version)
                settled, done = [cleared], "evidence cleared; the claim must be settled again"
            else:
                settled = [claim for claim in claims if claim not in kept_as_is]
                saved = workflow.settle_claims(
                    answer,
                    user=request.user,
                    claims=settled,
                    kind=KIND_OF[data["action"]],
                    source_id=data["source"],
                    excerpt=data["excerpt"],
                    reason=data["reason"],
                    overrides={claim: overrides[claim] for claim in settled if claim in overrides},
                    **version,
                )
                done = "linked to its source" if data["action"] == LINK else "common knowledge"
                if any(claim in overrides for claim in settled):
                    done = "settled, each as chosen"
        except workflow.WorkflowError as error:
            stale = error if isinstance(error, workflow.StaleVersionError) else None
            return self._claims_again(request, object_id, str(error), form, stale=stale)
        names = _names(saved.text, settled)
        label = "Claim" if len(names) == 1 else "Claims"
        said = f"{label} {', '.join(f'“{n}”' for n in names)}: {done}."
        if _inplace(request):
            return self._claims_panel(request, saved, said, "success")
        messages.success(request, said)
        url = reverse("admin:editorial_answer_change", args=[answer.pk])
        return HttpResponseRedirect(f"{url}#claims")

    def _claims_again(self, request, object_id, error, form, *, stale=None):
        """The answer page again with the refusal said and the sentence's typing kept."""
        kept = {key: value for key, value in form.data.items() if key != "csrfmiddlewaretoken"}
        kept["claims"] = request.POST.getlist("claim")[:MAX_CLAIMS]
        if _inplace(request):
            answer = self.answer_acted_on(request, object_id)
            return self._claims_panel(request, answer, error, "error", kept)
        return self.page_again(request, object_id, error=error, stale=stale, kept_claim=kept)

    def _claims_panel(self, request, answer, text, level, kept=None):
        """The claims panel alone, for a settlement in place: the answer as stored now, the
        message said inside it, a refused sentence's typing kept. A refusal is a 200 too,
        as the page's is (a 4xx is logged as an error by the browser): the header says it."""
        context = {
            **self.claims_context(request, answer, kept_claim=kept),
            "claims_message": {"text": text, "level": level},
            # The action bar's refusals change with the claims (approval waits on them).
            "refused": list(
                dict.fromkeys(workflow.refused_transitions(answer, request.user).values())
            ),
        }
        response = TemplateResponse(request, PANEL_TEMPLATE, context)
        response["X-Editorial-Version"] = str(answer.version)
        response["X-Editorial-Outcome"] = "settled" if level == "success" else "refused"
        return response

    def claims_context(self, request, answer: Answer, *, kept_claim: dict | None = None) -> dict:
        """Each claim of the text now with its evidence, and the claims by sentence for the
        forms (only for who may edit), what was typed kept in the sentence it was typed in."""
        kept_claim = kept_claim or {}
        sources = list(answer.sources.order_by("id"))
        rows = [
            {
                "claim": claim,
                "evidence": evidence,
                "settled": evidence is not None and evidence.settled,
            }
            for claim, evidence in workflow.claims_with_evidence(answer)
        ]
        sentences: dict[str, list[dict]] = {}
        for row in rows:
            sentences.setdefault(row["claim"].sentence, []).append(row)
        groups = []
        for number, (sentence, members) in enumerate(sentences.items(), 1):
            keys = [row["claim"].key for row in members]
            kept = kept_claim if kept_claim.get("claims") == keys else {}
            open_ones = any(not row["settled"] for row in members)
            form_rows = [
                _form_row(row, index, kept, keep_settled=open_ones)
                for index, row in enumerate(members)
            ]
            chosen = _chosen_source(sources, kept.get("source"))
            groups.append(
                {
                    "number": number,
                    "sentence": sentence,
                    "rows": form_rows,
                    "kept": kept,
                    "kept_source": str(kept.get("source") or ""),
                    # Picking a source offers its excerpt (workspace.js does so on a change).
                    "source_excerpt": chosen.excerpt if chosen else "",
                    "excerpt": kept.get("excerpt", "")
                    if kept
                    else (chosen.excerpt if chosen else ""),
                    # Any claim set apart from its sentence: its part of the form shown open.
                    "differs": any(
                        row["how"] not in (AS_SENTENCE, KEEP)
                        or row["kept_excerpt"]
                        or row["kept_reason"]
                        or row["kept_source"]
                        for row in form_rows
                    ),
                    "unsettled": sum(not row["settled"] for row in members),
                }
            )
        return {
            "claims": rows,
            "claim_sentences": groups,
            "claims_unsettled": sum(not row["settled"] for row in rows),
            "claims_editable": workflow.can_edit(answer, request.user),
            "claim_ways": WAYS,
            "claim_sources": sources,
            "claims_url": reverse("admin:editorial_answer_claims", args=[answer.pk]),
            "claims_version": answer.version,
        }


def _form_row(row: dict, index: int, kept: dict, *, keep_settled: bool) -> dict:
    """A claim's line in its sentence's form: where the sentence has claims still open, a
    settled one is left as it is unless chosen; a settled sentence is settled again whole."""
    default = KEEP if row["settled"] and keep_settled else AS_SENTENCE
    return {
        **row,
        "index": index,
        "how": kept.get(f"how_{index}", default) if kept else default,
        "kept_source": str(kept.get(f"source_{index}") or ""),
        "kept_excerpt": kept.get(f"excerpt_{index}", ""),
        "kept_reason": kept.get(f"reason_{index}", ""),
    }


def _inplace(request) -> bool:
    return request.headers.get(INPLACE_HEADER) == "1"


def _chosen_source(sources: list, kept) -> object | None:
    """The source a sentence's form has chosen: the one typed, else the first."""
    if kept:
        return next((source for source in sources if str(source.pk) == str(kept)), None)
    return sources[0] if sources else None


def _number(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _names(text: str, claims: list[str]) -> list[str]:
    """The claims as the text writes them (the form posts their normalised keys)."""
    found = flags.find_claims(text)
    names = []
    for claim in claims:
        key = flags.claim_key(claim)
        names.append(next((c.text for c in found if c.key == key or key in c.names), claim))
    return names
