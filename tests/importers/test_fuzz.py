"""Whatever the bytes, a clean import or a clean error, nothing half-written."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from editorial import importers
from tests.importers.conftest import SEEDS, row_counts

pytestmark = pytest.mark.django_db


# The default run tries a few hundred files; EDITORIAL_FUZZ=1 runs the 10,000-example pass.
FUZZ_EXAMPLES = 10_000 if os.environ.get("EDITORIAL_FUZZ") else 60
_SEED_BYTES = [seed.read_bytes() for seed in SEEDS]


@st.composite
def _mutated_seed(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(_SEED_BYTES)))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "line"]))
        piece = draw(
            st.sampled_from([b"\x00", b"\xff", b"\r", b"\n", b"?", b"7. ", b"10000. Q?",
                             b"1) ", b" " * 500, "é".encode(), b"\xe2\x80", b"\"", b","])
        )  # fmt: skip
        if kind == "insert":
            data[at:at] = piece
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 400))]
        elif kind == "replace":
            data[at : at + len(piece)] = piece
        else:  # a whole line moved to another place
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            line = bytes(data[start : end if end != -1 else len(data)])
            del data[start : end if end != -1 else len(data)]
            where = draw(st.integers(0, len(data)))
            data[where:where] = line
    return bytes(data)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def _jsonl(draw) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["record", "value", "text", "broken"]))
        if kind == "record":
            record = {"question": draw(st.text(max_size=40)), "answer": draw(_json_values)}
            lines.append(json.dumps(record, ensure_ascii=draw(st.booleans())))
        elif kind == "value":
            lines.append(json.dumps(draw(_json_values)))
        elif kind == "text":
            lines.append(draw(st.text(max_size=60)))
        else:
            good = json.dumps({"question": "Q?", "answer": "A."})
            lines.append(good[: draw(st.integers(0, len(good)))])
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@st.composite
def _csv(draw) -> bytes:
    cell = st.text(alphabet=st.sampled_from(list('ab ,"\n\r?é\x00;')), max_size=20)
    header = draw(st.sampled_from(["question,answer", "Question , Answer", "q,a", "answer",
                                   "question,answer,extra", ""]))  # fmt: skip
    rows = draw(st.lists(st.lists(cell, min_size=0, max_size=4), max_size=6))
    quoted = draw(st.booleans())
    body = "\n".join(",".join(f'"{value}"' if quoted else value for value in row) for row in rows)
    return f"{header}\n{body}".encode("utf-8", "surrogatepass")


_ANY_FILE = st.one_of(
    st.tuples(st.sampled_from([".txt", ".jsonl", ".csv", ".TXT"]), st.binary(max_size=3000)),
    st.tuples(st.just(".txt"), _mutated_seed()),
    st.tuples(st.just(".jsonl"), _jsonl()),
    st.tuples(st.just(".csv"), _csv()),
)


@given(_ANY_FILE)
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_file_is_a_clean_import_or_a_clean_error_with_nothing_written(db, file):
    suffix, raw = file
    name = f"fuzz{suffix}"
    with transaction.atomic():
        before = row_counts()
        summary = importers.import_contents([(name, raw)])
        (result,) = summary.files
        after = row_counts()
        transaction.set_rollback(True)  # each example starts from the same database
    if result.error:
        # The file's own error, with its line: never the catch-all for an unexpected crash.
        assert re.match(rf"^{re.escape(name)}:\d+: \S", result.error), result.error
        assert "could not be imported" not in result.error, result.error
        assert after == before
    else:
        items = importers.parse_content(Path(name), raw)
        assert result.created == len(items) > 0
        assert after["documents"] == before["documents"] + 1
        assert after["answers"] == before["answers"] + len(items)
        assert after["versions"] == before["versions"] + len(items)
        assert after["events"] == before["events"] + len(items)
