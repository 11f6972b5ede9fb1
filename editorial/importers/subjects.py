"""What a file is about, before anything is written: the state its answers name most
(a document's subject) and what to call it until people name it (its title).

Pure functions of the parsed answers and the file's name, as the parsers are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from editorial.importers.results import ParsedAnswer

US_STATES = [
    *"""Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida
    Georgia Hawaii Idaho Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland
    Massachusetts Michigan Minnesota Mississippi Missouri Montana Nebraska Nevada Ohio
    Oklahoma Oregon Pennsylvania Tennessee Texas Utah Vermont Virginia Washington Wisconsin
    Wyoming""".split(),
    "New Hampshire",
    "New Jersey",
    "New Mexico",
    "New York",
    "North Carolina",
    "North Dakota",
    "Rhode Island",
    "South Carolina",
    "South Dakota",
    "West Virginia",
    "District of Columbia",
    "Puerto Rico",
]


def any_of(words: Iterable[str]) -> str:
    """A pattern matching any of the words, the longest where one starts another, written as
    a tree of their shared starts ("A(?:la(?:bama|ska)|r…)"): at each letter the engine
    tries only the words that start so, not every word in turn."""
    tree: dict = {}
    for word in words:
        node = tree
        for character in word:
            node = node.setdefault(character, {})
        node[""] = {}  # a word ends here

    def pattern(node: dict) -> str:
        branches = [re.escape(key) + pattern(child) for key, child in sorted(node.items()) if key]
        if not branches:
            return ""
        if len(branches) == 1 and "" not in node:
            return branches[0]
        return "(?:" + "|".join(branches) + (")?" if "" in node else ")")

    return pattern(tree)


# No \b in front: a pattern starting with a name lets the engine skip to the names' first
# letters, seven times faster; states_named() checks the boundary before each match
# instead. As a tree of the names' starts, a third faster again than the names one by one
# (10.7 → 7.0 µs an imported answer): most capitals in a text start no state's name.
_STATE_RE = re.compile(f"(?:{any_of(US_STATES)})\\b")


def states_named(text: str) -> Iterator[str]:
    """The state names in the text, as whole words, in order."""
    position = 0
    while match := _STATE_RE.search(text, position):
        start = match.start()
        if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
            position = start + 1  # inside a word: look again from the next character
            continue
        yield match.group()
        position = match.end()


def detect_subject(items: Iterable[ParsedAnswer]) -> str:
    """The state named most often in the questions and answers."""
    counts: dict[str, int] = {}
    for item in items:
        for name in states_named(f"{item.question}\n{item.answer}"):
            counts[name] = counts.get(name, 0) + 1
    return max(counts, key=lambda name: (counts[name], name)) if counts else ""


# A file name made by a machine: numbers, hex digests, UUIDs ("000_45b9d17f8c940ceb.txt").
_MACHINE_WORD = re.compile(r"\d+|(?=[0-9a-f]*\d)[0-9a-f]{6,}", re.IGNORECASE)
_NAME_SEPARATORS = re.compile(r"[\s_.\-]+")
# As long as a title a person reads at a glance; Document.title holds 200.
TITLE_LENGTH = 80


def derive_title(file_name: str, subject: str, items: Iterable[ParsedAnswer]) -> str:
    """What to call a new document when people have not named it yet.

    Empty when its subject (the state) was detected: the document goes by that until a
    managing editor renames it. Otherwise the file name when a person wrote it
    ("dmv_faq.txt": "Dmv faq"), and when a machine did ("000_45b9d17f8c940ceb.txt") the
    first question, shortened at a word.
    """
    if subject:
        return ""
    words = [word for word in _NAME_SEPARATORS.split(Path(file_name).stem) if word]
    if words and not all(_MACHINE_WORD.fullmatch(word) for word in words):
        title = " ".join(words)
        return (title[0].upper() + title[1:] if title.islower() else title)[:TITLE_LENGTH]
    first = next(iter(items), None)
    if first is None:
        return ""
    question = " ".join(first.question.split())
    if len(question) <= TITLE_LENGTH:
        return question
    return question[: TITLE_LENGTH - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
