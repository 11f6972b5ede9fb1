"""The plain formats: json, jsonl, csv and pairs, for programs and spreadsheets.

Each writer yields text as the records come, so a large export is never held whole, and
writes the same bytes for the same records (sorted keys, a fixed order).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any

from editorial.diffs import words_changed
from editorial.exporters.query import CLAIM_FIELDS, FIELDS, SOURCE_FIELDS, Record


def dumps(value: Any) -> str:
    """JSON as every format writes it: sorted keys, so the bytes are stable; text as is."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


# What json.dumps writes a string with when ensure_ascii is off (the C function, if built).
_string = json.encoder.encode_basestring


class _Objects:
    """dumps() of a list of objects that all have these string-valued keys, written from
    a template of the keys in sorted order: a third of the time of joining each key's text
    for every object (a sync page of the read API writes a thousand records' sources)."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = sorted(keys)
        # %s only: keys are fixed names, and values are inserted, never read as a format.
        self.template = "{" + ", ".join(f'"{key}": %s' for key in self.keys) + "}"

    def __call__(self, objects: list[dict[str, str]]) -> str:
        if not objects:
            return "[]"
        template, keys = self.template, self.keys
        return (
            "["
            + ", ".join(template % tuple([_string(item[key]) for key in keys]) for item in objects)
            + "]"
        )


_sources_json = _Objects(SOURCE_FIELDS)
_claims_json = _Objects(CLAIM_FIELDS)


def _record_json(record: Record) -> str:
    """dumps(record) of an export record, the same characters, written directly.

    The keys are known, so they are written in sorted order as they are instead of
    json.dumps sorting a dict and walking it for every answer: this was half the
    time of a jsonl export. tests/exporters/test_plain.py checks it against dumps.
    """
    review_by = record["review_by"]
    return (
        f'{{"answer": {_string(record["answer"])}, '
        f'"approved_at": {_string(record["approved_at"])}, '
        f'"approved_by": {_string(record["approved_by"])}, '
        f'"claims": {_claims_json(record["claims"])}, '
        f'"correction": {_string(record["correction"])}, '
        f'"digitalSourceType": {_string(record["digitalSourceType"])}, '
        f'"document": {_string(record["document"])}, '
        f'"editors": [{", ".join(map(_string, record["editors"]))}], '
        f'"id": {int(record["id"])}, "position": {int(record["position"])}, '
        f'"question": {_string(record["question"])}, '
        f'"review_by": {"null" if review_by is None else _string(review_by)}, '
        f'"sources": {_sources_json(record["sources"])}, '
        f'"subject": {_string(record["subject"])}, "version": {int(record["version"])}}}'
    )


# --- json, jsonl ------------------------------------------------------------------------


def write_json(records: Iterable[Record]) -> Iterator[str]:
    """A JSON array, one record a line, written as the records come."""
    separator = "[\n"
    for record in records:
        yield separator + _record_json(record)
        separator = ",\n"
    yield "[]\n" if separator == "[\n" else "\n]\n"


def write_jsonl(records: Iterable[Record]) -> Iterator[str]:
    """One JSON object a line, for tools that read a record at a time."""
    for record in records:
        yield _record_json(record) + "\n"


# --- csv --------------------------------------------------------------------------------

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection);
# the full-width forms are included because some spreadsheets normalise them.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def neutralise_cell(value: Any) -> Any:
    """Prefix a quote to text a spreadsheet would run as a formula, so it shows as text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class _Line:
    """A file-like object for csv.writer that hands back what it is given."""

    def write(self, value: str) -> str:
        return value


def write_csv(records: Iterable[Record]) -> Iterator[str]:
    """A header and one row per answer; sources and claims are a JSON list in a cell each."""
    writer = csv.writer(_Line())
    yield writer.writerow(FIELDS)
    for record in records:
        row = {
            **record,
            "sources": _sources_json(record["sources"]),
            "editors": dumps(record["editors"]),
            "review_by": record["review_by"] or "",
            "claims": _claims_json(record["claims"]),
        }
        yield writer.writerow([neutralise_cell(row[field]) for field in FIELDS])


# --- pairs: machine text beside approved text -------------------------------------------


def write_pairs(records: Iterable[Record]) -> Iterator[str]:
    """JSONL of the imported machine text beside the approved text, for model evaluation."""
    for record in records:
        pair = {
            **record,
            "question_words_changed": words_changed(
                record["imported_question"], record["question"]
            ),
            "answer_words_changed": words_changed(record["imported_answer"], record["answer"]),
        }
        yield dumps(pair) + "\n"
