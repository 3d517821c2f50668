"""Old records <-> new segments (the patches that carry editors' work across are `text.diff`).

Segments are matched by the hash of their Chinese with difflib over the two
sequences, so inserting a paragraph shifts nothing. Within a replaced run, old
and new segments are paired by position when their Chinese is still similar
(the paragraph was edited); otherwise the new one is new and the old one retires.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Sequence

SIMILAR = 0.3  # below this a "changed" paragraph is treated as a different one


@dataclass(frozen=True)
class Pairing:
    """For each new segment: the old record it continues (or None) and how."""

    matches: tuple[tuple[int | None, str], ...]  # (old index, "same" | "changed" | "new")
    retired: tuple[int, ...]  # old indexes with no successor


def pair(old_sources: Sequence[str], new_sources: Sequence[str]) -> Pairing:
    matcher = difflib.SequenceMatcher(None, list(old_sources), list(new_sources), autojunk=False)
    matches: list[tuple[int | None, str]] = [(None, "new")] * len(new_sources)
    retired: list[int] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                matches[j1 + k] = (i1 + k, "same")
            continue
        olds, news = list(range(i1, i2)), list(range(j1, j2))
        for i, j in zip(olds, news):
            if similarity(old_sources[i], new_sources[j]) >= SIMILAR:
                matches[j] = (i, "changed")
            else:
                retired.append(i)
        retired += olds[len(news):]
    return Pairing(tuple(matches), tuple(sorted(retired)))


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
