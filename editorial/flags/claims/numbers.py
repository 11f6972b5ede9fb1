"""Numbers, percentages, amounts and durations stated as fact: "54%", "$25,500 per day",
"30 days", "six months", "one in four", "twice the deposit".

Every number written in digits is a claim unless it is a list item's number, part of a word
("I-9", "F.3d"), an ordinal ("5th"), a bare year (a date) or a number that names a level,
form or section; numbers inside a statute, a case or a date belong to that longer claim (the
finder keeps the longer where two overlap). A number written in words is a claim only with
what it counts: a unit of time or money, or people and places ("three days", "two employer
contacts"), not the answer's own points ("three main ways", "one of the key factors") nor
things already named ("the two agencies").
"""

from __future__ import annotations

import re

_SCALE = r"(?:\s+(?:million|billion|trillion|thousand))?"
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?" + _SCALE
_PER = (
    r"(?:\s+(?:per|a|an|each|every)\s+(?:day|week|month|year|hour|household|person|"
    r"violation|case|applicant))?"
)
_UNITS = (
    r"days?|weeks?|months?|years?|hours?|minutes?|business\s+days|calendar\s+days|"
    r"times|percent|per\s+cent|percentage\s+points"
)


def _either_case(words: str) -> str:
    """Word alternatives whose first letter may be a capital (a sentence may open on one)."""
    return "|".join(f"[{w[0].upper()}{w[0]}]{w[1:]}" for w in words.split())


_ONES = _either_case("one two three four five six seven eight nine")
_NUMBER_WORD = (
    rf"(?:(?:{_either_case('twenty thirty forty fifty sixty seventy eighty ninety')})"
    r"(?:[-\s](?:one|two|three|four|five|six|seven|eight|nine))?|"
    r"[Oo]ne\s+and\s+a\s+half|[Tt]wo\s+and\s+a\s+half|"
    rf"{_ONES}|{_either_case('ten eleven twelve thirteen fourteen fifteen sixteen seventeen')}|"
    r"[Ee]ighteen|[Nn]ineteen|[Aa]\s+hundred|[Hh]undreds|[Aa]\s+thousand|[Tt]housands|"
    r"[Aa]\s+dozen|[Dd]ozens)"
)
_RANGE = rf"(?:\s*(?:to|-|–|through|and|or)\s*\$?{_DIGITS})?"
# Each pattern opens on what it must start with ("$", a digit, a number's first letter),
# which the regular expression engine skips to; what stands before is checked after.
NUMBER_RE = re.compile(
    rf"(?=[$\d])(?:\$\s?{_DIGITS}{_RANGE}{_PER}"  # $25,500 per day, $1,000 to $1,500
    rf"|{_DIGITS}{_RANGE}(?:\s*%|\s+(?:{_UNITS})\b)?{_PER}"
    rf"(?:\s+(?:to|or)\s+(?:{_NUMBER_WORD}|\d+)\s+(?:{_UNITS})\b)?"  # 60 days to two years
    r"(?:[-–](?:day|week|month|year|hour|minute|member|person|page)s?\b)?"
    r"(?:\s+in\s+\d+\b)?"  # 1 in 10
    r"(?![\w/]|[-–]\d|\.\d))"
)
_NOT_BEFORE_DIGITS = frozenset(".,/$§-_")
_COUNTS_A_WORD = re.compile(r" [a-z]")  # a lone digit is a claim when it counts something
_BARE_YEAR = re.compile(
    r"(?:1[89]|20)\d\d(?:\s*(?:[-–]|to|through|and|or)\s*(?:(?:1[89]|20)\d\d|\d\d))?"
)
# Not a claim of their own: the level, form, page or section a number names.
_NAMING_WORD = re.compile(
    r"(?:Level|Tier|Phase|Step|Stage|Trial|Round|Session|Lesson|Module|Day|Week|Item|Question|"
    r"Form|Class|Grade|Type|Region|Ward|Route|Highway|"
    r"Interstate|Suite|Room|Box|Unit|Figure|Table|Page|Exhibit|Appendix|Schedule|Option|"
    r"Number|No\.|Nos\.|Section|Sec\.|Chapter|Ch\.|ch\.|c\.|Title|Part|Article|Rule|Bill|Act|"
    r"Order|Amendment|Proposition|Prop\.|Measure|Docket|Case|Code|Law|Paragraph|Line|"
    r"Version|Category|Zone|§)\s*$"
)
# What a number in words counts when it is a claim.
_COUNTED = (
    r"(?:days?|weeks?|months?|years?|hours?|minutes?|decades?|centuries|times|percent|"
    r"per\s+cent|quarters|states|counties|cities|people|persons|residents|members|employees|"
    r"workers|jurisdictions|agencies|courts|cases|requests|applicants|immigrants|children|"
    r"adults|families|households|licenses|votes|offenses|violations|hearings|judges|seats|"
    r"dollars|employer\s+contacts|(?:work\s+search\s+)?activities|regional\s+divisions)\b"
)
_ADJECTIVE = (
    r"(?:full|consecutive|calendar|business|separate|more|additional|other|different|"
    r"major|straight)\s+"
)
WORD_NUMBER_RE = re.compile(
    r"(?:[Oo]ne|[Tt]wo|[Tt]hree|[Ff]our|[Ff]ive)\s+in\s+(?:one|two|three|four|five|six|seven|"
    r"eight|nine|ten)\b"  # one in four
    r"|(?:[Hh]alf|[Oo]ne-third|[Tt]wo-thirds|[Oo]ne-quarter|[Aa]\s+quarter|[Tt]hree-quarters|"
    r"[Oo]ne-fifth)(?=\s+(?:of|the)\b)"  # half of all infants
    r"|(?:[Dd]ouble|[Tt]wice|[Tt]riple)(?=\s+(?:the|that|as|its|their)\b)"  # twice the deposit
    rf"|{_NUMBER_WORD}(?:[-–](?:day|week|month|year|hour|member|person)s?\b"
    rf"|\s+(?:{_ADJECTIVE})?{_COUNTED})"
)
_AGE = re.compile(rf"{_NUMBER_WORD}\b")  # children under five
_AGE_BEFORE = re.compile(r"\b(?:under|over|aged?|ages)\s+$")
# Where a number in words may start: found in the lower-cased text by plain alternatives
# (quick), then read with WORD_NUMBER_RE there.
_WORD_START = re.compile(
    r" (?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety|half|double|twice|triple|a hundred|a thousand|"
    r"a dozen|a quarter|hundreds|thousands|dozens)"
)
# Counted things after "the": named already, not a new claim ("the two agencies").
_ANAPHORIC = re.compile(r"\b(?:the|these|those|both|all|its|their)\s+$", re.IGNORECASE)


