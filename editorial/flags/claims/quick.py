"""The quick test an import runs on every answer: does the text hold a specific claim?

It agrees with the finder by construction: a listed agency's acronym ("ICE", "FBI") or a
section sign before a number is a claim whatever surrounds it, so where one is present (and
no hedge or parenthesis could change how it reads) the answer is yes without running the
finder; elsewhere the finder decides. Most imported answers name an agency, so most are
answered by one regular expression.
"""

from __future__ import annotations

import re

from editorial.flags.claims.finder import find_claims
from editorial.flags.claims.names import KNOWN_NAME_OF
from editorial.flags.patterns import has_hedge

_SURE = re.compile(
    r"§\s*\d|(?<![\w(’'&.-])(?:"
    + "|".join(sorted((re.escape(a) for a in KNOWN_NAME_OF), key=len, reverse=True))
    + r")(?![\w)&-]|\.\w)"
)


def has_specific_claim(text: str) -> bool:
    """Whether find_claims(text) finds anything, mostly without running it."""
    sure = _SURE.search(text)
    if (
        sure
        and (sure.group().startswith("§") or f"({sure.group()})" not in text)
        and not has_hedge(text)
    ):
        return True
    return bool(find_claims(text))
