"""Export approved content: one streamed query of approved versions, one writer per format.

Everything exported comes from ApprovedVersion, what a reviewer approved, never from an
answer's working fields. Output is deterministic (sorted keys, a fixed order, no "now"
inside) and streamed, so memory stays flat in the number of answers. Every finished export
is recorded with the hash of its bytes.

- query: the one query of approved versions, and the records its rows become
- plain: json, jsonl, csv (formulas neutralised) and pairs
- markdown: a document people read, its text shown as written
- linked_data: faq (schema.org FAQPage JSON-LD) and prov (W3C PROV-O JSON-LD)
- formats: the table of formats the command and the admin offer
- streaming: the run (`Export`): read ahead, encoded, hashed and recorded
- schemas: the published contract, a JSON Schema per record format (json, jsonl, csv,
  pairs), as files the API serves

Callers import the package (`from editorial.exporters import Export`); these are its
public names.
"""

from editorial.diffs import words_changed  # the pairs' measure, read here by its callers
from editorial.exporters.formats import FORMATS, ExportFormat
from editorial.exporters.linked_data import (
    FAQ_CONTEXT,
    PROV_APPROVER_ROLE,
    PROV_CONTEXT,
    PROV_EDITOR_ROLE,
    SCHEMA_ORG,
    prov_agent,
    prov_document,
    write_faq,
    write_prov,
)
from editorial.exporters.markdown import (
    markdown_block,
    markdown_inline,
    markdown_link,
    write_markdown,
)
from editorial.exporters.plain import (
    dumps,
    neutralise_cell,
    write_csv,
    write_json,
    write_jsonl,
    write_pairs,
)
from editorial.exporters.query import (
    CLAIM_FIELDS,
    FIELDS,
    RECORD_COLUMNS,
    SOURCE_FIELDS,
    Record,
    UtcText,
    approved_versions,
    record_of,
    records,
    utc_iso,
)
from editorial.exporters.schemas import (
    SCHEMA_CONTENT_TYPE,
    SCHEMA_FORMATS,
    record_schema,
    schema_bytes,
)
from editorial.exporters.streaming import (
    BUFFER_CHARS,
    CHUNK_SIZE,
    Export,
    ExportError,
    read_ahead,
)
from editorial.exporters.withdrawn import tombstones

__all__ = [
    "BUFFER_CHARS",
    "CHUNK_SIZE",
    "CLAIM_FIELDS",
    "FAQ_CONTEXT",
    "FIELDS",
    "FORMATS",
    "PROV_APPROVER_ROLE",
    "PROV_CONTEXT",
    "PROV_EDITOR_ROLE",
    "RECORD_COLUMNS",
    "SCHEMA_CONTENT_TYPE",
    "SCHEMA_FORMATS",
    "SCHEMA_ORG",
    "SOURCE_FIELDS",
    "Export",
    "ExportError",
    "ExportFormat",
    "Record",
    "UtcText",
    "approved_versions",
    "dumps",
    "markdown_block",
    "markdown_inline",
    "markdown_link",
    "neutralise_cell",
    "prov_agent",
    "prov_document",
    "read_ahead",
    "record_of",
    "record_schema",
    "records",
    "schema_bytes",
    "tombstones",
    "utc_iso",
    "words_changed",
    "write_csv",
    "write_faq",
    "write_json",
    "write_jsonl",
    "write_markdown",
    "write_pairs",
    "write_prov",
]
