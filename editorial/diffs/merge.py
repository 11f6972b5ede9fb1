"""Three-way merge of an answer's content: base, theirs and yours → merged, or passages to choose.

The merge itself is diff-match-patch's (Google's Diff Match and Patch, Apache-2.0): the edits
that turn the base into one side are made into patches and applied to the other side, as its
differential synchronisation does. It was chosen over the alternatives this machine's mirror
offers because it is permissively licensed and well kept, and because it says which edits did
not apply instead of guessing: `merge3` is GPL-2.0-or-later (not acceptable here),
`three-merge` (MIT) is an unmaintained 2020 release that writes conflict markers into the
text at character level, and `reconcile-text` (MIT) resolves overlapping edits by itself,
which would overwrite without a choice.

Prose merges by the sentence: the texts are cut into sentences and the whitespace between
them, and each of those is one symbol for the library (as its line mode does with lines),
so edits to different sentences merge and a sentence both sides changed, differently, is a
passage for a person to choose. The patches must match the other side exactly (no fuzzy
matching: a near match would apply an edit to text its author never saw).

A merge is clean when both directions agree: your edits applied to their text give the same
text as their edits applied to yours. Then the merged text is exactly the library's. Otherwise
the two results are compared by sentence: what they share is agreed, and where they differ is
a passage, yours (your text with their edits that applied) against theirs (their text with
yours that applied). Sources are a list: kept from the side that changed them, and chosen
between when both did.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from diff_match_patch import diff_match_patch

from editorial.diffs.content import Snapshot, sources_text

YOURS, THEIRS = "yours", "theirs"
SIDES = (YOURS, THEIRS)

# A sentence runs to its stop (with closing quotes or brackets) before whitespace, to a line
# break, or to the end; the whitespace between sentences is a symbol of its own.
_SYMBOLS = re.compile(r"""\s+|[^\n]+?(?:[.!?…]+["'’”»)\]]*(?=\s|\Z)|(?=\n)|\Z)""")
# Symbols are code points from here on, skipping the surrogates; the library pads patches
# with the code points 1 to Patch_Margin, which must never stand for a sentence.
_FIRST_SYMBOL = 0x100
_SURROGATES = range(0xD800, 0xE000)


def merge_engine() -> diff_match_patch:
    """diff-match-patch set up to merge, never to guess."""
    engine = diff_match_patch()
    engine.Diff_Timeout = 0  # no time limit: the same texts always give the same merge
    # Its cleanup for efficiency counts characters: with sentences as symbols the default
    # (4) would join edits three sentences apart into one.
    engine.Diff_EditCost = 1
    # A patch applies only where its text is found exactly; it may have moved anywhere.
    engine.Match_Threshold = 0.01  # below one wrong symbol in the longest pattern (32)
    engine.Match_Distance = 1_000_000_000
    engine.Patch_DeleteThreshold = 0.0
    # One symbol of context (the whitespace beside a sentence): edits to neighbouring
    # sentences still merge.
    engine.Patch_Margin = 1
    return engine


@dataclass(frozen=True)
class Agreed:
    """Text both sides hold in the merge."""

    text: str


@dataclass(frozen=True)
class Passage:
    """Text the two sides hold differently, for a person to choose one."""

    yours: str
    theirs: str

    def side(self, choice: str) -> str:
        return self.yours if choice == YOURS else self.theirs


@dataclass(frozen=True)
class TextMerge:
    """A merged text: agreed text and, where the sides could not be merged, passages."""

    pieces: tuple[Agreed | Passage, ...]

    @property
    def passages(self) -> list[Passage]:
        return [piece for piece in self.pieces if isinstance(piece, Passage)]

    @property
    def clean(self) -> bool:
        """Merged without a passage to choose."""
        return not self.passages

    @property
    def text(self) -> str:
        """The merged text of a clean merge."""
        if not self.clean:
            raise ValueError("The merge has passages to choose; use resolve().")
        return "".join(piece.text for piece in self.pieces)

    def resolve(self, choices: Sequence[str]) -> str:
        """The text with each passage taken from the side chosen for it, in order."""
        if len(choices) != len(self.passages) or not set(choices) <= set(SIDES):
            raise ValueError("One choice, yours or theirs, is needed for each passage.")
        chosen = iter(choices)
        return "".join(
            piece.side(next(chosen)) if isinstance(piece, Passage) else piece.text
            for piece in self.pieces
        )


def merge_texts(base: str, theirs: str, yours: str) -> TextMerge:
    """Three-way merge of a text: your edits (base → yours) with theirs (base → theirs)."""
    symbols = _Symbols()
    base_s, theirs_s, yours_s = map(symbols.encode, (base, theirs, yours))
    engine = merge_engine()
    yours_on_theirs = _apply(engine, base_s, yours_s, onto=theirs_s)
    theirs_on_yours = _apply(engine, base_s, theirs_s, onto=yours_s)
    if yours_on_theirs == theirs_on_yours:
        merged = symbols.decode(yours_on_theirs)
        return TextMerge((Agreed(merged),) if merged else ())
    return TextMerge(tuple(_pieces(engine, symbols, yours_on_theirs, theirs_on_yours)))


@dataclass(frozen=True)
class ListMerge:
    """A list (an answer's sources) merged whole: from the side that changed it, or chosen."""

    base: tuple[Mapping[str, object], ...]
    theirs: tuple[Mapping[str, object], ...]
    yours: tuple[Mapping[str, object], ...]

    @property
    def theirs_changed(self) -> bool:
        return sources_text(self.theirs) != sources_text(self.base)

    @property
    def yours_changed(self) -> bool:
        return sources_text(self.yours) != sources_text(self.base)

    @property
    def needs_choice(self) -> bool:
        """Both sides changed the list, each differently."""
        return (
            self.theirs_changed
            and self.yours_changed
            and sources_text(self.theirs) != sources_text(self.yours)
        )

    def resolve(self, choice: str | None = None) -> tuple[Mapping[str, object], ...]:
        if self.needs_choice:
            if choice not in SIDES:
                raise ValueError("Both sides changed the list: choose yours or theirs.")
            return self.yours if choice == YOURS else self.theirs
        return self.yours if self.yours_changed else self.theirs


class MissingChoices(ValueError):
    """Some passages (or the sources) still need a choice: their names, in order."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__(f"Choose yours or theirs for: {', '.join(names)}.")


@dataclass(frozen=True)
class ContentMerge:
    """An answer's question, text and (optionally) sources merged three-way.

    Passages are named `question-1`, `text-2`… in order; the sources choice is `sources`.
    """

    base: Snapshot
    theirs: Snapshot
    yours: Snapshot
    question: TextMerge
    text: TextMerge
    sources: ListMerge | None = None
    names: tuple[str, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        names = [name for name, _passage in self.passages()]
        if self.sources is not None and self.sources.needs_choice:
            names.append("sources")
        object.__setattr__(self, "names", tuple(names))

    def passages(self) -> list[tuple[str, Passage]]:
        """Every passage to choose, with its name."""
        return [
            (f"{part}-{number}", passage)
            for part, merge in (("question", self.question), ("text", self.text))
            for number, passage in enumerate(merge.passages, 1)
        ]

    @property
    def clean(self) -> bool:
        """Nothing to choose: the merge only needs confirming."""
        return not self.names

    def resolve(self, choices: Mapping[str, str], *, default: str | None = None) -> Snapshot:
        """The merged content with the choices made; a choice missing takes `default`, or,
        without one, raises MissingChoices."""
        chosen = {name: choices.get(name, default) for name in self.names}
        missing = [name for name, side in chosen.items() if side not in SIDES]
        if missing:
            raise MissingChoices(missing)

        def text_of(part: str, merge: TextMerge) -> str:
            count = len(merge.passages)
            return merge.resolve([chosen[f"{part}-{number}"] for number in range(1, count + 1)])

        sources = self.sources.resolve(chosen.get("sources")) if self.sources else ()
        return replace(
            self.theirs,
            question=text_of("question", self.question),
            text=text_of("text", self.text),
            sources=tuple(sources) if self.sources else self.theirs.sources,
            label="merged",
            claims=(),
        )


def merge_content(
    base: Snapshot, theirs: Snapshot, yours: Snapshot, *, with_sources: bool = True
) -> ContentMerge:
    """Merge question and text three-way, and the sources as a whole list if asked."""
    return ContentMerge(
        base=base,
        theirs=theirs,
        yours=yours,
        question=merge_texts(base.question, theirs.question, yours.question),
        text=merge_texts(base.text, theirs.text, yours.text),
        sources=ListMerge(base.sources, theirs.sources, yours.sources) if with_sources else None,
    )


def sentences(text: str) -> list[str]:
    """The text cut as the merge cuts it: sentences and the whitespace between them."""
    return _SYMBOLS.findall(text)


class _Symbols:
    """Each distinct sentence or run of whitespace as one code point, shared by the texts."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}
        self.pieces: list[str] = []

    def encode(self, text: str) -> str:
        return "".join(map(self._code, sentences(text)))

    def decode(self, symbols: Iterable[str]) -> str:
        return "".join(self.pieces[self._index(symbol)] for symbol in symbols)

    def _code(self, piece: str) -> str:
        code = self.codes.get(piece)
        if code is None:
            number = _FIRST_SYMBOL + len(self.pieces)
            if number >= _SURROGATES.start:
                number += len(_SURROGATES)
            code = self.codes[piece] = chr(number)
            self.pieces.append(piece)
        return code

    @staticmethod
    def _index(symbol: str) -> int:
        number = ord(symbol)
        if number >= _SURROGATES.stop:
            number -= len(_SURROGATES)
        return number - _FIRST_SYMBOL


def _apply(engine: diff_match_patch, base: str, edited: str, *, onto: str) -> str:
    """The edits base → edited, as the library's patches, applied to `onto` where they fit."""
    merged, _applied = engine.patch_apply(engine.patch_make(base, edited), onto)
    return merged


def _pieces(
    engine: diff_match_patch, symbols: _Symbols, theirs_side: str, yours_side: str
) -> Iterable[Agreed | Passage]:
    """The two merge results compared by sentence: shared runs agreed, the rest passages.

    Whitespace alone between two differing runs does not end a passage.
    """
    runs: list[list] = []  # [op, theirs text, yours text]
    for op, data in engine.diff_main(theirs_side, yours_side, False):
        text = symbols.decode(data)
        kind = "agreed" if op == engine.DIFF_EQUAL else "passage"
        if kind == "agreed" and text.isspace() and runs and runs[-1][0] == "passage":
            runs[-1][1] += text
            runs[-1][2] += text
            continue
        if not runs or runs[-1][0] != kind:
            runs.append([kind, "", ""])
        run = runs[-1]
        if op != engine.DIFF_INSERT:
            run[1] += text
        if op != engine.DIFF_DELETE:
            run[2] += text
    # Whitespace taken into a passage that no passage followed goes back to the agreed text.
    merged: list[Agreed | Passage] = []
    for kind, theirs_text, yours_text in runs:
        if kind == "agreed":
            if merged and isinstance(merged[-1], Agreed):
                merged[-1] = Agreed(merged[-1].text + theirs_text)
            else:
                merged.append(Agreed(theirs_text))
            continue
        trail = _common_space_suffix(theirs_text, yours_text)
        passage = Passage(yours=yours_text[: len(yours_text) - len(trail)],
                          theirs=theirs_text[: len(theirs_text) - len(trail)])  # fmt: skip
        merged.append(passage)
        if trail:
            merged.append(Agreed(trail))
    return merged


def _common_space_suffix(a: str, b: str) -> str:
    """The whitespace both texts end with (taken into a passage, not part of its choice)."""
    size = 0
    while size < min(len(a), len(b)) and a[-1 - size] == b[-1 - size] and a[-1 - size].isspace():
        size += 1
    return a[len(a) - size :] if size else ""
