"""editorial.importers.bulk: new documents written together write exactly what the
per-answer path writes, in a number of queries that does not grow with the files."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import transaction
from reversion.models import Version

from editorial import importers, workflow
from editorial.importers import import_paths
from editorial.models import Answer, Document, WorkflowEvent
from tests.importers.conftest import (
    REFUSAL,
    REFUSED,
    SEEDS,
    five_answers,
    row_counts,
    write,
)

pytestmark = pytest.mark.django_db


class _Discard(Exception):
    """Raised to roll back a trial import."""


def _written() -> dict:
    """Everything an import writes, without ids and clock times."""
    answers = list(
        Answer.objects.order_by("document__name", "position").values(
            "document__name", "position", "question", "text", "imported_question",
            "imported_text", "incoming_question", "incoming_text", "status", "editor",
            "reviewer", "version", "flags", "flag_level", "text_fingerprint",
        )
    )  # fmt: skip
    versions = []
    for answer in Answer.objects.order_by("document__name", "position"):
        for version in Version.objects.get_for_object(answer).select_related("revision"):
            content = {
                key: value
                for key, value in version.field_dict.items()
                # Flags are derived data: the per-answer path versions the row before they
                # are computed, the bulk path after; neither is the versioned content.
                if key not in {"id", "document", "document_id", "created_at", "updated_at",
                               "flags", "flag_level", "text_fingerprint"}
            }  # fmt: skip
            sources = workflow.version_sources(version)
            versions.append(
                (answer.document.name, answer.position, version.object_repr, content, sources,
                 version.revision.get_comment(), version.revision.user_id)
            )  # fmt: skip
    events = list(
        WorkflowEvent.objects.order_by("answer__document__name", "answer__position", "id")
        .values_list(
            "answer__document__name", "answer__position", "action", "from_status",
            "to_status", "comment", "actor",
        )
    )  # fmt: skip
    revisions_per_file = sorted(
        comment
        for _, comment in set(Version.objects.values_list("revision_id", "revision__comment"))
    )
    return {
        "answers": answers,
        "versions": versions,
        "events": events,
        "event revisions match": all(
            event.revision.version_set.filter(object_id=str(event.answer_id)).exists()
            for event in WorkflowEvent.objects.select_related("revision")
        ),
        "revisions": revisions_per_file,
    }


def _corpus(folder: Path) -> list[Path]:
    """The seeds, and copies under other states: whole answers repeat across files."""
    paths = []
    for seed, (state, new_state, copies) in zip(
        SEEDS, [("Massachusetts", "Texas", 2), ("Mississippi", "Ohio", 1)], strict=True
    ):
        text = seed.read_text(encoding="utf-8")
        paths.append(seed)
        for copy in range(copies):
            path = folder / f"{new_state.lower()}_{copy}.txt"
            path.write_text(text.replace(state, new_state), encoding="utf-8")
            paths.append(path)
    return paths


def test_the_bulk_path_writes_exactly_what_the_per_answer_path_writes(
    db, tmp_path, monkeypatch, django_user_model
):
    user = django_user_model.objects.create_user(username="importer")
    files = _corpus(tmp_path)
    written = {}
    for bulk in (False, True):
        monkeypatch.setattr(importers.bulk, "BULK_NEW_DOCUMENTS", bulk)
        try:
            with transaction.atomic():
                # An answer of an earlier import that the corpus repeats: it must get the
                # duplicate flag either way.
                import_paths([files[0]], user=user)
                summary = import_paths(files[1:], user=user)
                assert not summary.failed, summary.failed
                written[bulk] = _written()
                raise _Discard
        except _Discard:
            pass

    assert written[True] == written[False]
    assert len(written[True]["answers"]) == 100
    assert any("duplicate" in row["flags"] for row in written[True]["answers"])
    assert written[True]["event revisions match"]
    assert len(written[True]["revisions"]) == 5  # one per file


def _numbered_files(folder: Path, files: int, answers: int, *, tag: str) -> list[Path]:
    return [
        write(
            folder,
            f"{tag}_{index}.txt",
            "".join(
                f"{position}. Question {position} of file {index}?\n"
                f"Answer {position} of {tag} file {index}, in 2004.\n\n"
                for position in range(1, answers + 1)
            ),
        )
        for index in range(files)
    ]


def test_import_queries_do_not_grow_with_file_size_or_file_count(tmp_path, django_user_model):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = django_user_model.objects.create_user(username="importer")
    import_paths(_numbered_files(tmp_path / "warm", 1, 1, tag="warm"))  # caches content types
    counts = {}
    for files, answers in ((2, 5), (2, 60), (12, 5)):
        tag = f"t{files}x{answers}"
        paths = _numbered_files(tmp_path / tag, files, answers, tag=tag)
        with CaptureQueriesContext(connection) as queries:
            summary = import_paths(paths, user=user)
        assert summary.total("created") == files * answers and not summary.failed
        counts[files, answers] = len(queries)

    assert counts[2, 5] == counts[2, 60] == counts[12, 5], counts
    # 21 on SQLite: seven of them index the new answers in one go, with a larger buffer for
    # FTS5 (editorial.storage.search); two reserve the versions' and events' ids, so that
    # sealing reads none back. 15 on PostgreSQL: one turns its JIT off for the copies'
    # lookup (flags.duplicates: compiling it took 75 ms, running it 13).
    assert counts[2, 5] <= (21 if connection.vendor == "sqlite" else 15), counts


def test_a_bad_file_in_a_group_of_new_files_fails_alone(tmp_path, refuse):
    # The database refuses one answer of b_refused.txt: the group's bulk write fails, and
    # each file is then written on its own, in the same transaction.
    write(tmp_path, "a_good.txt", five_answers("a_good.txt"))
    write(tmp_path, "b_refused.txt", five_answers("b_refused.txt", third=f"Answer 3, {REFUSED}."))
    write(tmp_path, "c_good.txt", five_answers("c_good.txt"))
    refuse("INSERT", f"NEW.text LIKE '%{REFUSED}%'")

    summary = import_paths([tmp_path])

    errors = {Path(result.path).name: result.error for result in summary.failed}
    assert list(errors) == ["b_refused.txt"], errors
    assert errors["b_refused.txt"].startswith(f"{tmp_path / 'b_refused.txt'}: could not")
    assert REFUSAL in errors["b_refused.txt"]
    assert [(Path(result.path).name, result.created) for result in summary.files] == [
        ("a_good.txt", 5), ("b_refused.txt", 0), ("c_good.txt", 5),
    ]  # fmt: skip
    assert set(Document.objects.values_list("name", flat=True)) == {"a_good.txt", "c_good.txt"}
    assert row_counts() == {
        "documents": 2, "answers": 10, "versions": 10, "revisions": 2, "events": 10,
    }  # fmt: skip
    assert not Answer.objects.filter(text__contains=REFUSED).exists()


def test_copy_on_postgresql_writes_exactly_what_inserts_write(
    db, tmp_path, monkeypatch, django_user_model
):
    from django.db import connection

    from editorial.storage import bulk

    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    user = django_user_model.objects.create_user(username="importer")
    files = _corpus(tmp_path)
    written = {}
    for copy in (False, True):
        monkeypatch.setattr(bulk, "COPY_ON_POSTGRESQL", copy)
        try:
            with transaction.atomic():
                import_paths([files[0]], user=user)
                summary = import_paths(files[1:], user=user)
                assert not summary.failed, summary.failed
                written[copy] = _written()
                written[copy]["search"] = list(
                    Answer.objects.search("registry of motor")
                    .order_by("document__name", "position")
                    .values_list("document__name", "position")
                )
                raise _Discard
        except _Discard:
            pass

    assert written[True] == written[False]
    assert written[True]["search"]  # the search column computed for copied rows too
    assert any("duplicate" in row["flags"] for row in written[True]["answers"])
