"""Import machine-written question/answer files: parse, validate, then save atomically.

A file is imported whole or not at all. Re-importing never overwrites staff work: an
answer somebody touched keeps its text and gets the new import beside it to merge.

The steps, one module each: parsers (text to answers, pure) → prepare (read and check
before any write) → write (one file and the re-import rules) or bulk (new documents
together) → batch (many files, grouped into commits); results holds what they report.
Callers import from here: `from editorial.importers import import_paths`.
"""

from editorial.importers.batch import (
    BYTES_PER_COMMIT,
    FILES_PER_COMMIT,
    batched,
    expand_paths,
    import_contents,
    import_paths,
    import_prepared,
    prepare_or_fail,
    refresh_statistics,
)
from editorial.importers.bulk import create_documents
from editorial.importers.parsers import (
    PARSERS,
    SUPPORTED_SUFFIXES,
    decode,
    parse_content,
    parse_csv,
    parse_jsonl,
    parse_numbered_text,
)
from editorial.importers.prepare import (
    NAME_LENGTH,
    PreparedFile,
    parse_file,
    prepare_content,
    prepare_file,
)
from editorial.importers.report import REPORTED_DOCUMENTS, DocumentReport, document_reports
from editorial.importers.results import FileResult, ImportFileError, ImportSummary, ParsedAnswer
from editorial.importers.subjects import US_STATES, derive_title, detect_subject, states_named
from editorial.importers.write import import_file, write_file

__all__ = [
    "BYTES_PER_COMMIT",
    "FILES_PER_COMMIT",
    "NAME_LENGTH",
    "PARSERS",
    "REPORTED_DOCUMENTS",
    "SUPPORTED_SUFFIXES",
    "US_STATES",
    "DocumentReport",
    "FileResult",
    "ImportFileError",
    "ImportSummary",
    "ParsedAnswer",
    "PreparedFile",
    "batched",
    "create_documents",
    "decode",
    "derive_title",
    "detect_subject",
    "document_reports",
    "expand_paths",
    "import_contents",
    "import_file",
    "import_paths",
    "import_prepared",
    "parse_content",
    "parse_csv",
    "parse_file",
    "parse_jsonl",
    "parse_numbered_text",
    "prepare_content",
    "prepare_file",
    "prepare_or_fail",
    "refresh_statistics",
    "states_named",
    "write_file",
]
