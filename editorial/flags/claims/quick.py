"""The quick test an import runs on every answer: does the text hold a specific claim?

It agrees with the finder by construction. A listed agency's acronym ("ICE", "FBI") or a
section sign before a number is a claim wherever it stands (a hedge takes dates only), unless
the text defines the acronym as something else ("Internal Combustion Engine (ICE)"), and so is
a listed agency defined by its acronym ("Immigration and Customs Enforcement (ICE)"); where
one is present the answer is yes without running the finder, elsewhere the finder decides.
Most imported answers name an agency, so most are answered by a regular expression or two.
"""

from __future__ import annotations

import re

from editorial.flags.claims.finder import find_claims
from editorial.flags.claims.names import KNOWN_ACRONYMS_OF, KNOWN_NAME_OF

_SURE = re.compile(
    r"§\s*\d|(?<![\w(’'&.-])(?:"
    + "|".join(sorted((re.escape(a) for a in KNOWN_NAME_OF), key=len, reverse=True))
    + r")(?![\w)&-]|\.\w)"
)
# A listed agency defined by its own acronym: "Immigration and Customs Enforcement (ICE)".
_SURE_DEFINITION = re.compile(
    "|".join(
        sorted(
            (
                re.escape(f"{' '.join(name)} ({acronym})")
                for name, acronyms in KNOWN_ACRONYMS_OF.items()
                for acronym in acronyms
            ),
            key=len,
            reverse=True,
        )
    )
)


def has_specific_claim(text: str) -> bool:
    """Whether find_claims(text) finds anything, mostly without running it."""
    sure = _SURE.search(text)
    if sure:
        acronym = sure.group()
        definition = f"({acronym})"
        if (
            acronym.startswith("§")
            or definition not in text
            or f"{' '.join(KNOWN_NAME_OF[acronym])} {definition}" in text
        ):
            return True
    if "(" in text and _SURE_DEFINITION.search(text):
        return True
    return bool(find_claims(text))
