"""Statutes, bills, citations, regulations and executive orders written by number, and court
cases: "8 U.S.C. 1373", "49 CFR Part 383", "Section 287(g)", "H.4805", "SB 1070", "Ohio
Revised Code 5321.05", "G.L. c. 66, § 10", "Executive Order 13768", "Lunn v. Commonwealth,
477 Mass. 517 (2017)".

Named statutes ("REAL ID Act of 2005") are names: organisations.py finds them with the other
capitalised names. An unnamed "executive order", "the Act" or "state law" is no claim.
Citations are matched by their forms (title, code, section) rather than by eyecite or
citeurl: citeurl cost 8 ms an answer, eyecite 0.8 ms and missed "8 U.S.C. 1373" (no §);
see README, "Claims and evidence".
"""

from __future__ import annotations

import re

from editorial.flags.claims.text import LEAD_WORDS, US_STATES

_SEC = r"\d+[A-Za-z0-9]*(?:[.:/]\d+[A-Za-z0-9]*|[-–]\d+[A-Za-z0-9]*)*(?:\([A-Za-z0-9]{1,4}\))*"
_SECS = rf"{_SEC}(?:\s*(?:to|through|–)\s*{_SEC})?"
_SEC_LIST = rf"{_SEC}(?:\s*(?:,|and|to|through|-|–|&)\s*{_SEC})*"  # after "§§", "Sections"
_PART = r"(?:tit\.|title|ch\.|c\.|Chapter|Ch\.|Part|Title|Rule|R\.|Art\.|Article|Section|Sec\.)"
_NAMED_LAW = (
    r"(?:[A-Z][\w’'.-]*\s+(?:(?:of|and|for|on|the|to|in|&)\s+)*){0,8}?"
    r"(?:Acts\s+of\s+\d{4}|(?:Act|Code|Statutes|Laws|Law|Constitution|Regulations|Rules|"
    r"Charter)\b(?:\s+of\s+\d{4})?)"
)
# The codes cited by abbreviation: dotted (R.C., G.L., O.C.G.A., N.J.S.A.) or as a word.
_CODE_WORDS = (
    "RCW|ORS|ILCS|NRS|MCL|CMR|KRS|HRS|RSA|RSMo|MCA|SDCL|NMSA|NYCRR|WAC|OAR|IAC|COMAR|ORC|CRS|"
    "KSA|VSA|CGS|MGL"
)
# Each pattern opens on a digit, or on a capital or "§", which the engine skips to; what
# stands before a match is checked after it, and a code's or a bill's name is read leftwards.
_BY_DIGIT = re.compile(
    r"(?=\d)(?:"
    # 8 U.S.C. 1373, 18 U.S.C. § 2721(b)(4), 49 CFR Part 383, 8 C.F.R. § 287.7
    rf"\d+\s+U\.?\s?S\.?\s?C\.?(?:\s?A\.?)?\s*(?:§§?\s*)?{_SECS}(?:\s+et\s+seq\.?)?"
    rf"|\d+\s+C\.?\s?F\.?\s?R\.?\s*(?:(?:Parts?|§§?|Sec\.|Section)\s*)?{_SECS}"
    r"|\d+\s+Fed\.\s?Reg\.\s+\d[\d,]*|\d+\s+Stat\.\s+\d+"
    r"|\d+[A-Za-z]?(?:\([a-z0-9]{1,3}\))+(?![\w(]))"  # 287(g)
)
_LAW, _CODE, _CODE_NAME, _BILL, _STATE_LAW = "law", "code", "code_name", "bill", "state_law"
_BY_WORD = re.compile(
    r"(?=[A-Z§])(?:"
    r"(?P<law>Pub(?:lic|\.)\s+L(?:aw|\.)\s+(?:No\.\s*)?\d+[-–]\d+"
    rf"|(?:Code|Laws|Statutes)\s+of\s+(?:the\s+)?[A-Z]\w+(?:\s+[A-Z]\w+)?\s*,?\s*§§?\s*{_SECS}"
    rf"|(?:Sections|§§)\s*{_SEC_LIST}"
    rf"|(?:Section|Sec\.|§)\s*{_SECS}(?:\s+of\s+(?:the\s+)?{_NAMED_LAW})?"
    rf"|(?:Chapter|Title|Part|Article|Subchapter)\s+\d+[A-Z]?\s+of\s+(?:the\s+)?{_NAMED_LAW}"
    r"|(?:Executive|Administrative)\s+Orders?\s+(?:No\.\s*|Number\s+|#\s*)?\d[\w-]*"
    r"|Directive\s+(?:No\.\s*|Number\s+|#\s*)?\d[\w-]*"
    r"|(?:Proposition|Prop\.|Measure|Initiative|Referendum)\s+\d+[A-Z]?\b)"
    # Ohio Revised Code 5321.05, Miss. Code Ann. § 63-1-19, Mass. Gen. Laws ch. 90, § 30
    rf"|(?P<code_name>(?:Code|Laws|Statutes|Stat\.|Regulations|Regs\.|Rules?|Const\.)"
    rf"(?:\s+Ann\.?)?\s*(?:{_PART}\s*)?(?:§§?\s*)?{_SECS}"
    rf"(?:,\s*(?:§§?|Section|Sec\.)\s*{_SECS})?(?:\s+et\s+seq\.?)?)"
    # R.C. 1923.04, G.L. c. 66, § 10, RCW 59.18, 735 ILCS 5/9-121
    rf"|(?P<code>(?:(?:[A-Z]\.){{2,5}}|{_CODE_WORDS})\s*(?:{_PART}\s*)?(?:§§?\s*)?{_SECS}"
    rf"(?:,\s*(?:§§?|Section|Sec\.)\s*{_SECS})?(?:\s+et\s+seq\.?)?)"
    # House Bill 76, House Bills 4835 and 4836, SB 1070, H.4805, A.B. 60
    r"|(?P<bill>(?:House|Senate|Assembly)\s+(?:Bills?|Joint\s+Resolutions?|Resolutions?|Files?)"
    r"\s+(?:No\.\s*)?\d+(?:[-–]\d+)?(?:\s+(?:and|&)\s+\d+)?"
    r"|(?:[HSA]\.?\s?[BFR]\.?|H\.?\s?R\.?|S\.?\s?J\.?\s?R\.?|LD|LB|[HS]\.)\s?\d+(?:[-–]\d+)?\b"
    r"(?![.,]\d))"
    # Act 56 of 2018, Public Act 100-0587, Public Chapter 230, Wisconsin Act 76
    r"|(?P<state_law>(?:Public\s+(?:Act|Chapter|Law)|Act)\s+(?:No\.\s*)?\d+(?:[-–]\d+)?"
    r"(?:\s+of\s+\d{4})?))"
)
_STATE_BEFORE = re.compile(
    "(?:" + "|".join(sorted(map(re.escape, US_STATES), key=len, reverse=True)) + r")\s$"
)
_CODE_PART = re.compile(r"[A-Z][\w’'.]*$")


