"""What every part of the finder reads: sentence boundaries, where a knowledge-cutoff hedge's
clause ends, and the words that open a sentence but never a name.

Sentences are cut at a full stop, question or exclamation mark followed by a capital, a
digit or a quote, and at every line break (a list item is a sentence), but not after an
abbreviation ("U.S.C.", "Inc.", "v.", "Dept.", "Mass.", "No.") or an initial, and never
inside a number ("5321.05"). A rule list, not a model: pysbd knew these too but cost 8 ms
an answer against this module's tens of microseconds, and split "Mass. Gen. Laws ch. 90"
in four.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from editorial.flags.patterns import HEDGE_RE, has_hedge

US_STATES = frozenset(
    """Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida
    Georgia Hawaii Idaho Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland
    Massachusetts Michigan Minnesota Mississippi Missouri Montana Nebraska Nevada Ohio
    Oklahoma Oregon Pennsylvania Tennessee Texas Utah Vermont Virginia Washington Wisconsin
    Wyoming""".split()
) | {
    "New Hampshire", "New Jersey", "New Mexico", "New York", "North Carolina", "North Dakota",
    "Rhode Island", "South Carolina", "South Dakota", "West Virginia", "District of Columbia",
    "Puerto Rico", "New York State", "Washington State", "NYC", "New York City",
}  # fmt: skip

# Capitalised because they open a sentence or a clause, not because they are names.
LEAD_WORDS = frozenset(
    """The A An This That These Those Its Their His Her Our Under In On At By For From With
    Within Without Into Through Since Until After Before During Following Per Pursuant See
    According As If When While Although Though However Also And But Or So Yet Both Each Every
    Any Some Many Most Several Other Such Then Thus Therefore Additionally Furthermore Moreover
    Specifically Currently Today Yes No Overall Separately Similarly Likewise Meanwhile Instead
    Even Only Neither Nor Whether Because Once Where Why How What Which Who It Is Was Under
    Before Federally Previously Later Earlier Further Finally Lastly
    Applicants Officials Advocates Critics Supporters Residents Tenants Landlords Groups
    Claimants Employers Agencies States Courts Judges Officers Voters Requesters Members""".split()
)

# Abbreviations a full stop does not end a sentence after (compared without the stop).
_ABBREVIATIONS = frozenset(
    """v vs Inc Corp Co Ltd No Nos Dept Gen Stat Stats Ann ch Ch c St Mr Mrs Ms Dr Jr Sr Sec
    Art Rev Reg Regs Admin Comm Ct Cir App Div Supp Pub Civ Crim Proc Fed Mass Miss Cal Tex
    Fla Ill Ga Ala Ariz Ark Colo Conn Del Ind Kan Ky La Md Me Mich Minn Mo Mont Neb Nev Okla
    Or Ore Pa Tenn Va Vt Wash Wis Wyo Ga Jan Feb Mar Apr Aug Sept Sep Oct Nov Dec Gov Sen Rep
    Hon Atty Govt Assn Ass'n Dist Cnty Twp Mun Subd Para Pt Tit Chap et rel
    al seq e.g i.e approx est Jud Legis Res""".split()
)
_BOUNDARY = re.compile(r"[.!?][\"”’')\]]*\s+(?=[\"“‘(]?[A-Z0-9])|\n")
_WORD_BEFORE = re.compile(r"([\w.'’]+)\.$")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """The text's sentences as (start, end), covering it from its first to its last character."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.group() != "\n" and text[match.start()] == ".":
            word = _WORD_BEFORE.search(text, max(0, match.start() - 24), match.start() + 1)
            if word and _is_abbreviation(word.group(1)):
                continue
        end = match.start() + 1 if match.group() != "\n" else match.start()
        if text[start:end].strip():
            spans.append((start, end))
        start = match.end()
    if text[start:].strip() or not spans:
        spans.append((start, len(text)))
    return spans


def _is_abbreviation(word: str) -> bool:
    """Whether a word ending in a full stop is an abbreviation or an initial ("H.", "U.S.")."""
    bare = word.rsplit(".", 1)[-1] if word.count(".") else word
    return bool(
        "." in word  # U.S.C, R.C, N.J.S.A: a stop inside the word
        or (len(bare) == 1 and bare.isupper())
        or bare in _ABBREVIATIONS
    )


class Sentences:
    """The sentences of one text, to ask which one a position is in."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.spans = sentence_spans(text)
        self._starts = [start for start, _ in self.spans]

    def index(self, position: int) -> int:
        return max(0, bisect_right(self._starts, position) - 1)

    def same(self, start: int, end: int) -> bool:
        """Whether text[start:end] lies within one sentence."""
        sentence_start, sentence_end = self.spans[self.index(start)]
        return end <= max(sentence_end, sentence_start + 1)

    def around(self, position: int) -> str:
        """The sentence a position is in, its spacing folded."""
        return " ".join(self.text[slice(*self.spans[self.index(position)])].split())


# After a hedge ("as of my last update", "based on my training data") its clause runs on
# through dates and relative clauses: ", which runs through early 2022," and "(April 2023)"
# belong to it; a comma followed by anything else ends it, as do ; : . and a line break.
_CLAUSE_STOP = re.compile(r"[,;:.!?\n(]")
_HEDGE_GOES_ON = re.compile(
    r",\s*(?:\d|which\b|that\b|covering\b|extending\b|running\b|ending\b|through\b|up\s+to\b|"
    r"until\b|i\.e\.|specifically\b|namely\b|around\b|roughly\b|approximately\b|about\b|"
    r"or\s+(?:so|thereabouts)\b|(?:January|February|March|April|May|June|July|August|"
    r"September|October|November|December)\b)"
)


def hedge_clauses(text: str) -> list[tuple[int, int]]:
    """Where each knowledge-cutoff hedge and the clause it opens run: dates there are the
    model's, not the text's claims."""
    if not has_hedge(text):
        return []
    clauses = []
    for match in HEDGE_RE.finditer(text):
        position = match.end()
        while True:
            stop = _CLAUSE_STOP.search(text, position)
            if stop is None:
                position = len(text)
                break
            mark = stop.group()
            if mark == "(":
                close = text.find(")", stop.end())
                position = close + 1 if close != -1 else len(text)
                continue
            if mark == "," and _HEDGE_GOES_ON.match(text, stop.start()):
                position = stop.end()
                continue
            if mark == "." and _is_inner_stop(text, stop.start()):
                position = stop.end()
                continue
            position = stop.start()
            break
        clauses.append((match.start(), position))
    return clauses


def _is_inner_stop(text: str, index: int) -> bool:
    """A full stop inside an abbreviation or a number, which does not end the clause."""
    after = text[index + 1 : index + 2]
    if after.isalnum():
        return True
    word = _WORD_BEFORE.search(text, max(0, index - 24), index + 1)
    return bool(word and _is_abbreviation(word.group(1)))


def within(spans: list[tuple[int, int]], position: int) -> bool:
    return any(start <= position < end for start, end in spans)
