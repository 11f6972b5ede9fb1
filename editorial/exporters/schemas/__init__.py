"""The published contract of the record formats: one JSON Schema (draft 2020-12) for each
record shape an export writes, kept here as the files consumers are given.

json and jsonl write the same record (json as an array of them), pairs the record with the
machine text beside it, csv the record as a row of text cells. The API serves these files
as they are; tests/exporters/test_contract.py validates every record of every export
against them, so a change of what an export writes fails there until its schema says so.
md, faq and prov have no record shape: faq and prov are JSON-LD, read with rdflib, PyLD
and the `prov` package (tests/exporters/test_consumers.py), md is read by people.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from editorial.exporters.streaming import ExportError

SCHEMA_FORMATS = ("json", "jsonl", "csv", "pairs")
SCHEMA_CONTENT_TYPE = "application/schema+json"


def schema_bytes(format_name: str) -> bytes:
    """The schema file of a format's records, byte for byte as kept (what the API serves)."""
    if format_name not in SCHEMA_FORMATS:
        raise ExportError(
            f"No record schema for {format_name!r}; there is one for {', '.join(SCHEMA_FORMATS)}."
        )
    return _read(format_name)


def record_schema(format_name: str) -> dict[str, Any]:
    """A format's record schema as a dict, a fresh copy the caller may change."""
    return json.loads(schema_bytes(format_name))


@cache
def _read(format_name: str) -> bytes:
    return files(__name__).joinpath(f"{format_name}.schema.json").read_bytes()
