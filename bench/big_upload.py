"""Large seed-format files, as the operator in issue 23 uploaded (about 10 MB, 114,000
questions each), built from the real seeds' questions and answers.

    .venv/bin/python bench/big_upload.py FOLDER [COUNT [MEGABYTES]]

Each question is a seed question with its number and the file's state, each answer the
first sentence of a seed answer with its number, so no two answers are the same text.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "fixtures").glob("*.txt"))
STATES = ["Vermont", "Oregon", "Texas", "Ohio", "Utah", "Iowa", "Maine", "Idaho"]
NUMBERED = re.compile(r"^(\d+)\. (.+)$")


def pairs() -> list[tuple[str, str]]:
    """The seeds' questions and their answers' first sentences."""
    found = []
    for path in SEEDS:
        lines = path.read_text(encoding="utf-8").splitlines()
        number = 1
        for index, line in enumerate(lines):
            match = NUMBERED.match(line)
            if match and int(match.group(1)) == number and line.rstrip().endswith("?"):
                answer = next((text for text in lines[index + 1 :] if text.strip()), "")
                found.append((match.group(2), answer.split(". ")[0].rstrip(".")))
                number += 1
    return found


def generate(folder: Path, count: int = 3, megabytes: float = 9.9) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    seeds = pairs()
    paths = []
    for index in range(count):
        state = STATES[index % len(STATES)]
        path = folder / f"big_{index}_{state.lower()}.txt"
        limit = int(megabytes * 1024 * 1024)
        size, number, parts = 0, 1, []
        while size < limit:
            question, answer = seeds[(number - 1) % len(seeds)]
            question = re.sub(r"Massachusetts|Mississippi", state, question).rstrip("?")
            short = question[:40].rsplit(" ", 1)[0]
            text = f"{number}. {short} ({number})?\n{answer[:30]} ({number}).\n"
            parts.append(text)
            size += len(text.encode())
            number += 1
        path.write_text("".join(parts), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    megabytes = float(sys.argv[3]) if len(sys.argv) > 3 else 9.9
    for path in generate(folder, count, megabytes):
        lines = path.read_text(encoding="utf-8").count("\n") // 2
        print(f"{path}: {path.stat().st_size / 1024 / 1024:.1f} MiB, {lines} questions")
