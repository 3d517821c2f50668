"""What says an English paragraph belongs to a record: shared runs of words, and lengths.

- `coverage`: the share of a paragraph's words found, in order and in runs of two words or
  more, in a reference text (common words scattered about are no evidence).
- `CoverIndex`: which records can cover a paragraph at all, from the word pairs they share,
  so looking for a moved paragraph costs the records that share its words, not all of them
  (a 27,000-segment file with one changed word).
- `length_reading`: for English that resembles none of its records (a translation typed
  over a copy draft), the readings of a stretch that lengths allow: one paragraph per
  record, or a record deleted next to one split in two (and the like). When another
  reading is about as likely as one paragraph per record, pairing by position would be
  a guess.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import defaultdict
from typing import Callable, Sequence

from workflow.text.chars import HAN, HAN_RANGES

_TOKEN = re.compile(f"[{HAN_RANGES}]|[^\\W{HAN_RANGES}]+|[^\\w\\s]")  # a Han character, a word, a mark

EN_PER_HAN = 3.0  # English characters per Chinese character, roughly (Latin text keeps its length)
STEP = 0.6  # the cost of a deletion, split, merge or addition in the length reading
CLEAR = 0.3  # one paragraph per record must beat every other reading by this much
BAND = 4  # readings that stray further than this from one-per-record are not considered


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def coverage(reference: str, text: str) -> float:
    """Share of `text`'s words found, in order and in runs of two or more, in `reference`."""
    words = tokens(text)
    if not words:
        return 0.0
    ref = tokens(reference)
    blocks = difflib.SequenceMatcher(None, ref, words, autojunk=False).get_matching_blocks()
    matched = sum(b.size for b in blocks if b.size >= 2 or (b.size == 1 and len(words) == 1))
    return matched / len(words)


class CoverIndex:
    """Word pairs (and single words) -> the records whose final or machine text holds them."""

    def __init__(self, texts: Sequence[tuple[str, str]]) -> None:
        self.pairs: dict[tuple[str, str], set[int]] = defaultdict(set)
        self.singles: dict[str, set[int]] = defaultdict(set)
        for index, pair in enumerate(texts):
            for text in pair:
                words = tokens(text)
                for a, b in zip(words, words[1:]):
                    self.pairs[(a, b)].add(index)
                for word in words:
                    self.singles[word].add(index)

    def candidates(self, text: str, least: float) -> set[int]:
        """Every record whose coverage of `text` can reach `least` (a superset, never fewer)."""
        words = tokens(text)
        if len(words) < 2:
            return set().union(*(self.singles.get(w, set()) for w in words)) if words else set()
        shared: dict[int, int] = defaultdict(int)
        for pair in set(zip(words, words[1:])):
            for index in self.pairs.get(pair, ()):
                shared[index] += sum(1 for p in zip(words, words[1:]) if p == pair)
        # a run of k >= 2 matched words holds k - 1 pairs, so matched words <= 2 x shared pairs
        return {i for i, n in shared.items() if 2 * n >= least * len(words)}


_NAME = re.compile(r"[A-Za-z]*[A-Z0-9][A-Za-z0-9.+-]*")  # OpenStack, StarlingX, 3000, 2018, K8s: kept by a translation


def names(text: str) -> set[str]:
    """Names and numbers: what a translation of `text` keeps as written."""
    return {m.group(0).lower().rstrip(".") for m in _NAME.finditer(text) if len(m.group(0)) > 1 or m.group(0).isdigit()}


def expected_length(chinese: str) -> float:
    han = len(HAN.findall(chinese))
    return max(1.0, EN_PER_HAN * han + (len(chinese) - han))


def english_scale(pairs: Sequence[tuple[str, str]]) -> float:
    """This document's English length over the expected one, from (Chinese, English written by
    a person) pairs; 1 without any. The median, so one odd paragraph does not move it."""
    ratios = sorted(len(en) / expected_length(zh) for zh, en in pairs if en.strip() and not HAN.search(en))
    return min(3.0, max(0.33, ratios[len(ratios) // 2])) if ratios else 1.0


def length_reading(expected: Sequence[float], english: Sequence[str], scale: float = -1.0,
                   kinds: tuple[Sequence[str], Sequence[str]] | None = None) -> bool:
    """Do lengths clearly say one English paragraph per expected one (`expected_length`), in order?

    Gale and Church's idea, simplified: each step of a reading costs the log of the ratio of
    English to expected length; deleting, adding, splitting or merging costs `STEP` more.
    One-per-record must be the cheapest reading by `CLEAR`. `scale` is the document's own
    ratio (`english_scale`), never the stretch's: a stretch read wrongly would set it.
    `kinds` (expected, English): a reading pairs paragraphs of the same kind only. With
    `scale` unknown (<= 0), only when no other reading is possible at all (cells, headings).
    """
    assert len(expected) == len(english)
    want_kinds, have_kinds = kinds if kinds is not None else (["p"] * len(expected), ["p"] * len(english))
    want = [w * abs(scale) for w in expected]
    have = [float(max(1, len(e))) for e in english]

    def cost(w: float, h: float) -> float:
        return abs(math.log(h / w))

    other = _best_other(want, have, cost, (want_kinds, have_kinds))
    if scale <= 0:
        return other == math.inf
    return sum(cost(w, h) for w, h in zip(want, have)) + CLEAR <= other


def _best_other(want: Sequence[float], have: Sequence[float], cost: Callable[[float, float], float],
                kinds: tuple[Sequence[str], Sequence[str]]) -> float:
    """The cheapest reading that is not one paragraph per record (dynamic programming)."""
    n, m = len(want), len(have)
    wk, hk = kinds
    one_line = [k.startswith(("heading", "code-")) or k == "table-cell" for k in hk]  # cannot be split, merged or added
    inf = math.inf
    # best[i][j][f]: records[:i] and English[:j] read, f = some step other than 1:1 taken
    best = [[[inf, inf] for _ in range(m + 1)] for _ in range(n + 1)]
    best[0][0][0] = 0.0
    for i in range(n + 1):
        for j in range(max(0, i - BAND), min(m, i + BAND) + 1):
            for f in (0, 1):
                here = best[i][j][f]
                if here == inf:
                    continue
                moves = []
                if i < n and j < m and wk[i] == hk[j]:
                    moves.append((i + 1, j + 1, f, cost(want[i], have[j])))
                if i < n:
                    moves.append((i + 1, j, 1, STEP))  # deleted
                if j < m and not one_line[j]:
                    moves.append((i, j + 1, 1, STEP))  # added
                if i < n and j + 1 < m and wk[i] == hk[j] == hk[j + 1] and not one_line[j]:
                    moves.append((i + 1, j + 2, 1, STEP + cost(want[i], have[j] + have[j + 1])))  # split
                if i + 1 < n and j < m and wk[i] == wk[i + 1] == hk[j] and not one_line[j]:
                    moves.append((i + 2, j + 1, 1, STEP + cost(want[i] + want[i + 1], have[j])))  # merged
                for a, b, g, c in moves:
                    if here + c < best[a][b][g]:
                        best[a][b][g] = here + c
    return best[n][m][1]
