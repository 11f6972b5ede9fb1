"""Related answers: the other answers that speak of the same things, for side-by-side reading.

A reviewer approving Massachusetts Q1 ("the DMV does not share data with ICE") should see
Q2 ("it shares data with ICE daily") before approving: contradictions live between answers
of one document, or between one question asked of several documents.

The candidates come from the database in two bounded queries: the answer's own document,
and the same question in other documents, found by the full-text index of migration 0008
(SQLite FTS5, PostgreSQL GIN) as questions holding this one's distinctive words (those
most questions of its document share left out: see distinctive_words).
The ranking is a small index built over those few dozen candidates in Python: how many
question words two answers share (what each is about), plus the tf-idf similarity of their
texts (rarer shared words weigh more). Bag-of-words similarity of the texts alone ranked Q2
sixteenth or lower of nineteen for Q1 (every answer there repeats "DMV", "ICE", "data", "share");
their questions are the closest pair of the document.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import connections, models

from editorial.models import Answer

# How many answers of one document are compared; documents are a few dozen questions.
MAX_SAME_DOCUMENT = 200
# How many answers to the same question in other documents are compared.
MAX_ELSEWHERE = 12
# At most this many of the answers listed come from other documents.
ELSEWHERE_SHOWN = 2
# How many of a question's words must all be in another document's question.
MAX_QUESTION_WORDS = 4
# The text similarity's weight beside the question words' overlap (0 to 1 each).
TEXT_WEIGHT = 0.5
# Words either side of the excerpt's centre, and shared words named per answer.
EXCERPT_WORDS = 25
SHARED_SHOWN = 8

_WORD_RE = re.compile(r"[^\W_]+")
STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers him his how i if in into is it its
    itself just may me might more most must my no nor not now of off on once only or other
    our ours out over own same she should so some such than that the their theirs them then
    there these they this those through to too under until up very was we were what when
    where which while who whom why will with would you your yes""".split()
)
_SUFFIXES = ("ing", "es", "ed", "ly", "s")


def stem(word: str) -> str:
    """A crude English stem that is a prefix of the word: share, shares, sharing → shar.

    Enough to see that two answers use one word in different forms; a prefix, so the
    excerpt marks every form.
    """
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


@lru_cache(maxsize=65536)
def _term(word: str) -> str | None:
    """A word's stem, or None for a word that says nothing (cached: texts repeat words)."""
    lowered = word.lower()
    if len(word) < 3 or lowered in STOP_WORDS or word.isdigit():
        return None
    return stem(lowered)


def terms(text: str, *, ignore: frozenset[str] = frozenset()) -> list[str]:
    """The stems of the words that say something: no stop words, numbers or short words."""
    found = []
    for word in _WORD_RE.findall(text):
        term = _term(word)
        if term is not None and term not in ignore:
            found.append(term)
    return found


@dataclass(frozen=True)
class ExcerptPart:
    """A piece of an excerpt: a word the two answers share (marked), or the text between."""

    text: str
    marked: bool = False


@dataclass
class Related:
    """One related answer as the panel shows it."""

    answer: Answer
    score: float
    same_document: bool
    shared: list[str] = field(default_factory=list)
    excerpt: list[ExcerptPart] = field(default_factory=list)


def _subject_terms(*subjects: str) -> frozenset[str]:
    # A state's name says which document, not what the answer is about.
    return frozenset(term for subject in subjects for term in terms(subject))


def distinctive_words(question: str, siblings: list[str], *, ignore: frozenset[str]) -> list[str]:
    """The question's words that set it apart from the other questions of its document.

    Words most of the document's questions share ("DMV", "ICE", "data") say which document,
    not which question; left out, the rest find the same question elsewhere, and the index
    reads short lists of postings instead of lists as long as the corpus. The words as
    written (not stems): an exact term is one list, a prefix is many. Rarest in the
    document first, at most MAX_QUESTION_WORDS.
    """
    counts: Counter = Counter()
    for sibling in siblings:
        counts.update(set(terms(sibling, ignore=ignore)))
    common = len(siblings) / 2 if len(siblings) >= 3 else float("inf")
    chosen: dict[str, str] = {}
    for word in _WORD_RE.findall(question):
        term = _term(word)
        if term is None or term in ignore or counts[term] >= common:
            continue
        chosen.setdefault(term, word.lower())
    ranked = sorted(chosen, key=lambda term: (counts[term], -len(term), term))
    return sorted(chosen[term] for term in ranked[:MAX_QUESTION_WORDS])


