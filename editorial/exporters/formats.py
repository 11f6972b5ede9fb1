"""The formats an export can be taken in: the one table the command and the admin offer."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from editorial.exporters.linked_data import write_faq, write_prov
from editorial.exporters.markdown import write_markdown
from editorial.exporters.plain import write_csv, write_json, write_jsonl, write_pairs
from editorial.exporters.query import Record


@dataclass(frozen=True)
class ExportFormat:
    """How a format is named, served and written; `with_import` adds the machine text,
    `with_provenance` the times of import and edits (records' "provenance"), `with_names`
    the titles and full names people read (query.readable_names)."""

    name: str
    label: str
    content_type: str
    suffix: str
    write: Callable[[Iterable[Record]], Iterator[str]]
    with_import: bool = False
    with_provenance: bool = False
    with_names: bool = False


FORMATS: dict[str, ExportFormat] = {
    export_format.name: export_format
    for export_format in (
        ExportFormat("json", "JSON", "application/json", ".json", write_json),
        ExportFormat("jsonl", "JSONL", "application/x-ndjson", ".jsonl", write_jsonl),
        ExportFormat("csv", "CSV", "text/csv; charset=utf-8", ".csv", write_csv),
        ExportFormat(
            "md",
            "Markdown",
            "text/markdown; charset=utf-8",
            ".md",
            write_markdown,
            with_names=True,
        ),  # fmt: skip
        # schema.org's Person names the editors as readers see them (their full names).
        ExportFormat(
            "faq", "FAQ JSON-LD", "application/ld+json", ".faq.jsonld", write_faq, with_names=True
        ),
        ExportFormat(
            "pairs", "Pairs JSONL", "application/x-ndjson", ".pairs.jsonl", write_pairs, True
        ),
        ExportFormat(
            "prov",
            "PROV-O JSON-LD",
            "application/ld+json",
            ".prov.jsonld",
            write_prov,
            with_provenance=True,
        ),  # fmt: skip
    )
}
