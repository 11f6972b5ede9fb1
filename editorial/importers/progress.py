"""How far an import has got, said while it works, whatever the size of the file.

The importers call `report(answers, what)` every REPORT_EVERY answers of each step (found
while reading, checked, written), whoever listens: a job's page through the cache
(editorial.tasks.jobs.LiveProgress, which keeps one note per half second of its clock and
drops the rest) or nobody. Counting answers rather than reading a clock here keeps the
importers deterministic; the listener decides how often a note is worth writing. A step
of 500 answers is a few hundredths of a second of work, so the listener hears often enough
to say something every half second even on a loaded machine, and the calls cost nothing
beside the work between them (a 119,000-answer file: 240 calls per step).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

Report = Callable[[int, str], None]

# Answers between two reports within a step.
REPORT_EVERY = 500


def silent(answers: int, what: str) -> None:
    """No one is following."""


def reporting(
    items: Iterable[T], report: Report, what: Callable[[int], str], *, answers: int | None = None
) -> Iterator[T]:
    """The items, with a report before the first and then every REPORT_EVERY of them.

    `what(n)` says what is being done after n items; `answers` is the count reported
    (n itself when None: the items are the answers done).
    """
    for done, item in enumerate(items):
        if done % REPORT_EVERY == 0:
            report(done if answers is None else answers, what(done))
        yield item
