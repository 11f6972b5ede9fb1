"""Named organisations and named statutes: capitalised names with a head word, acronyms
defined in parentheses, and the agencies of a shipped list (agencies.txt).

A run of capitalised words ("Massachusetts Registry of Motor Vehicles") is a name when it
ends on a head word ("Association", "Court", "Act") or has one followed by "of", "for" or
"on" ("Department of Public Safety", "Center for Human Rights"), or holds a listed agency
("U.S. Immigration and Customs Enforcement"); its last head says whether it is an
organisation or a statute. Not a name: a bare head ("the Court", "The Act"), a head with
only generic words ("Legal Authority", "State Laws"), a generic agency ("state Department
of Motor Vehicles (DMV)", "the DMV"), a person or a role ("Governor Charlie Baker", the
"Secretary of State"). An acronym defined in parentheses joins its name ("Immigration and
Customs Enforcement (ICE)"), and its later uses are the same claim; a definition without a
head word names a program or a thing ("SNAP", "a commercial driver's license (CDL)"), not
a claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from editorial.flags.claims.text import LEAD_WORDS, US_STATES, Sentences

ORG_HEADS = frozenset(
    """Department Dept. Agency Office Bureau Division Board Commission Committee Council Court
    Courts Administration Authority Association Institute Center Centre Centers Coalition
    Foundation Union Society Alliance League Network Project Fund Services Registry
    Legislature Assembly Congress Senate House Patrol Police Clinic Corporation Company Inc.
    LLC Forum Conference Clearinghouse University College School Tribunal Force Partnership
    Collaborative Caucus Federation Circuit Panel Secretariat Ministry Organization
    Organisation Agencies Departments Offices""".split()
)
STATUTE_HEADS = frozenset(
    "Act Acts Law Laws Code Statute Statutes Amendment Constitution Directive Ordinance "
    "Compact Charter Regulations".split()
)
# Heads that open a name when followed by "of", "for" or "on": "Department of …".
_LEADING = ORG_HEADS - {"Inc.", "LLC", "Force", "Circuit"}
# Words that never make a name specific on their own.
GENERIC = frozenset(
    """State States Federal Local Legal Government Governmental Specific Internal External
    Relevant Appropriate Regular Strict Key Main Other Certain Various Such Additional Official
    Regulatory Oversight Compliance Immigration Enforcement Law Public Several New""".split()
)
ROLE_WORDS = frozenset(
    "Governor Secretary Attorney Commissioner Director Mayor President Judge Justice "
    "Clerk Sheriff Senator Representative Chief Superintendent Treasurer Auditor".split()
)
_CONNECTORS = frozenset({"of", "and", "for", "on", "the", "de", "to", "in", "at", "&"})
# A lower-case word before a name that makes it any state's agency, not a named one.
_GENERIC_BEFORE = frozenset(
    "state a an each every any local county city municipal federal some many other their "
    "respective relevant appropriate".split()
)  # only before a name that opens on its head word: "a state Department of …"

_RUN = re.compile(
    r"[A-Z][\w’'&.-]*(?:(?:[ \t]+(?:(?:of|and|for|on|the|de|to|in|at|&)[ \t]+)*"
    r"|,\s+(?=(?:First|Second|Third|Fourth)\s+(?:Department|District)\b))[A-Z][\w’'&.-]*)*"
)
_POSSESSIVE = re.compile(r"(?:’s|'s|s’|s')$")
_YEAR_AFTER = re.compile(r"\s+of\s+(?:1[89]|20)\d\d\b")


def _load_agencies() -> tuple[dict[str, list[tuple[str, ...]]], dict[tuple[str, ...], tuple],
                              dict[str, tuple[str, ...]], frozenset[str]]:  # fmt: skip
    """The shipped list: names by first word, each name's acronyms, each acronym's name, and
    the acronyms of kinds of state agency (generic alone)."""
    by_first: dict[str, list[tuple[str, ...]]] = {}
    acronyms: dict[tuple[str, ...], tuple] = {}
    named: dict[str, tuple[str, ...]] = {}
    families: set[str] = set()
    family = False
    for line in (Path(__file__).parent / "agencies.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("["):
            family = True
        if not line or line.startswith(("#", "[")):
            continue
        name, *letters = line.split("|")
        words = tuple(name.split())
        if family:
            families.update(letters)
            continue  # kinds of agency: their acronyms alone are generic
        by_first.setdefault(words[0], []).append(words)
        acronyms[words] = tuple(letters)
        for acronym in letters:
            named.setdefault(acronym, words)
    for names in by_first.values():
        names.sort(key=len, reverse=True)
    return by_first, acronyms, named, frozenset(families - set(named))


KNOWN_BY_FIRST, KNOWN_ACRONYMS_OF, KNOWN_NAME_OF, FAMILY_ACRONYMS = _load_agencies()


@dataclass
class Name:
    """A name found in the text: where, its kind, the words it is made of, and how later
    mentions may name it (keys, most specific first)."""

    start: int
    end: int
    kind: str
    words: list[str]
    generic: bool = False
    acronym: str = ""


def find_names(text: str, sentences: Sentences) -> list[Name]:
    """The organisations and named statutes of the text, acronym definitions joined."""
    names: list[Name] = []
    for run in _RUN.finditer(text):
        if " " not in run.group() and run.group() not in KNOWN_BY_FIRST:
            continue  # one word: an acronym (acronyms()) or a word opening a sentence
        tokens = [
            (run.start() + m.start(), run.start() + m.end(), m.group())
            for m in re.finditer(r"\S+", run.group())
        ]
        for segment in _segments(tokens, text, sentences):
            name = classify(segment, text)
            if name is not None:
                names.append(name)
    return names


def _segments(tokens, text: str, sentences: Sentences):
    """The run cut where one name ends and the next begins."""
    segment: list = []
    for index, (start, end, word) in enumerate(tokens):
        if word.lower() == word and word in _CONNECTORS:
            segment.append((start, end, word))
            continue
        if segment:
            connectors = _trailing_connectors(segment)
            joined = [w for _, _, w in connectors]
            body = segment[: len(segment) - len(connectors)]
            if (
                joined == ["the"]
                or ("the" in joined and joined[0] in {"and", "&"})
                or (joined[:1] in (["in"], ["at"], ["to"]) and _complete(body, text))
                or (joined == ["and"] and _ends_a_name(body, text))
            ):
                yield body
                segment = []
        segment.append((start, end, word))
        if word.endswith(".") and not sentences.same(start, end + 1):
            segment[-1] = (start, end - 1, word[:-1])
            yield segment
            segment = []
        elif (
            _POSSESSIVE.search(word)
            and index + 1 < len(tokens)
            and _possessive_ends(segment, _next_name(tokens[index + 1 :]), text)
        ):
            yield segment
            segment = []
    if segment:
        yield segment


def _next_name(tokens):
    """The tokens up to where "and the", "to", "in" or "at" would start another name."""
    for index, (_, _, word) in enumerate(tokens):
        following = tokens[index + 1][2] if index + 1 < len(tokens) else ""
        if word in {"to", "in", "at"} or (word in {"and", "&"} and following == "the"):
            return tokens[:index]
    return tokens


def _trailing_connectors(segment):
    count = 0
    for _, _, word in reversed(segment):
        if word not in _CONNECTORS:
            break
        count += 1
    return segment[len(segment) - count :] if count else []


def _complete(body, text: str) -> bool:
    name = classify(body, text)
    return name is not None and not name.generic


def _ends_a_name(body, text: str) -> bool:
    """Whether "and" after these words starts another name: they end on a head word
    ("… Association and Legal Aid of Western Ohio") or are a listed agency whole."""
    words = [word for _, _, word in body if word not in LEAD_WORDS and word != "U.S."]
    if not words:
        return False
    if len(words[-1]) > 1 and words[-1].isupper():
        return True  # an acronym: "the DMV and Immigration and Customs Enforcement"
    if words[-1] in ORG_HEADS:
        return _complete(body, text)
    return _known_in(words) == tuple(words)


def _possessive_ends(left, rest, text: str) -> bool:
    """Whether "X’s Y" is two things (a state's or an agency's Y) rather than one name
    ("Erie County Clerk’s Office", "Driver’s Privacy Protection Act")."""
    right = classify(rest, text, check_before=False)
    if right is None:
        return False
    owner = _bare(left[-1][2])
    words = [_bare(w) for _, _, w in left if w not in _CONNECTORS]
    return bool(
        " ".join(words) in US_STATES
        or owner in KNOWN_NAME_OF
        or classify(left[:-1] + [(left[-1][0], left[-1][1], owner)], text) is not None
        or any(word in ROLE_WORDS for word in words)
    )


def _bare(word: str) -> str:
    return _POSSESSIVE.sub("", word).rstrip("’'") if _POSSESSIVE.search(word) else word


def classify(segment, text: str, *, check_before: bool = True) -> Name | None:
    """The name a segment of a run is, if it is one."""
    while segment and (segment[0][2] in LEAD_WORDS or segment[0][2] in _CONNECTORS):
        segment = segment[1:]
    while segment and segment[-1][2] in _CONNECTORS:
        segment = segment[:-1]
    for count in (1, 2):  # "Arizona’s Support Our Law Enforcement … Act", "New York’s …"
        if len(segment) > count and _POSSESSIVE.search(segment[count - 1][2]):
            words = [word for _, _, word in segment[:count]]
            owner = " ".join([*words[:-1], _bare(words[-1])])
            if owner in US_STATES:
                segment = segment[count:]
                break
    if not segment:
        return None
    if _POSSESSIVE.search(segment[-1][2]) and not text.startswith(" office", segment[-1][1]):
        start, end, word = segment[-1]  # "the Supreme Court’s ruling": the court
        bare = _bare(word)
        segment = [*segment[:-1], (start, start + len(bare), bare)]
    words = [word for _, _, word in segment]
    last = words[-1]
    kind = None
    if _POSSESSIVE.search(last):
        kind = "organisation"  # the Texas Attorney General’s office
    elif last in STATUTE_HEADS:
        kind = "statute"
    elif _org_shaped(words):
        kind = "organisation"
    if kind is None:
        return None
    if kind == "statute" and "the" in words[:-1]:
        cut = len(words) - 1 - words[::-1].index("the")  # "Violations of the Driver Privacy Act"
        if words[cut - 1] == "of":
            segment, words = segment[cut + 1 :], words[cut + 1 :]
    leading = words[0] in _LEADING
    specific = [
        w for w in words
        if w not in _CONNECTORS and w not in GENERIC and w not in ORG_HEADS
        and w not in STATUTE_HEADS and w != "U.S." and (leading or w not in ROLE_WORDS)
    ]  # fmt: skip
    if not specific and not _known_in(words):
        return None
    start, end = segment[0][0], segment[-1][1]
    if kind == "statute":
        year = _YEAR_AFTER.match(text, end)
        end = year.end() if year else end
    elif _POSSESSIVE.search(last):
        end += len(" office")
        words = [*words, "office"]
    before = text[max(0, start - 12) : start].split()
    generic = (
        check_before
        and leading
        and bool(before)
        and before[-1] in _GENERIC_BEFORE
        and not _known_in(words)  # a listed agency is named whatever precedes it
    )
    return Name(start, end, kind, words, generic)


def _org_shaped(words: list[str]) -> bool:
    """An organisation's name: ending on a head, a head followed by "of", "for" or "on"
    ("Legal Aid" counts as one), or a listed agency among the words."""
    last = words[-1]
    if last in ORG_HEADS or (last == "Aid" and len(words) > 1 and words[-2] == "Legal"):
        return True
    return any(
        (word in _LEADING or word in KNOWN_NAME_OF or (word == "Aid" and words[i - 1] == "Legal"))
        and words[i + 1] in {"of", "for", "on"}
        for i, word in enumerate(words[:-1])
    ) or bool(_known_in(words))  # "ACLU of Massachusetts": a listed acronym's chapter


def _known_in(words: list[str]) -> tuple[str, ...] | None:
    """The longest listed agency among these words, if any."""
    for index, word in enumerate(words):
        for known in KNOWN_BY_FIRST.get(word, ()):
            if tuple(words[index : index + len(known)]) == known:
                return known
    return None
