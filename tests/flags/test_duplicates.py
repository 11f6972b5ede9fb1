"""The duplicate flag: kept on every copy of a text, and the copies an import reads."""

import pytest
from django.db import connection, transaction

from editorial import flags, workflow
from editorial.models import FINGERPRINT_PREFIX, Answer

pytestmark = pytest.mark.django_db


def test_duplicate_flag_follows_both_copies(seeds, editor):
    first, second = Answer.objects.filter(document__subject="Mississippi").order_by("position")[:2]
    workflow.edit(second, user=editor, text=first.text)
    first.refresh_from_db()
    second.refresh_from_db()
    assert "duplicate" in first.flag_codes and "duplicate" in second.flag_codes
    workflow.edit(second, user=editor, text="A different, finished answer.")
    first.refresh_from_db()
    assert "duplicate" not in first.flag_codes


def test_first_copies_reads_at_most_two_active_copies_of_each_text(seeds, editor):
    answers = list(Answer.objects.filter(document__subject="Mississippi").order_by("position"))
    text = answers[0].text
    for answer in answers[1:4]:
        workflow.edit(answer, user=editor, text=text)
    print_ = flags.fingerprint(text)
    single = answers[5]

    rows = flags.first_copies([print_, single.text_fingerprint, flags.fingerprint("nowhere")])

    ours = [row for row in rows if row[2] == print_]
    assert len(ours) == 2 and {pk for pk, *_ in ours} <= {a.pk for a in answers[:4]}
    assert all("duplicate" in flags for _, flags, _ in ours)
    assert [(pk, print_) for pk, _, print_ in rows if pk == single.pk] == [
        (single.pk, single.text_fingerprint)
    ]
    assert len(rows) == 3
    # Archived copies do not count.
    Answer.objects.filter(pk__in=[a.pk for a in answers[:3]]).update(status="archived")
    assert [pk for pk, _, _ in flags.first_copies([print_])] == [answers[3].pk]


@pytest.mark.parametrize(
    "text",
    [
        "As of my last update, the FBI   handles this",
        "ÉTAT: Straße ends",  # not ASCII: case folded, not lowercased
        "A plain, finished answer.",
        "   ",
        "x" * 9_000 + " see § 12",  # longer than the texts kept: checked each time
    ],
)
def test_a_new_answers_checks_are_its_fingerprint_and_flags_asked_again_or_not(text):
    expected = (
        flags.fingerprint(text),
        tuple(flags.evaluate(text=text, source_count=0, is_duplicate=False)),
    )
    assert flags.new_answer_checks(text) == expected
    # Asked again for an equal text (another object): the same answer.
    assert flags.new_answer_checks("".join(list(text))) == expected


def test_copies_are_found_apart_from_answers_whose_fingerprints_only_start_alike(seeds, editor):
    """The index holds a fingerprint's first characters: an answer whose fingerprint starts
    as a text's does, and is another text, is no copy of it."""
    first, second, third = Answer.objects.order_by("pk")[:3]
    workflow.edit(second, user=editor, text=first.text)
    print_ = flags.fingerprint(first.text)
    lookalike = print_[:FINGERPRINT_PREFIX] + "0" * (40 - FINGERPRINT_PREFIX)
    assert lookalike != print_
    Answer.objects.filter(pk=third.pk).update(text_fingerprint=lookalike)

    assert {row[0] for row in flags.first_copies([print_])} == {first.pk, second.pk}
    assert [row[0] for row in flags.first_copies([lookalike])] == [third.pk]
    flags.refresh_flags([third.pk])
    third.refresh_from_db()
    assert "duplicate" not in third.flag_codes


def test_lookups_by_fingerprint_use_the_index_of_their_first_characters(seeds):
    """Both lookups the copies need, planned by the database: neither may read the whole
    table (SQLite's constant propagation, for one, can take an expression off its index).
    The index leaves archived answers out: a lookup not limited to answers in use cannot
    take it."""
    statements = []

    def keep(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    prints = list(Answer.objects.values_list("text_fingerprint", flat=True)[:3])
    with connection.execute_wrapper(keep):
        flags.first_copies(prints)
        flags.refresh_flags(Answer.objects.values_list("pk", flat=True)[:1])
    lookups = [
        (sql, params)
        for sql, params in statements
        if sql.lstrip().startswith("SELECT") and "SUBSTR" in sql
    ]
    assert len(lookups) == 2
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # a few dozen rows: it would rather read them all
            cursor.execute("SET LOCAL enable_seqscan = off")
        for sql, params in lookups:
            cursor.execute(explain + sql, params)
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "answer_fingerprint_active" in plan, plan
            # No answer read but through the index or by its id.
            assert "SCAN copy" not in plan and "SCAN editorial_answer" not in plan, plan
            assert "Seq Scan on editorial_answer" not in plan, plan


def test_the_fingerprint_index_leaves_archived_answers_out(db):
    """Archived answers are no copies, and a text archived 100,000 times was read through
    at each lookup of it (37 ms each, migration 0028): the index holds answers in use only."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
                ["answer_fingerprint_active"],
            )
        else:
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE name = %s", ["answer_fingerprint_active"]
            )
        (definition,) = cursor.fetchone()
    # SQLite keeps the condition as written, PostgreSQL as "status <> 'archived'".
    condition = definition.upper().partition(" WHERE ")[2]
    assert "SUBSTR" in definition.upper() and "'ARCHIVED'" in condition, definition
    assert "NOT" in condition or "<>" in condition, definition


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's JIT")
# Real transactions, so a setting local to one ends with it (the seed data kept, as by the
# other tests in real transactions).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_copies_lookup_is_not_compiled_by_the_jit():
    """Each fingerprint is estimated at 200 rows, so a lookup of thousands passed
    jit_above_cost and was compiled with LLVM first (75 ms, then 13 to run): JIT is off
    until the transaction the lookup runs in ends, and nowhere else."""
    prints = [f"{number:040x}" for number in range(50)]
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        (before,) = cursor.fetchone()
        if before != "on":
            pytest.skip("this server has JIT off")
        with transaction.atomic():
            flags.first_copies(prints)
            cursor.execute("SHOW jit")
            assert cursor.fetchone() == ("off",)
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("on",)
        flags.first_copies(prints)  # outside a transaction: in one of its own
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("on",)
