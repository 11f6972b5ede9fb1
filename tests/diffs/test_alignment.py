"""The alignment under the word diff: its opcodes, and long texts cut into pieces for speed."""

import random
import re
from pathlib import Path

from editorial.diffs import diff_words
from editorial.diffs.alignment import opcodes
from tests.diffs.conftest import rebuilt_new, rebuilt_old

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures"


def test_opcodes_read_like_difflibs():
    assert opcodes(list("abcd"), list("axcd")) == [
        ("equal", 0, 1, 0, 1),
        ("replace", 1, 2, 1, 2),
        ("equal", 2, 4, 2, 4),
    ]
    assert opcodes(["a"], []) == [("delete", 0, 1, 0, 0)]
    assert opcodes([], ["a"]) == [("insert", 0, 0, 0, 1)]
    assert opcodes([], []) == []


def test_a_long_text_is_diffed_in_full():
    """20,000 words with edits everywhere: the pieces cut for speed still rebuild both texts."""
    sentences = re.split(r"(?<=[.?!])\s+", (FIXTURES / "000_45b9d17f8c940ceb.txt").read_text())
    rng = random.Random(7)
    old_words: list[str] = []
    while len(old_words) < 20_000:
        old_words += rng.choice(sentences).split()
    new_words = list(old_words)
    for _ in range(200):
        position = rng.randrange(len(new_words))
        if rng.random() < 0.5:
            new_words.insert(position, "INSERTED")
        else:
            del new_words[position]
    old, new = " ".join(old_words), " ".join(new_words)
    segments = diff_words(old, new)
    assert rebuilt_new(segments) == new
    assert rebuilt_old(segments) == old
    inserted = " ".join(s.text for s in segments if s.op == "insert").split()
    assert inserted == ["INSERTED"] * new_words.count("INSERTED")
    deleted = " ".join(s.text for s in segments if s.op == "delete").split()
    kept = len(new_words) - len(inserted)  # every word of the old text left in the new one
    assert len(deleted) == len(old_words) - kept, "no kept word is marked deleted"