def _elsewhere(answer: Answer, base, words: list[str]) -> list[Answer]:
    """Up to MAX_ELSEWHERE answers of other documents to the same question, in one query:
    on PostgreSQL the very same question first (its hash index stops at the few wanted;
    the full-text index would first gather every copy, 25,000 at a million answers), then,
    only if those are too few (UNION ALL under a LIMIT stops reading once it has enough),
    questions holding the distinctive words. Any of the matches, in no order: sorting them
    all first read every match (5,000 copies at 200,000 answers: 70 ms on PostgreSQL)."""
    active = Answer.objects.active()
    if connections[active.db].vendor != "postgresql":
        matches = _same_question_elsewhere(answer, active, words).order_by().values("pk")
    else:
        same = active.exclude(document_id=answer.document_id).filter(question=answer.question)
        similar = _same_question_elsewhere(answer, active.exclude(question=answer.question), words)
        matches = (
            same.order_by().values("pk")[:MAX_ELSEWHERE]
            .union(similar.order_by().values("pk")[:MAX_ELSEWHERE], all=True)
        )  # fmt: skip
    return list(base.filter(pk__in=matches[:MAX_ELSEWHERE]).order_by("pk"))


def _same_question_elsewhere(answer: Answer, base, words: list[str]):
    """Other documents' answers whose question holds every one of these words."""
    if not words:
        return base.none()
    others = base.exclude(document_id=answer.document_id)
    vendor = connections[others.db].vendor
    if vendor == "sqlite":
        # Words quoted (no FTS5 syntax from the text), in the question column only.
        match = "question : (" + " AND ".join(f'"{word}"' for word in words) + ")"
        return others.filter(
            pk__in=models.expressions.RawSQL(
                "SELECT rowid FROM editorial_answer_search WHERE editorial_answer_search MATCH %s",
                [match],
            )
        )
    if vendor == "postgresql":
        # The index covers question and text together; the question is checked on the rows
        # it finds.
        query = others.full_text_match(" & ".join(words))
        for word in words:
            query = query.filter(question__iregex=rf"\m{re.escape(word)}\M")
        return query
    query = others
    for word in words:
        query = query.filter(question__icontains=word)
    return query


def _weights(counts: list[Counter]) -> list[dict[str, float]]:
    """tf-idf vectors of unit length over this small collection."""
    document_frequency: Counter = Counter()
    for count in counts:
        document_frequency.update(count.keys())
    size = len(counts) + 1
    vectors = []
    for count in counts:
        vector = {
            term: (1 + math.log(n)) * math.log(size / document_frequency[term])
            for term, n in count.items()
        }
        norm = math.sqrt(sum(value * value for value in vector.values())) or 1.0
        vectors.append({term: value / norm for term, value in vector.items()})
    return vectors


def excerpt(text: str, marked: set[str], *, width: int = EXCERPT_WORDS) -> list[ExcerptPart]:
    """The stretch of text holding the most marked words, in parts: those words marked, the
    text between them plain (its whitespace folded), "…" where the text goes on."""
    pieces = re.split(r"([^\W_]+)", text)
    # pieces alternate: separator, word, separator, word, …, separator
    words = pieces[1::2]
    hits = [_term(word) in marked for word in words]
    best, best_hits = 0, -1
    window = min(2 * width, len(words))
    running = sum(hits[:window])
    for start in range(0, max(1, len(words) - window + 1)):
        if start:
            running += hits[start + window - 1] - hits[start - 1]
        if running > best_hits:
            best, best_hits = start, running
    parts: list[ExcerptPart] = []

    def add(piece: str, is_marked: bool = False) -> None:
        if parts and not is_marked and not parts[-1].marked:
            parts[-1] = ExcerptPart(parts[-1].text + piece)
        elif piece:
            parts.append(ExcerptPart(piece, is_marked))

    if best:
        add("…")
    for index in range(best, best + window):
        # The separator before each word, the text's own opening one included.
        if index > best or best == 0:
            add(re.sub(r"\s+", " ", pieces[2 * index]))
        add(words[index], hits[index])
    if best + window < len(words):
        add("…")
    else:
        add(re.sub(r"\s+", " ", pieces[-1]).rstrip())
    return parts


