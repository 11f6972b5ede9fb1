"""Copies: the one flag that depends on other answers, kept in the database.

An answer's flags are stored on it so the admin list can filter and sort by them;
`refresh_flags` recomputes and stores them, `first_copies` and `add_duplicate_flag` let an
import find and mark the copies of its texts without reading every copy.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from contextlib import nullcontext

from django.db import connection, transaction
from django.db.models import Count, Min, QuerySet

from editorial.flags.patterns import fold
from editorial.flags.quality import DUPLICATE, FLAGS, Flag, evaluate, level_of, with_duplicate
from editorial.models import FINGERPRINT_PREFIX, Answer, FingerprintStart


def fingerprint(text: str, *, folded: str | None = None) -> str:
    """Equal for texts that differ only in case and spacing, so copies are found.

    `folded`, if given, is patterns.fold(text), made once for this and the hedge test."""
    normalised = fold(text) if folded is None else folded
    return hashlib.sha1(normalised.encode("utf-8")).hexdigest() if normalised else ""


# The texts new_answer_checks keeps: how long one may be, and how many.
_CHECKED_CHARS = 8_192
_CHECKED_TEXTS = 2_048


def new_answer_checks(text: str) -> tuple[str, tuple[Flag, ...]]:
    """A new answer's fingerprint and its flags from its text alone (no source, no copy
    known yet): what an import finds for every answer before anything is written.

    Machine-written files repeat texts (the copies the duplicate flag is for): a text seen
    lately is not folded, hashed and checked again. Only texts up to _CHECKED_CHARS are
    kept, so the memory held is bounded (_CHECKED_TEXTS of them at most).
    """
    if len(text) > _CHECKED_CHARS:
        return _new_answer_checks(text)
    return _new_answer_checks_kept(text)


def _new_answer_checks(text: str) -> tuple[str, tuple[Flag, ...]]:
    folded = fold(text)
    found = evaluate(text=text, source_count=0, is_duplicate=False, folded=folded)
    return fingerprint(text, folded=folded), tuple(found)


_new_answer_checks_kept = functools.lru_cache(maxsize=_CHECKED_TEXTS)(_new_answer_checks)


def refresh_flags(answer_ids: Iterable[int]) -> None:
    """Recompute and store the flags of these answers and of any answer they duplicate.

    Writes with bulk_update: flags are derived from the versioned content, so storing
    them is not itself an edit and must not add a version.
    """
    ids = set(answer_ids)
    if not ids:
        return
    targets = list(Answer.objects.filter(pk__in=ids).only("id", "text", "text_fingerprint"))
    affected_prints = {answer.text_fingerprint for answer in targets}
    for answer in targets:
        answer.text_fingerprint = fingerprint(answer.text)
        affected_prints.add(answer.text_fingerprint)
    affected_prints.discard("")
    Answer.objects.bulk_update(targets, ["text_fingerprint"])

    partners = [
        (pk, print_)
        for pk, print_ in starting_alike(Answer.objects.active().order_by(), affected_prints)
        .values_list("pk", "text_fingerprint")
        .iterator()
        if print_ in affected_prints
    ]
    copies = Counter(print_ for _, print_ in partners)
    all_ids = ids | {pk for pk, _ in partners}
    answers = list(
        Answer.objects.filter(pk__in=all_ids)
        .annotate(source_count=Count("sources"), oldest_source=Min("sources__accessed_on"))
        .only("id", "text", "status", "text_fingerprint", "flags", "flag_level")
    )
    changed = []
    for answer in answers:
        is_duplicate = answer.status != "archived" and copies.get(answer.text_fingerprint, 0) > 1
        flags = evaluate(
            text=answer.text,
            source_count=answer.source_count,
            is_duplicate=is_duplicate,
            oldest_source=answer.oldest_source,
        )
        codes = " ".join(flag.code for flag in flags)
        level = level_of(flags)
        if codes != answer.flags or level != answer.flag_level:
            answer.flags, answer.flag_level = codes, level
            changed.append(answer)
    Answer.objects.bulk_update(changed, ["flags", "flag_level"])


def first_copies(prints: Iterable[str]) -> list[tuple[int, str, str]]:
    """Up to two active answers per fingerprint, as (pk, flags, fingerprint).

    Enough to know whether a text is already in use, and to find its one copy that lacks
    the duplicate flag (two or more copies all carry it). In a large corpus a text repeats
    thousands of times: reading every copy made each import slower as the database grew,
    so each fingerprint is one index lookup with a LIMIT, all in one statement: the
    fingerprints given as one array, each joined to its lookup. (A UNION ALL of a lookup per
    fingerprint cost PostgreSQL 30 ms to plan per 200, a fifth of an import's time there,
    and SQLite 8-12 µs a fingerprint against 2 µs so: 0.35 s of the 7 s of CPU time 2,000
    files took; issue 22.)
    """
    prints = sorted({print_ for print_ in prints if print_})
    if not prints:
        return []
    if connection.vendor == "postgresql":
        lookup, params = _lookup("pk", "flags", "text_fingerprint", wanted="wanted.print")
        sql = (
            f"SELECT copy.* FROM unnest(%s::text[]) AS wanted(print) "
            f"CROSS JOIN LATERAL ({lookup}) AS copy"
        )
        wanted = prints
    else:
        # SQLite has no LATERAL; a subquery in an ON clause may read the row it is joined
        # to. CROSS JOIN keeps the fingerprints outside: SQLite never reorders it.
        lookup, params = _lookup("pk", wanted="wanted.value")
        copy = connection.ops.quote_name(Answer._meta.db_table)
        sql = (
            f"SELECT copy.id, copy.flags, copy.text_fingerprint FROM json_each(%s) AS wanted "
            f"CROSS JOIN {copy} AS copy ON copy.id IN ({lookup})"
        )
        wanted = json.dumps(prints)
    # PostgreSQL: in a transaction of its own if there is none, so that a setting local to
    # it holds (not SQLite's: its transactions take the write lock as they begin).
    postgresql = connection.vendor == "postgresql"
    in_one = transaction.atomic(savepoint=False) if postgresql else nullcontext()
    with in_one, connection.cursor() as cursor:
        if postgresql:
            # Thousands of index lookups, each its own LIMIT: PostgreSQL estimates each
            # finds 200 rows (it cannot know the array's values), so the statement's cost
            # passes jit_above_cost and it compiled the plan with LLVM first: 75 ms for a
            # statement that then ran in 13 (4,000 fingerprints), in every commit group of
            # an import. Off until the transaction ends: the import's other statements
            # (inserts, index lookups, its seal's counts) gain nothing from it either.
            cursor.execute("SELECT set_config('jit', 'off', true)")
        cursor.execute(sql, [wanted, *params])
        return cursor.fetchall()


def _lookup(*columns: str, wanted: str) -> tuple[str, list]:
    """The ORM's lookup of up to two active answers with one fingerprint, the `wanted`
    column of the statement around it standing for the fingerprint; and its other params."""
    sql, params = (
        Answer.objects.active()
        .order_by()
        .alias(print_start=_PRINT_START)
        .filter(print_start=_START_PLACEHOLDER, text_fingerprint=_PLACEHOLDER)
        .values_list(*columns)[:2]
        .query.sql_with_params()
    )
    stand_ins = {
        _PLACEHOLDER: wanted,
        _START_PLACEHOLDER: f"substr({wanted}, 1, {FINGERPRINT_PREFIX})",
    }
    pieces = sql.split("%s")
    lookup = "".join(
        piece + ("" if index == len(pieces) - 1 else stand_ins.get(params[index], "%s"))
        for index, piece in enumerate(pieces)
    )
    return lookup, [value for value in params if value not in stand_ins]


def starting_alike(answers: QuerySet, prints: Iterable[str]) -> QuerySet:
    """These answers whose fingerprints start as one of these does, found through the index
    of their first characters (the only index of fingerprints: editorial.models.content);
    the caller keeps those with the whole fingerprint. Filtering on it here too would let
    SQLite put the value in for the column (its constant propagation) and miss the index."""
    return answers.alias(print_start=_PRINT_START).filter(
        print_start__in={print_[:FINGERPRINT_PREFIX] for print_ in prints}
    )


_PRINT_START = FingerprintStart("text_fingerprint")
_PLACEHOLDER = "fingerprint placeholder"
_START_PLACEHOLDER = "fingerprint start placeholder"


def add_duplicate_flag(rows: Iterable[tuple[int, str]]) -> None:
    """Add the duplicate flag to these answers, given as (pk, flags as read).

    Only that flag can change when a copy of their text appears elsewhere, so their other
    flags are kept as stored instead of re-checking their text.
    """
    # One UPDATE per distinct value (a handful), not a CASE per row as bulk_update; each
    # applies only where the flags are still the ones read, so an edit's own refresh of
    # them meanwhile is not overwritten.
    updates: dict[tuple[str, str, int], list[int]] = defaultdict(list)
    for pk, stored in rows:
        if DUPLICATE.code in stored.split():
            continue
        flags = with_duplicate(FLAGS[code] for code in stored.split())
        updates[stored, " ".join(flag.code for flag in flags), level_of(flags)].append(pk)
    for (stored, codes, level), pks in updates.items():
        Answer.objects.filter(pk__in=pks, flags=stored).update(flags=codes, flag_level=level)
