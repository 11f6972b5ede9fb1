"""Acronyms: "(ICE)" after a name defines it, and "ICE" later is the same claim; a listed
agency's acronym ("FBI") or a state's agency ("Massachusetts RMV") is a claim on its own.

A definition is found the way Schwartz and Hearst's algorithm finds it (the acronym's letters
taken backwards from the words before the parenthesis, its first letter opening a word), so
"Facial Analysis, Comparison, and Evaluation (FACE) Services" is read across its commas. A
defined acronym whose name has no head word names a program or a thing ("Supplemental
Nutrition Assistance Program (SNAP)", "memorandum of understanding (MOU)") and is no claim,
nor are its later uses; nor is a generic agency's ("state Department of Motor Vehicles
(DMV)") or a kind of agency named alone ("the DMV", "state DMVs").
"""

from __future__ import annotations

import re

from editorial.flags.claims.names import (
    KNOWN_NAME_OF,
    ORG_HEADS,
    Name,
    classify,
)
from editorial.flags.claims.text import US_STATES, Sentences

_DEFINITION = re.compile(r"\(([A-Z][A-Za-z&]{1,10})\)")
_ACRONYM = re.compile(r"(?<![\w(’'&.-])([A-Z][A-Za-z&]*[A-Z])(s?)(?![\w)&-]|\.\w)")
_STATE_BEFORE = re.compile(
    "(?:" + "|".join(sorted(map(re.escape, US_STATES), key=len, reverse=True)) + r")(?:’s|'s)?\s$"
)
_HEAD_AFTER = re.compile(r"\s+([A-Z][\w’'&.-]*)")
_WORD = re.compile(r"[^\s,]+")
# Capitals that are not an agency even after a state's name.
_NOT_AGENCIES = frozenset(
    "ID REAL SNAP TANF WIC CDL DACA SSN EBT FAQ PDF USA US COVID TRUST SAVE MOU SB HB AB HR "
    "LD LB GDP CEO AI IT GPS DNA ER PTO".split()
)


def join_definitions(text: str, names: list[Name], sentences: Sentences) -> dict[str, Name | None]:
    """Each acronym defined in parentheses and the name it stands for (None for a program, a
    thing or a generic agency); the names are extended over their "(ACR)"."""
    defined: dict[str, Name | None] = {}
    if "(" not in text:
        return defined
    by_end = {name.end: name for name in names}
    for match in _DEFINITION.finditer(text):
        acronym, opening, closing = match.group(1), match.start(), match.end()
        if acronym in defined:
            continue
        before = opening
        while before and text[before - 1] == " ":
            before -= 1
        owner = by_end.get(before)
        if owner is not None and long_form(acronym, text[owner.start : owner.end]) is not None:
            owner.end, owner.acronym = closing, acronym
            defined[acronym] = None if owner.generic else owner
            continue
        sentence_start = sentences.spans[sentences.index(opening)][0]
        window_start = max(sentence_start, opening - 140)
        found = long_form(acronym, text[window_start:before])
        if found is None:
            continue
        start, end = window_start + found, closing
        head = _HEAD_AFTER.match(text, closing)
        tokens = [(start + m.start(), start + m.end(), m.group()) for m in _WORD.finditer(
            text[start:before])]  # fmt: skip
        if head and head.group(1) in ORG_HEADS:  # "(MIRA) Coalition", "(FACE) Services"
            end = head.end()
            tokens.append((head.start(1), head.end(1), head.group(1)))
        name = classify(tokens, text)
        if name is not None:
            name.start, name.end, name.acronym = max(name.start, start), end, acronym
            names[:] = [n for n in names if n.end <= start or n.start >= end]
            names.append(name)
            by_end[name.end] = name
        defined[acronym] = None if name is None or name.generic else name
    return defined


def long_form(acronym: str, before: str) -> int | None:
    """Where in `before` the words the acronym stands for start (Schwartz & Hearst, 2003):
    its letters are found backwards, the first one opening a word."""
    letters = [c.lower() for c in acronym if c.isalnum()]
    index = len(before) - 1
    for position in range(len(letters) - 1, -1, -1):
        letter = letters[position]
        while index >= 0 and (
            before[index].lower() != letter
            or (position == 0 and index > 0 and before[index - 1].isalnum())
        ):
            index -= 1
        if index < 0:
            return None
        index -= 1
    return before.rfind(" ", 0, index + 1) + 1


def acronym_mentions(text: str, defined: dict[str, Name | None]) -> list[tuple[Name, str]]:
    """Each use of an acronym that is a claim, with the acronym: a defined one's, a listed
    agency's, and a state's agency's ("Mississippi DPS")."""
    found = []
    for match in _ACRONYM.finditer(text):
        acronym, plural = match.group(1), match.group(2)
        start, end = match.start(), match.end(1)
        if plural:
            continue  # "state DMVs": a kind of agency
        state = _STATE_BEFORE.search(text, max(0, start - 24), start)
        words = [*text[state.start() : start].split(), acronym] if state else [acronym]
        if state:
            start = state.start()
        if acronym in defined:
            if defined[acronym] is not None:
                found.append((Name(start, end, defined[acronym].kind, words), acronym))
        elif (state and acronym not in _NOT_AGENCIES) or acronym in KNOWN_NAME_OF:
            found.append((Name(start, end, "organisation", words), acronym))
    return found