def find_laws(text: str) -> list[tuple[int, int, str]]:
    """(start, end, "statute") of each statute, bill, citation or order written by number."""
    found = []
    for match in _BY_DIGIT.finditer(text):
        start = match.start()
        if not (start and (text[start - 1].isalnum() or text[start - 1] == ".")):
            found.append((start, match.end()))
    for match in _BY_WORD.finditer(text):
        start, end, kind = match.start(), match.end(), match.lastgroup
        glued = start and (text[start - 1].isalnum() or text[start - 1] in ".’'")
        if kind in {_CODE, _BILL} and glued:
            continue
        if kind == _CODE and re.match(r"U\.S\.(?!C)", match.group()):
            continue  # a reporter ("567 U.S. 387"), read with its case
        if kind == _CODE_NAME:
            start = _code_start(text, start)
            if start == match.start():
                continue  # "Rules 5": no code named
        elif kind in {_BILL, _STATE_LAW}:
            state = _STATE_BEFORE.search(text, max(0, start - 16), start)
            start = state.start() if state else start
        elif kind == _CODE:
            number = re.search(r"\d+\s$", text[max(0, start - 6) : start])
            start = start - len(number.group()) if number else start
        found.append((start, end))
    laws = []
    for start, end in found:
        start, end = _without_lead(text, start, end)
        while end > start and text[end - 1] in ",;: ":
            end -= 1
        if end > start:
            laws.append((start, end, "statute"))
    return laws


