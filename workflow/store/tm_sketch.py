"""The fuzzy pre-filter of the translation memory: bottom-k bigram sketches and their postings.

Each text is indexed under its `SKETCH` distinct character bigrams of smallest hash (a
bottom-k sketch of its bigram set: two texts' sketches overlap about as much as their
bigram sets do). A query's sketch bigrams vote for the texts indexed under them (a bigram
in more than `COMMON` texts prefilters nothing and is skipped), and the `CANDIDATES` texts
with most votes (ties: the earlier text) are the ones scored.

The hash is a fixed function of the two code points (the splitmix64 finaliser of
`first << 21 | second`), never Python's salted `hash`: the same memory offers the same
suggestions in every process and on every machine. It is computed two ways that agree
(a test holds it): `sketch` for one text (a query), `sketches` vectorised with numpy for
the many texts of a memory (the cold build: 100,000 texts in well under a second).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

SKETCH = 16  # bigrams per text in the inverted index (those of smallest hash)
COMMON = 1000  # a sketch bigram in more texts than this prefilters nothing: skipped
CANDIDATES = 40  # texts scored per fuzzy lookup, at most
ALONE = 0x1FFFFF  # the "second code point" of a one-character text (above any code point)
_M64 = 0xFFFFFFFFFFFFFFFF
Matrix = npt.NDArray[np.uint32]


def _mix(code: int) -> int:
    """splitmix64's finaliser, top 32 bits: a well-spread, fixed hash of a 42-bit bigram code."""
    z = (code + 0x9E3779B97F4A7C15) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return (z ^ (z >> 31)) >> 32


def _mix_array(code: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    z = code + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return (z ^ (z >> np.uint64(31))) >> np.uint64(32)


def sketch(text: str) -> list[int]:
    """The hashes of the text's SKETCH distinct bigrams of smallest hash (a one-character text: itself)."""
    if len(text) < 2:
        return [_mix(ord(text) << 21 | ALONE)] if text else []
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32).astype(np.uint64)
    hashes = np.sort(_mix_array(points[:-1] << np.uint64(21) | points[1:]))
    return _distinct(hashes)[:SKETCH].tolist()  # type: ignore[no-any-return]


def sketches(texts: Sequence[str]) -> tuple[Matrix, npt.NDArray[np.uint8]]:
    """`sketch` of every text at once: a (len, SKETCH) matrix of hashes and each row's count."""
    n = len(texts)
    matrix = np.zeros((n, SKETCH), np.uint32)
    lengths = np.fromiter(map(len, texts), np.int64, n)
    if not lengths.any():
        return matrix, np.zeros(n, np.uint8)
    points = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32).astype(np.uint64)
    ends = np.cumsum(lengths)[lengths > 0] - 1  # each non-empty text's last position
    following = np.empty_like(points)
    following[:-1] = points[1:]
    following[ends] = ALONE
    keep = np.ones(len(points), bool)
    keep[ends] = lengths[lengths > 0] == 1  # a text's last character starts no bigram, unless it is alone
    owner = np.repeat(np.arange(n, dtype=np.uint64), lengths)[keep]
    hashes = _mix_array(points[keep] << np.uint64(21) | following[keep])
    keys = _distinct(np.sort(owner << np.uint64(32) | hashes, kind="stable"))  # by text, then hash
    owners = (keys >> np.uint64(32)).astype(np.int64)
    rank = np.arange(len(keys)) - np.searchsorted(owners, np.arange(n))[owners]
    chosen = rank < SKETCH
    matrix[owners[chosen], rank[chosen]] = keys[chosen].astype(np.uint32)
    return matrix, np.bincount(owners[chosen], minlength=n).astype(np.uint8)


class Postings:
    """For each sketch bigram, the texts (their numbers, ascending) indexed under it."""

    def __init__(self, matrix: Matrix, counts: npt.NDArray[np.uint8], lengths: npt.NDArray[np.int64]) -> None:
        self._lengths = lengths  # of the texts, in code points
        grams = matrix[np.arange(SKETCH) < counts[:, None]].astype(np.uint64)  # row by row
        owners = np.repeat(np.arange(len(counts), dtype=np.uint64), counts)
        keys = grams << np.uint64(32) | owners
        keys.sort()  # by bigram, then text: one sort of integers, cheaper than an argsort
        grams, self._texts = (keys >> np.uint64(32)).astype(np.uint32), (keys & np.uint64(0xFFFFFFFF)).astype(np.int32)
        starts = _starts(grams)
        self._grams = grams[starts]
        self._bounds = np.append(starts, len(grams))

    def candidates(self, query: list[int], length: int, threshold: int) -> list[int]:
        """The texts sharing most sketch bigrams with the query's sketch, at most CANDIDATES, leaving out
        those whose length alone keeps them under `threshold` (an Indel similarity is at most
        2 min(a, b) / (a + b), in percent)."""
        if not query or not len(self._grams):
            return []
        where = np.searchsorted(self._grams, query)
        where[where >= len(self._grams)] = 0
        found = where[self._grams[where] == query]
        lengths = self._bounds[found + 1] - self._bounds[found]
        found = found[lengths <= COMMON]
        if not len(found):
            return []
        texts = np.concatenate([self._texts[self._bounds[i]:self._bounds[i + 1]] for i in found.tolist()])
        texts.sort(kind="stable")
        starts = _starts(texts)
        numbers, votes = texts[starts], np.diff(np.append(starts, len(texts)))
        other = self._lengths[numbers]
        possible = 200 * np.minimum(other, length) >= threshold * (other + length)
        numbers, votes = numbers[possible], votes[possible]
        if len(numbers) > CANDIDATES:
            numbers = numbers[np.lexsort((numbers, -votes))[:CANDIDATES]]
        return [int(n) for n in numbers.tolist()]


def _starts(ordered: npt.NDArray[np.generic]) -> npt.NDArray[np.intp]:
    """Where each run of equal values of a sorted array begins (np.unique's job, a sort cheaper)."""
    if not len(ordered):
        return np.zeros(0, np.intp)
    return np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))


def _distinct(ordered: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    return ordered[_starts(ordered)]
