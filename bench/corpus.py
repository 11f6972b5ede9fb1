"""Seed-format files for benchmarks: the real seeds, their state names varied.

    .venv/bin/python bench/corpus.py N FOLDER     # N files of 20 answers (N × 20 answers)

Each file is one of the two seed files with its state (Massachusetts or Mississippi,
and its agencies' names) replaced by another state's, and its answers varied per file (the
file's number after an answer's first line), so re-imports and duplicates behave as with a
real corpus: most answers are new text, and one in COPY_EVERY is a copy of the answer at
its place in the earlier files of its seed and state (a duplicate flag).
"""

from __future__ import annotations

import re
import sys
from itertools import cycle
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "fixtures").glob("*.txt"))
STATES = """Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida
Georgia Hawaii Idaho Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland Michigan
Minnesota Missouri Montana Nebraska Nevada Ohio Oklahoma Oregon Pennsylvania Tennessee Texas
Utah Vermont Virginia Washington Wisconsin Wyoming""".split()
SEED_STATES = ("Massachusetts", "Mississippi")
# Corpora made by an earlier version are not reused (bench/import_bench.py keeps them).
VERSION = 2
# One answer in this many (by its position) is kept as the seed has it: a copy.
COPY_EVERY = 10
QUESTIONS_A_SEED = 20


def answer_lines(text: str) -> list[tuple[int, int]]:
    """(position, index of the answer's first line) of each question in a seed's text.

    The importer's own rule for these seeds, without Django (the benchmarks' parent
    processes make corpora before they set it up): the next question is the line with the
    next number that ends with "?"; numbered lines inside an answer don't.
    """
    found, expected = [], 1
    for index, line in enumerate(text.split("\n")):
        if re.match(rf"{expected}\. .+\?\s*$", line):
            found.append((expected, index + 1))
            expected += 1
    assert len(found) == QUESTIONS_A_SEED, f"a seed changed: {len(found)} questions found"
    return found


def generate(count: int, folder: Path, *, start: int = 0) -> list[Path]:
    """Write `count` files into `folder` (created), returning their paths; numbered from
    `start`, so a corpus made in parts has no two files of one name."""
    folder.mkdir(parents=True, exist_ok=True)
    seeds = [
        (path.read_text(encoding="utf-8"), state)
        for path, state in zip(SEEDS, SEED_STATES, strict=True)
    ]
    answers = [answer_lines(text) for text, _ in seeds]
    states = cycle(STATES[start % len(STATES) :] + STATES[: start % len(STATES)])
    paths = []
    for index in range(start, start + count):
        text, seed_state = seeds[index % 2]
        state = next(states)
        lines = text.replace(seed_state, state).split("\n")
        for position, first in answers[index % 2]:
            if position % COPY_EVERY:
                lines[first] += f" (File {index}.)"
        body = "\n".join(lines)
        path = folder / f"{index:05}_{state.replace(' ', '_').lower()}.txt"
        path.write_text(body, encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    made = generate(int(sys.argv[1]), Path(sys.argv[2]))
    print(f"{len(made)} files, {len(made) * 20} answers in {sys.argv[2]}")