def _code_start(text: str, start: int) -> int:
    """Where a code's name before its head word starts ("Ohio Revised", "40 Tex. Admin.")."""
    words = 0
    while words < 5 and start > 1 and text[start - 1] == " ":
        word = _CODE_PART.search(text, max(0, start - 16), start - 1)
        if word is None or word.group() in LEAD_WORDS:
            break
        start, words = word.start(), words + 1
    number = re.search(r"\d+ $", text[max(0, start - 6) : start]) if words else None
    return start - len(number.group()) if number else start


def _without_lead(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without the words that open a sentence ("Under", "The")."""
    while True:
        space = text.find(" ", start, end)
        if space == -1 or text[start:space] not in LEAD_WORDS:
            return start, end
        start = space + 1


# A court case: parties either side of "v." and, where they follow, its citation and year.
_PARTY_WORD = re.compile(r"(?:[A-Z][\w’'.&-]*|of|the|for|and|&|ex|rel\.|de|la|del|du)$")
_CONNECTORS = {"of", "the", "for", "and", "&", "ex", "de", "la", "del", "du"}
_RIGHT_PARTY = re.compile(
    r"[A-Z][\w’'.&-]*(?:\s+(?:(?:of|for|and|&|de|la|del|on)\s+(?:the\s+)?)?[A-Z][\w’'.&-]*)*"
    r"(?:,\s+(?:Inc|Co|Corp|Ltd|L\.L\.C|LLC)\.?)?"
)
_CITATION = re.compile(
    r",\s+(?:\d{1,4}\s+(?:[A-Z][A-Za-z.]*(?:\s?\d?[a-z]{1,2}\.?)?\s){1,4}\d{1,5}(?:,\s+\d+)?"
    r"|\d{4}(?:-[A-Z]{2,6}-|\s[A-Z]{2,6}\s)\d+)"
)
_YEAR_NOTE = re.compile(r"\s*\([^()\n]{0,40}?\b(?:1[89]|20)\d\d\)")


def find_cases(text: str) -> list[tuple[int, int, str]]:
    """(start, end, "case") of each court case named as "A v. B" (or "A vs. B")."""
    found = []
    for marker in (" v. ", " vs. "):
        index = text.find(marker)
        while index != -1:
            span = _case_at(text, index, index + len(marker))
            if span:
                found.append((*span, "case"))
            index = text.find(marker, index + 1)
    return found


def _case_at(text: str, left_end: int, right_start: int) -> tuple[int, int] | None:
    words = text[max(0, left_end - 120) : left_end].split(" ")
    taken: list[str] = []
    for word in reversed(words):
        if not word or "\n" in word or not _PARTY_WORD.match(word):
            break
        taken.append(word)
    while taken and (taken[-1] in _CONNECTORS or taken[-1] in LEAD_WORDS):
        taken.pop()
    right = _RIGHT_PARTY.match(text, right_start)
    if not taken or right is None:
        return None
    start = left_end - len(" ".join(reversed(taken)))
    end = right.end()
    while text[end - 1] == ".":  # a sentence's full stop after the party
        if _PARTY_ABBREVIATION.search(text, max(0, end - 6), end):
            break
        end -= 1
    citation = _CITATION.match(text, end)
    if citation:
        end = citation.end()
    note = _YEAR_NOTE.match(text, end)
    if note:
        end = note.end()
    return start, end


_PARTY_ABBREVIATION = re.compile(r"(?:\b(?:Inc|Co|Corp|Ltd|Dept|Ass’n|Ass'n)|\b[A-Z])\.$")
