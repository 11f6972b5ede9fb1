"""What an import found in each document it wrote: its answers, their quality flags and
their specific claims, for the result page a person reads after an upload (data only)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from editorial import flags
from editorial.importers.results import FileResult, ImportSummary
from editorial.models import Answer, Document

# Documents a result describes in full; a larger upload is counted, not listed.
REPORTED_DOCUMENTS = 100


@dataclass
class DocumentReport:
    """One file's document after the import, with what its answers carry now."""

    result: FileResult
    document: Document
    answers: int = 0
    # Flags by label, most serious first; "No source" is left out: every import has it
    # until an editor adds sources, so counting it tells nothing.
    flags: dict[str, int] = field(default_factory=dict)
    blocking: int = 0
    claims: int = 0


def document_reports(
    summary: ImportSummary, limit: int = REPORTED_DOCUMENTS
) -> list[DocumentReport]:
    """The documents the import wrote or found unchanged, in the order of its files: two
    queries, and the claim finder over their answers' texts (half a millisecond each)."""
    written = [result for result in summary.files if result.document is not None][:limit]
    reports = {
        result.document.pk: DocumentReport(result=result, document=result.document)
        for result in written
    }
    found: dict[int, Counter] = {pk: Counter() for pk in reports}
    rows = Answer.objects.filter(document_id__in=list(reports)).values_list(
        "document_id", "text", "flags"
    )
    for document_id, text, codes in rows.iterator():
        report = reports[document_id]
        report.answers += 1
        report.claims += len(flags.find_claims(text))
        for code in codes.split():
            flag = flags.FLAGS.get(code)
            if flag is None or flag is flags.NO_SOURCE:
                continue
            found[document_id][flag] += 1
            report.blocking += flag.level == flags.FlagLevel.BLOCKING
    for pk, report in reports.items():
        ordered = sorted(found[pk].items(), key=lambda item: (-item[0].level, item[0].label))
        report.flags = {flag.label: count for flag, count in ordered}
    # Titles as now stored (a document found unchanged may have been renamed since).
    for document in Document.objects.filter(pk__in=list(reports)):
        reports[document.pk].document = document
    return list(reports.values())
