"""What an import reports: the parsed answers, each file's outcome, and the sum of them.

Kept apart so the parsers, the writers and the callers (command, admin, benches) share
one vocabulary without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from editorial.models import Document
from editorial.wording import counted


class ImportFileError(Exception):
    """A file that cannot be imported; the message names the file, the line and why."""

    def __init__(self, path: str | Path, line: int, reason: str) -> None:
        self.path, self.line, self.reason = str(path), line, reason
        super().__init__(f"{self.path}:{line}: {reason}")


@dataclass(frozen=True)
class ParsedAnswer:
    position: int
    question: str
    answer: str
    line: int


@dataclass
class FileResult:
    path: str
    document: Document | None = None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicting: int = 0
    error: str = ""
    # Places where the parser had to choose how to read the file ("path:line: why").
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportSummary:
    files: list[FileResult] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(result, name) for result in self.files)

    @property
    def failed(self) -> list[FileResult]:
        return [result for result in self.files if result.error]

    @property
    def warnings(self) -> list[str]:
        return [warning for result in self.files for warning in result.warnings]

    def __str__(self) -> str:
        warned = f", {counted(len(self.warnings), 'warning')}" if self.warnings else ""
        return (
            f"{counted(len(self.files), 'file')}: {self.total('created')} created, "
            f"{self.total('updated')} updated, {self.total('unchanged')} unchanged, "
            f"{self.total('conflicting')} conflicting, {len(self.failed)} failed{warned}"
        )
