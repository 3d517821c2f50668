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
PostingsData = tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.int64]]


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
        ordered: Matrix = (keys >> np.uint64(32)).astype(np.uint32)
        self._texts: npt.NDArray[np.int32] = (keys & np.uint64(0xFFFFFFFF)).astype(np.int32)
        starts = _starts(ordered)
        self._grams: Matrix = ordered[starts]
        self._bounds: npt.NDArray[np.int64] = np.append(starts, len(ordered)).astype(np.int64)

    @classmethod
    def of(cls, data: PostingsData) -> Postings:
        """Postings as `data` gave them (read from the index cache's snapshot)."""
        postings = cls.__new__(cls)
        postings._grams, postings._bounds, postings._texts, postings._lengths = data
        return postings

    def data(self) -> PostingsData:
        """The arrays: each bigram once, ascending; where its texts begin in `texts`; the texts; their lengths."""
        return self._grams, self._bounds, self._texts, self._lengths

    def candidates(self, matrix: Matrix, counts: npt.NDArray[np.uint8], lengths: npt.NDArray[np.int64],
                   threshold: int) -> list[list[int]]:
        """For each query (its row of `sketches`: `matrix`, `counts`; its length in code points):
        the texts sharing most sketch bigrams with its sketch, at most CANDIDATES (ties: the earlier
        text), leaving out those whose length alone keeps them under `threshold` (an Indel
        similarity is at most 2 min(a, b) / (a + b), in percent). The whole batch in a few numpy
        calls: their fixed cost, not the data, was most of a lookup's, so many segments (a worker's
        share of documents) are asked together."""
        n = len(counts)
        found: list[list[int]] = [[] for _ in range(n)]
        if not n or not len(self._grams):
            return found
        grams = matrix[np.arange(SKETCH) < counts[:, None]]  # row by row
        asked = np.repeat(np.arange(n, dtype=np.int64), counts)
        where = np.searchsorted(self._grams, grams)
        where[where >= len(self._grams)] = 0
        hit = self._grams[where] == grams
        where, asked = where[hit], asked[hit]
        sizes = self._bounds[where + 1] - self._bounds[where]
        useful = sizes <= COMMON
        where, asked, sizes = where[useful], asked[useful], sizes[useful]
        if not len(where):
            return found
        # every posting's texts, one after another: position k of posting j is bounds[j] + k
        ends = np.cumsum(sizes)
        offsets = np.repeat(self._bounds[where] - (ends - sizes), sizes) + np.arange(ends[-1])
        pairs = np.repeat(asked, sizes) << np.int64(32) | self._texts[offsets].astype(np.int64)
        pairs.sort(kind="stable")  # runs already sorted (each posting's texts): a merge, not a quicksort
        starts = _starts(pairs)
        votes = np.diff(np.append(starts, len(pairs)))
        pairs = pairs[starts]
        owner, numbers = pairs >> np.int64(32), pairs & np.int64(0xFFFFFFFF)
        other, length = self._lengths[numbers], lengths[owner]
        possible = 200 * np.minimum(other, length) >= threshold * (other + length)
        owner, numbers, votes = owner[possible], numbers[possible], votes[possible]
        chosen = _most_voted(owner, votes, n)
        owner, numbers = owner[chosen], numbers[chosen]
        cuts = np.searchsorted(owner, np.arange(1, n))
        return [part.tolist() for part in np.split(numbers, cuts)]


def _most_voted(owner: npt.NDArray[np.int64], votes: npt.NDArray[np.intp], n: int) -> npt.NDArray[np.bool_]:
    """Which texts each query keeps: its CANDIDATES of most votes, ties going to the earlier text.
    `owner` ascending and, within a query, the texts ascending. A vote count is at most SKETCH, so
    the cut-off count of each query comes from a histogram, with no sort."""
    levels = SKETCH + 1
    counts = np.bincount(owner * levels + votes, minlength=n * levels).reshape(n, levels)
    at_least = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]  # [q, v]: texts of query q with >= v votes
    cut = (at_least >= CANDIDATES).sum(axis=1) - 1  # the fewest votes kept (0 or less: every text is kept)
    above = np.where(cut + 1 < levels, at_least[np.arange(n), np.minimum(cut + 1, levels - 1)], 0)
    room = CANDIDATES - above  # how many texts with exactly `cut` votes still fit
    level = cut[owner]
    tie = votes == level
    tied_before = np.cumsum(tie) - tie  # texts of `cut` votes before this one, all queries
    first = np.searchsorted(owner, np.arange(n))  # where each query's texts begin
    tied_before -= np.append(0, np.cumsum(tie))[first][owner]
    kept: npt.NDArray[np.bool_] = (votes > level) | (tie & (tied_before < room[owner]))
    return kept


def _starts(ordered: npt.NDArray[np.generic]) -> npt.NDArray[np.intp]:
    """Where each run of equal values of a sorted array begins (np.unique's job, a sort cheaper)."""
    if not len(ordered):
        return np.zeros(0, np.intp)
    return np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))


def _distinct(ordered: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    return ordered[_starts(ordered)]
