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

# Where a listed acronym may stand: a word of capitals alone, as the finder reads one; which
# of them is listed is a set lookup. One alternative per listed acronym took a third longer.
# Each alternative starts with the character it matches (the lookbehind comes after the
# first capital and looks one further back), so the search skips to a "§" or a capital
# instead of trying the lookbehind at every character: 8.2 → 4.2 µs an answer.
_ACRONYM_LETTERS = max(map(len, KNOWN_NAME_OF))
MAYBE_SURE = re.compile(
    rf"§\s*\d|[A-Z](?<![\w(’'&.-][A-Z])[A-Z]{{1,{_ACRONYM_LETTERS - 1}}}(?![\w)&-]|\.\w)"
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
    acronym = _sure(text)
    if acronym:
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


def _sure(text: str) -> str:
    """The first section sign before a number or listed agency acronym, or ""."""
    for found in MAYBE_SURE.finditer(text):
        candidate = found.group()
        if candidate[0] == "§" or candidate in KNOWN_NAME_OF:
            return candidate
    return ""
