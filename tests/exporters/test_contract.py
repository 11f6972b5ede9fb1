"""The published contract: every record of every json, jsonl, csv and pairs export, made
from the seed files, hostile and unicode text, meets its format's JSON Schema (draft
2020-12), formats (uri, date, date-time) checked."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from editorial.exporters import (
    FIELDS,
    SCHEMA_FORMATS,
    ExportError,
    record_schema,
    schema_bytes,
)
from tests.exporters.conftest import (
    AMPERSAND_URL,
    HOSTILE_TEXT,
    UNICODE_TEXT,
    export,
    parse_json,
    parse_jsonl,
)

SCHEMAS = Path(__file__).resolve().parents[2] / "editorial" / "exporters" / "schemas"
FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER


def validator(format_name: str) -> Draft202012Validator:
    return Draft202012Validator(record_schema(format_name), format_checker=FORMAT_CHECKER)


def test_each_record_format_has_a_valid_strict_schema_kept_in_the_repository():
    assert SCHEMA_FORMATS == ("json", "jsonl", "csv", "pairs")
    assert sorted(path.name for path in SCHEMAS.glob("*.json")) == sorted(
        f"{name}.schema.json" for name in SCHEMA_FORMATS
    )
    for name in SCHEMA_FORMATS:
        schema = record_schema(name)
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema_bytes(name) == (SCHEMAS / f"{name}.schema.json").read_bytes()
        assert schema["additionalProperties"] is False
        assert set(schema["required"]) == set(schema["properties"])
        for shape in schema["$defs"].values():  # a source, a claim
            assert shape["additionalProperties"] is False
            assert set(shape["required"]) == set(shape["properties"])
    # json and jsonl write the same record; pairs adds the machine text beside it.
    plain = {k: v for k, v in record_schema("json").items() if k not in {"$id", "title"}}
    lines = {k: v for k, v in record_schema("jsonl").items() if k not in {"$id", "title"}}
    assert {**plain, "description": ""} == {**lines, "description": ""}
    assert record_schema("pairs")["required"][: len(FIELDS)] == FIELDS
    # The columns in the order the header has them.
    assert record_schema("csv")["required"] == FIELDS
    # A copy each time: a caller's change does not reach the next.
    record_schema("json")["title"] = "changed"
    assert record_schema("json")["title"] != "changed"


def test_the_formats_are_checked_not_only_named():
    """Without its checkers installed jsonschema passes any "format"; these fail then."""
    assert not FORMAT_CHECKER.conforms('https://example.org/a"b', "uri")
    assert not FORMAT_CHECKER.conforms("2026-13-01", "date")
    assert not FORMAT_CHECKER.conforms("2026-01-02 03:04", "date-time")
    assert FORMAT_CHECKER.conforms("2026-01-02T03:04:05.123456+00:00", "date-time")


def test_a_format_without_a_record_schema_is_refused_by_name():
    with pytest.raises(ExportError, match="No record schema for 'md'; there is one for json"):
        record_schema("md")


def _content_validator(schema: dict, column: str) -> Draft202012Validator:
    """A csv column's JSON content against the schema it names (its contentSchema, which
    JSON Schema only annotates), with the root's definitions."""
    content = {**schema["properties"][column]["contentSchema"], "$defs": schema["$defs"]}
    return Draft202012Validator(content, format_checker=FORMAT_CHECKER)


def test_every_record_of_every_export_meets_its_schema(corpus):
    parsed = {
        "json": parse_json(export("json")),
        "jsonl": parse_jsonl(export("jsonl")),
        "pairs": parse_jsonl(export("pairs")),
    }
    for name, records in parsed.items():
        assert len(records) == len(corpus), name
        check = validator(name)
        for record in records:
            check.validate(record)
    csv_schema = record_schema("csv")
    check = validator("csv")
    data = export("csv").decode()
    assert data.split("\r\n", 1)[0].split(",") == csv_schema["required"]
    rows = list(csv.DictReader(io.StringIO(data, newline="")))
    assert len(rows) == len(corpus)
    for row in rows:
        check.validate(row)
        for column in ("sources", "claims", "editors"):
            _content_validator(csv_schema, column).validate(json.loads(row[column]))
    # The corpus holds what the schemas must admit: hostile and unicode text, a link with
    # a query and quotes (percent-encoded), claims with a source and common knowledge.
    records = parsed["jsonl"]
    answers = {record["answer"] for record in records}
    assert {HOSTILE_TEXT, UNICODE_TEXT} <= answers
    urls = {source["url"] for record in records for source in record["sources"]}
    assert AMPERSAND_URL in urls
    claims = [claim for record in records for claim in record["claims"]]
    assert any(claim["source_url"] == AMPERSAND_URL for claim in claims)
    assert any(claim["source_url"] == "" and claim["reason"] for claim in claims)
    assert any(row["question"].startswith("'+1") for row in rows)  # a formula neutralised


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda r: r.update(extra=1), "$"),
        (lambda r: r.pop("correction"), "$"),
        (lambda r: r.update(id="1"), "$.id"),
        (lambda r: r.update(approved_at="yesterday"), "$.approved_at"),
        (lambda r: r.update(review_by="2026-02-30"), "$.review_by"),
        (lambda r: r.update(digitalSourceType="made up"), "$.digitalSourceType"),
        (lambda r: r["sources"][0].update(url='https://example.org/a"b'), "$.sources[0].url"),
        (lambda r: r["sources"][0].update(url="ftp://example.org/"), "$.sources[0].url"),
        (lambda r: r["sources"][0].update(more="x"), "$.sources[0]"),
        (
            lambda r: r["claims"].append(
                {"text": "X", "source_url": "", "excerpt": "", "reason": ""}
            ),
            "$.claims[2].reason",
        ),  # fmt: skip
    ],
)
def test_a_record_off_the_contract_is_refused_where_it_is_off(approved, change, path):
    (record, *_) = [r for r in parse_jsonl(export("jsonl")) if r["sources"] and r["claims"]]
    validator("jsonl").validate(record)
    change(record)
    errors = list(validator("jsonl").iter_errors(record))
    assert errors
    assert {error.json_path for error in errors} == {path}
