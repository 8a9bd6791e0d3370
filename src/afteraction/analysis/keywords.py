"""Fast keyword prefilters for scanning tens of thousands of chat lines.

Python's regex engine tries every branch of an alternation at every position; folding the
keywords into a trie-shaped pattern lets the first character rule most branches out, which makes
a prefilter several times cheaper than the regexes it spares.

A busy channel is cheaper still to read all at once: :class:`LineScan` joins its lines and runs a
few patterns over the whole text, so a line without a keyword costs no Python work at all. The
engine races through text only towards a pattern's first character when that is one literal
character (it checks a set of possible first characters several times slower), so the keywords
are grouped by a rare letter they hold, and each group's pattern starts at that letter, matches
what follows it in the keyword and looks behind for the rest.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, chain, product

__all__ = ["FoldedLines", "LineScan", "fold_lines", "keyword_pattern", "spellings"]


Trie = dict[str, "Trie"]


def _emit(node: Trie) -> str:
    end = "" in node
    branches = [re.escape(ch) + _emit(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if end else body


def keyword_pattern(words: Iterable[str]) -> re.Pattern[str]:
    """A case-sensitive pattern matching any of ``words`` as a substring; search lowercased
    text with it when the words are lowercase."""
    trie: Trie = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return re.compile(_emit(trie))


def spellings(*parts: Iterable[str]) -> list[str]:
    """Every concatenation of one choice from each part, in order: the finite set of words a
    pattern such as ``roll(?:ing|ed)?[ -]?back`` matches, written
    ``spellings(("roll", "rolling", "rolled"), ("", " ", "-"), ("back",))``."""
    return ["".join(choice) for choice in product(*parts)]


_LETTER_SHARE = {"e": 12.7, "t": 9.1, "a": 8.2, "o": 7.5, "i": 7.0, "n": 6.7, "s": 6.3,
                 "h": 6.1, "r": 6.0, "d": 4.3, "l": 4.0, "c": 2.8, "u": 2.8, "m": 2.4, "w": 2.4,
                 "f": 2.2, "g": 2.0, "y": 2.0, "p": 1.9, "b": 1.5, "v": 1.0, "k": 0.8, "j": 0.15,
                 "x": 0.15, "q": 0.1, "z": 0.07}
"""Per cent of the letters of English text. It only steers which patterns are built."""


def _cost(ch: str) -> float:
    """What a pattern starting at ``ch`` costs over chat, in passes of one that never stops:
    each occurrence of ``ch`` sets the engine going (chat being about four fifths letters and a
    sixth spaces)."""
    share = 0.15 if ch == " " else 0.01 if ch.isdigit() else \
        _LETTER_SHARE[ch] * 0.008 if ch in _LETTER_SHARE else 0.003
    return 1.0 + 120.0 * share


def _anchors(words: set[str]) -> dict[str, list[str]]:
    """The words grouped under a letter each holds. The letters are taken greedily, the one that
    covers most words for its cost first, so that few cheap patterns cover all words; then each
    word moves to the cheapest letter taken that it holds, which keeps the groups of common
    letters small. Neither a space nor the last letter before one anchors a word: in chat that
    letter is followed by a space so often that the engine would go on trying the word."""
    holds = {word: {ch for i, ch in enumerate(word) if word.index(ch) == i < len(word) - 1
                    and " " not in word[i:i + 2]} or {word[0]} for word in words}
    todo = set(words)
    taken: list[str] = []
    while todo:
        covers = Counter(chain.from_iterable(holds[word] for word in todo))
        best = min(covers, key=lambda ch: (_cost(ch) / covers[ch], ch))
        taken.append(best)
        todo = {word for word in todo if best not in holds[word]}
    groups: dict[str, list[str]] = {}
    for word in sorted(words):
        groups.setdefault(min(holds[word].intersection(taken), key=lambda ch: (_cost(ch), ch)),
                          []).append(word)
    return groups


@dataclass
class _Node:
    next: dict[str, _Node] = field(default_factory=dict)
    ends: set[str] = field(default_factory=set)
    """What comes before the anchor in the words that end here, to look behind for ("" when
    the anchor begins the word)."""


def _anchored(anchor: str, words: list[str]) -> re.Pattern[bytes]:
    """A pattern that matches where ``anchor`` begins one of ``words`` or stands in it: the rest
    of the word after its first ``anchor`` is matched, then what comes before looked behind
    for, a character at a time from the nearest, so that words ending alike are told apart
    in one look each."""
    root = _Node()
    for word in words:
        at = word.index(anchor)
        node = root
        for ch in word[at + 1:]:
            node = node.next.setdefault(ch, _Node())
        node.ends.add(word[:at])

    def behind(heads: list[str], matched: int) -> str:
        """Alternatives for the ``heads`` (the parts of words before what is ``matched``)."""
        if "" in heads:  # a word is whole here: nothing longer need be tried
            return ""
        if len(heads) == 1:
            return f"(?<={re.escape(heads[0])}{'.' * matched})"
        by_last: dict[str, list[str]] = {}
        for head in heads:
            by_last.setdefault(head[-1], []).append(head[:-1])
        branches = [f"(?<={re.escape(ch)}{'.' * matched})" + behind(rest, matched + 1)
                    for ch, rest in sorted(by_last.items())]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    def emit(node: _Node, matched: int) -> str:
        if "" in node.ends:
            return ""
        branches = [re.escape(ch) + emit(child, matched + 1)
                    for ch, child in sorted(node.next.items())]
        if node.ends:
            branches.append(behind(sorted(node.ends), matched))
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return re.compile((re.escape(anchor) + emit(root, 1)).encode("ascii"), re.DOTALL)


_JOIN = "\0"
"""Joins the lines: a character chat does not hold, so that lines are told apart by counting."""

_FOLD = bytes(range(65)) + bytes(range(97, 123)) + bytes(range(91, 128)) + b"\x80" * 128
"""Lowers the ASCII letters of Latin-1 text and makes every other character one 0x80 byte."""
_OTHER = re.compile(b"\x80\x80*")
"""Where a line is not ASCII, in text folded with ``_FOLD``. (It begins with a literal, which the
engine looks for fastest.)"""


class LineScan:
    """Which of many lines may hold one of some lowercase keywords, in lower case.

    Lowercasing is exactly the regex engine's case folding on ASCII text only, so every line
    that is not ASCII is reported, for the caller's exact test to decide; a keyword that is not
    ASCII can only be in such a line, so it is not looked for."""

    def __init__(self, words: Iterable[str]) -> None:
        # a line holding a word holds each of its pieces between NULs, the longest is looked for
        pieces = {max(word.split(_JOIN), key=len) for word in words}
        self._every_line = "" in pieces
        ascii_pieces = {piece for piece in pieces if piece.isascii()}
        self._patterns = [] if self._every_line else [
            _anchored(anchor, group) for anchor, group in sorted(_anchors(ascii_pieces).items())]

    def lines(self, lines: Sequence[str] | FoldedLines) -> list[int]:
        """The indexes of the lines that may hold a keyword, ascending. Passes over the same
        lines can share one :func:`fold_lines` of them."""
        if self._every_line:
            return list(range(len(lines.lines if isinstance(lines, FoldedLines) else lines)))
        folded = lines if isinstance(lines, FoldedLines) else fold_lines(lines)
        patterns = [_OTHER, *self._patterns] if folded.marked else self._patterns
        starts = sorted(match.start() for pattern in patterns
                        for match in pattern.finditer(folded.data))
        return sorted({*folded.others, *folded.line_numbers(starts)})


@dataclass(frozen=True, eq=False)
class FoldedLines:
    lines: list[str]
    data: bytes
    """The lines joined, a byte for each character (so that every offset stays where it was),
    the ASCII letters lowered."""
    marked: bool
    """Whether every other character is a 0x80 byte, which ``_OTHER`` finds."""
    others: tuple[int, ...]
    """The lines not ASCII, when they are not marked."""
    counted: bool
    """Whether the joins alone are NULs, so that a line is told by counting them."""

    def line_numbers(self, starts: list[int]) -> list[int]:
        """The line each of ``starts`` (ascending offsets in ``data``) falls in."""
        if self.counted:
            numbers = []
            line = at = 0
            for start in starts:  # count the joins on the way
                line += self.data.count(b"\0", at, start)
                at = start
                numbers.append(line)
            return numbers
        ends = list(accumulate(len(text) + 1 for text in self.lines))  # past each line's join
        return [bisect_right(ends, start) for start in starts]


def fold_lines(lines: Sequence[str]) -> FoldedLines:
    """The lines joined and lowered, once for every scan of them: a pass over every character."""
    text = _JOIN.join(lines)
    counted = text.count(_JOIN) == len(lines) - 1
    try:
        return FoldedLines(list(lines), text.encode("latin-1").translate(_FOLD),
                           not text.isascii(), (), counted)
    except UnicodeEncodeError:  # rarer: it takes a look at each line
        return FoldedLines(list(lines), text.encode("ascii", "replace").lower(), False,
                           tuple(i for i, line in enumerate(lines) if not line.isascii()),
                           counted)
