"""Quality flags and the claim finder: what an editor must fix or look at before approval.

- patterns: knowledge-cutoff hedges (`has_hedge`)
- claims: the claim finder an editor settles claims from (`find_claims`), its quick test
  (`has_specific_claim`) and its score on the labelled corpus (`claims.score`)
- marks: the text in passages, its hedges and claims marked (`highlight`)
- quality: the flags, `evaluate`, and their levels
- duplicates: the copy flag, stored on the answers (`refresh_flags`)

Callers import the package (`from editorial import flags`); these are its public names.
"""

from editorial.flags.claims import KINDS as CLAIM_KINDS
from editorial.flags.claims import Claim, claim_key, find_claims, has_specific_claim
from editorial.flags.duplicates import (
    add_duplicate_flag,
    fingerprint,
    first_copies,
    new_answer_checks,
    refresh_flags,
)
from editorial.flags.marks import CLAIM_PASSAGE, HEDGE_PASSAGE, PLAIN_PASSAGE, Passage, highlight
from editorial.flags.patterns import HEDGE_RE, fold, has_hedge
from editorial.flags.quality import (
    DUPLICATE,
    EMPTY,
    FLAGS,
    HEDGE,
    NO_SOURCE,
    STALE_SOURCE,
    TRUNCATED,
    UNSOURCED_CLAIM,
    Flag,
    blocking_flags,
    ends_mid_sentence,
    evaluate,
    is_stale,
    level_of,
    stale_before,
    stored,
    with_duplicate,
)
from editorial.models import FlagLevel

__all__ = [
    "CLAIM_KINDS",
    "CLAIM_PASSAGE",
    "DUPLICATE",
    "EMPTY",
    "FLAGS",
    "HEDGE",
    "HEDGE_PASSAGE",
    "HEDGE_RE",
    "NO_SOURCE",
    "PLAIN_PASSAGE",
    "STALE_SOURCE",
    "TRUNCATED",
    "UNSOURCED_CLAIM",
    "Claim",
    "Flag",
    "FlagLevel",
    "Passage",
    "add_duplicate_flag",
    "blocking_flags",
    "claim_key",
    "ends_mid_sentence",
    "evaluate",
    "find_claims",
    "fingerprint",
    "first_copies",
    "fold",
    "has_hedge",
    "has_specific_claim",
    "highlight",
    "is_stale",
    "level_of",
    "new_answer_checks",
    "refresh_flags",
    "stale_before",
    "stored",
    "with_duplicate",
]
