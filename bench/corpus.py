"""Seed-format files for benchmarks: the real seeds, their state names varied.

    .venv/bin/python bench/corpus.py N FOLDER     # N files of 20 answers (N × 20 answers)

Each file is one of the two seed files with its state (Massachusetts or Mississippi,
and its agencies' names) replaced by another state's, and its text varied a little per
file (a file number in the first answer) so re-imports and duplicates behave as with a
real corpus: most answers are new text, a few are copies of another file's answer.
"""

from __future__ import annotations

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


def generate(count: int, folder: Path, *, start: int = 0) -> list[Path]:
    """Write `count` files into `folder` (created), returning their paths; numbered from
    `start`, so a corpus made in parts has no two files of one name."""
    folder.mkdir(parents=True, exist_ok=True)
    seeds = [
        (path.read_text(encoding="utf-8"), state)
        for path, state in zip(SEEDS, SEED_STATES, strict=True)
    ]
    states = cycle(STATES[start % len(STATES) :] + STATES[: start % len(STATES)])
    paths = []
    for index in range(start, start + count):
        text, seed_state = seeds[index % 2]
        state = next(states)
        body = text.replace(seed_state, state)
        # Vary the first answer per file so files are not byte-identical, keep the rest:
        # the later answers of two files of one state are copies (duplicate flags).
        first_line_end = body.index("\n", body.index("\n") + 1)
        body = body[:first_line_end] + f" (File {index}.)" + body[first_line_end:]
        path = folder / f"{index:05}_{state.replace(' ', '_').lower()}.txt"
        path.write_text(body, encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    made = generate(int(sys.argv[1]), Path(sys.argv[2]))
    print(f"{len(made)} files, {len(made) * 20} answers in {sys.argv[2]}")