def find_numbers(text: str) -> list[tuple[int, int, str]]:
    """(start, end, "number") of each number of the text stated as fact."""
    found = []
    for match in NUMBER_RE.finditer(text):
        start, end = match.span()
        before = text[start - 1] if start else " "
        if text[start] != "$" and (before.isalnum() or before in _NOT_BEFORE_DIGITS):
            continue
        if (
            _BARE_YEAR.fullmatch(match.group())
            or (end - start == 1 and not _COUNTS_A_WORD.match(text, end))  # "SUM(1+1)"
            or _is_list_marker(text, start, end)
            or _NAMING_WORD.search(text, max(0, start - 14), start)
        ):
            continue
        found.append((start, end, "number"))
    # Words start after a space: the engine skips from space to space. A line break before a
    # word counts as a space, and the text's start as one too.
    lowered = " " + text.lower().replace("\n", " ")
    if len(lowered) != len(text) + 1:
        lowered = " " + text.replace("\n", " ")  # a letter whose lower case is longer
    cursor = 0
    for candidate in _WORD_START.finditer(lowered):
        start = candidate.start()  # in the text: the space is one character before
        if start < cursor:
            continue
        match = WORD_NUMBER_RE.match(text, start)
        if match is None and _AGE_BEFORE.search(text, max(0, start - 8), start):
            match = _AGE.match(text, start)
        if match is None or _ANAPHORIC.search(text, max(0, start - 8), start):
            continue
        found.append((start, match.end(), "number"))
        cursor = match.end()
    return found


def _is_list_marker(text: str, start: int, end: int) -> bool:
    """A list item's number: "1." or "2)" opening a line, or "(3)" in a sentence."""
    line_start = text.rfind("\n", 0, start) + 1
    after = text[end : end + 1]
    if not text[line_start:start].strip() and after in {".", ")"}:
        return True
    return start > 0 and text[start - 1] == "(" and after == ")"
