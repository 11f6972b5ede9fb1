"""The claim finder: the specific claims of an answer a reviewer must see settled.

A specific claim is a date; a statute, Act, bill, code section, regulation, legal citation
or executive order; a court case; a named organisation, agency, court or office; or a
number, percentage, amount or duration stated as fact (README, "Claims and evidence"). Each
part finds one kind, from the text's sentences:

- text: sentences, knowledge-cutoff hedges and the words that open them
- dates, numbers: dates and numbers stated as fact
- legal: statutes, bills, citations and orders by number, and court cases
- names (with agencies.txt), acronyms: organisations and named statutes
- finder: the parts put together, overlaps settled, mentions of one claim joined
- quick: `has_specific_claim`, the cheap test an import runs on every answer
- score: precision and recall on the labelled corpus in tests/data/claims/
"""

from editorial.flags.claims.finder import KINDS, Claim, claim_key, find_claims
from editorial.flags.claims.quick import has_specific_claim

__all__ = ["KINDS", "Claim", "claim_key", "find_claims", "has_specific_claim"]
