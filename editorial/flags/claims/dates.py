"""Dates stated as fact: "2004", "June 2022", "July 1, 2020", "mid-2025", "fiscal year 2021".

A date is keyed by what it says, so "November 2022" after "June 2022" is a second claim.
A year is only a year where it stands alone: not the "1923" of "§§ 1923.02", the "2018" of
"Directive No. 2018-6" or the year inside a statute's or a case's name (those claims are
longer and win where they overlap). A date inside a knowledge-cutoff hedge's clause is the
model's, not the text's: no claim.
"""

from __future__ import annotations

import re

from editorial.flags.claims.text import within

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan\.|Feb\.|Mar\.|Apr\.|Jun\.|Jul\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
)
_YEAR = r"(?:1[89]\d\d|20\d\d)"
_AFTER = r"(?![\w%]|[.,]\d|[-–]\d)"
# Each pattern opens on what it must start with (a month, a year's first digit), which the
# regular expression engine skips to; the word boundary before is checked after a match.
_MONTH_DATE = re.compile(  # June 2022, July 1, 2020, March and June 2020, July 1
    rf"(?=[JFMASOND]){_MONTH}(?:\s+\d{{1,2}}(?:st|nd|rd|th)?\b)?"
    rf"(?:\s+(?:and|or|to|through|-|–)\s+{_MONTH}(?:\s+\d{{1,2}}\b)?)?"
    rf"(?:,?\s+{_YEAR}{_AFTER}|(?<=\d)(?!\s*,?\s*\d))"
)
# 2004, 2019-2020, 2019–20, the 1990s
_YEAR_DATE = re.compile(rf"(?=[12]){_YEAR}(?:\s*[-–]\s*(?:{_YEAR}|\d\d))?s?{_AFTER}")
# What may open a date before its month or year: mid-2025, early 2022, the summer of 2019,
# fiscal year 2021.
_OPENING = re.compile(
    r"(?:(?:early|mid|late|Early|Mid|Late)[\s-]+(?:in\s+)?|"
    r"(?:the\s+)?(?:spring|summer|fall|autumn|winter|end|beginning|start|middle|first\s+half|"
    r"second\s+half)\s+of\s+|(?:[Ss]pring|[Ss]ummer|[Ff]all|[Aa]utumn|[Ww]inter)\s+|"
    r"(?:[Ff]iscal\s+[Yy]ear|FY)\s*)$"
)
_NOT_BEFORE_YEAR = frozenset("$§/.-_")


def find_dates(text: str, hedges: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """(start, end, "date") of each date of the text outside the hedges' clauses."""
    found: list[tuple[int, int, str]] = []
    for match in _MONTH_DATE.finditer(text):
        start = match.start()
        if start and text[start - 1].isalpha():
            continue
        found.append((_opened(text, start), match.end(), "date"))
    months = list(found)
    for match in _YEAR_DATE.finditer(text):
        start = match.start()
        opened = _opened(text, start)
        before = text[start - 1] if start else " "
        if opened == start and (before.isalnum() or before in _NOT_BEFORE_YEAR):
            continue
        if before == "," and start > 1 and text[start - 2].isdigit():
            continue
        if any(s <= start < e for s, e, _ in months):
            continue
        found.append((opened, match.end(), "date"))
    return [date for date in found if not within(hedges, date[0])]


def _opened(text: str, start: int) -> int:
    """Where the date starts, with what opens it ("mid-", "fiscal year ")."""
    opening = _OPENING.search(text, max(0, start - 24), start)
    return opening.start() if opening else start