def related_answers(answer: Answer, *, user=None, limit: int = 5) -> list[Related]:
    """The answers most like this one in its document and for its question elsewhere.

    Two queries whatever the corpus size; archived answers are left out (they leave no
    system and contradict nothing). With a user, only what that user may view.
    """
    if user is not None and not user.has_perm("editorial.view_answer"):
        return []
    base = (
        Answer.objects.active()
        .exclude(pk=answer.pk)
        .select_related("document")
        .only(
            "id",
            "position",
            "question",
            "text",
            "status",
            "version",
            "document__id",
            "document__name",
            "document__title",
            "document__subject",
        )
    )
    subject = answer.document.subject
    ignore = _subject_terms(subject)
    question_terms = terms(answer.question, ignore=ignore)
    candidates = list(
        base.filter(document_id=answer.document_id).order_by("position")[:MAX_SAME_DOCUMENT]
    )
    words = distinctive_words(
        answer.question, [candidate.question for candidate in candidates], ignore=ignore
    )
    candidates += _elsewhere(answer, base, words)
    if not candidates:
        return []

    own_question = set(question_terms)
    questions = []
    texts = [Counter(terms(answer.question + " " + answer.text, ignore=ignore))]
    for candidate in candidates:
        skip = ignore | _subject_terms(candidate.document.subject)
        questions.append(set(terms(candidate.question, ignore=skip)))
        texts.append(Counter(terms(candidate.question + " " + candidate.text, ignore=skip)))
    vectors = _weights(texts)
    mine = vectors[0]
    ranked = []
    for candidate, question, vector in zip(candidates, questions, vectors[1:], strict=True):
        union = own_question | question
        overlap = len(own_question & question) / len(union) if union else 0.0
        shared = mine.keys() & vector.keys()
        similarity = sum(mine[term] * vector[term] for term in shared)
        score = overlap + TEXT_WEIGHT * similarity
        if score > 0:
            ranked.append((score, candidate, shared))
    # Highest score first; ties in document and question order, so the page is stable.
    ranked.sort(key=lambda row: (-row[0], row[1].document_id != answer.document_id, row[1].pk))
    # Copies of one question in many documents would fill the list and hide the answers of
    # this document beside it: a few of them are enough to compare.
    elsewhere_left = ELSEWHERE_SHOWN
    chosen = []
    for row in ranked:
        if row[1].document_id != answer.document_id:
            if not elsewhere_left:
                continue
            elsewhere_left -= 1
        chosen.append(row)
        if len(chosen) == limit:
            break
    related = []
    for score, candidate, shared in chosen:
        # Rarer shared words first: those say most about what the two have in common.
        named = sorted(shared, key=lambda term: (-mine[term], term))[:SHARED_SHOWN]
        related.append(
            Related(
                answer=candidate,
                score=round(score, 4),
                same_document=candidate.document_id == answer.document_id,
                shared=_surface_forms(candidate.question + " " + candidate.text, named),
                excerpt=excerpt(candidate.text, set(named)),
            )
        )
    return related


def _surface_forms(text: str, stems: list[str]) -> list[str]:
    """Each stem as the word it first appears as in the text ("sharing" for shar)."""
    first: dict[str, str] = {}
    for word in _WORD_RE.findall(text):
        first.setdefault(_term(word), word.lower())
    return [first.get(term, term) for term in stems]


def strongest_shared(related: list[Related], limit: int = 4) -> list[str]:
    """The words the related answers share most with this one, for the panel's one line:
    each answer's rarest shared words first, the most alike answers first."""
    words: list[str] = []
    for rank in range(SHARED_SHOWN):
        for item in related:
            if rank < len(item.shared) and item.shared[rank] not in words:
                words.append(item.shared[rank])
                if len(words) == limit:
                    return words
    return words
