"""Quality flags and the claim finder: what an editor must fix or look at before approval.

- patterns: hedges and specific claims in a text, and the text in passages marked by them
- quality: the flags, `evaluate`, and their levels
- duplicates: the copy flag, stored on the answers (`refresh_flags`)
- claims: the claim finder an editor settles claims from (`find_claims`)

Callers import the package (`from editorial import flags`); these are its public names.
"""

from editorial.flags.claims import Claim, claim_key, find_claims
from editorial.flags.duplicates import (
    add_duplicate_flag,
    fingerprint,
    first_copies,
    refresh_flags,
)
from editorial.flags.patterns import (
    CLAIM_PASSAGE,
    CLAIM_RE,
    EXECUTIVE_ORDER_RE,
    HEDGE_PASSAGE,
    HEDGE_RE,
    ORG_WORDS,
    PLAIN_PASSAGE,
    Passage,
    has_hedge,
    has_specific_claim,
    has_year,
    highlight,
)
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
    with_duplicate,
)
from editorial.models import FlagLevel

__all__ = [
    "CLAIM_PASSAGE",
    "CLAIM_RE",
    "DUPLICATE",
    "EMPTY",
    "EXECUTIVE_ORDER_RE",
    "FLAGS",
    "HEDGE",
    "HEDGE_PASSAGE",
    "HEDGE_RE",
    "NO_SOURCE",
    "ORG_WORDS",
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
    "has_hedge",
    "has_specific_claim",
    "has_year",
    "highlight",
    "is_stale",
    "level_of",
    "refresh_flags",
    "stale_before",
    "with_duplicate",
]
