"""The project's translation memory: every English a person wrote or approved, found by its Chinese.

An `Index` holds translation units (Chinese, English, where they come from, their status)
from every document's memory (live and retired segments) and from the imported TMX/PO
files (`output_en/.workflow/tm/*.tm`). It answers:

- `exact(zh)`: the best unit whose normalised Chinese is `zh`'s: one dict lookup;
- `fuzzy(zh)`: the closest units by rapidfuzz's normalised Indel similarity (0..100),
  at least the threshold, best first. Candidates are pre-filtered by shared bigrams of
  bottom-k sketches (`tm_sketch`): building costs SKETCH entries per unit, a lookup at most
  SKETCH x COMMON votes and CANDIDATES comparisons, however large the memory;
  `fuzzy_many(sources)`: the same for several at once, pre-filtered in one numpy pass.

`LazyIndex` builds the index once per run, on first use: a run in which nothing needs
new text never reads another document's memory. Each memory file's share of the build
(normalised Chinese, sketches, fields) comes from the index cache (`tm_cache`) when the
file's bytes are those the cache saw, so a run pays only for the files that changed; when
none changed, the whole index comes from the cache's snapshot, postings included.
A unit's fields are turned into a `Unit` only when a lookup returns it.
"""

from __future__ import annotations

import bisect
import itertools
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from workflow.store import memory_scan
from workflow.store.memory import TOOL_REVIEWER
from workflow.store.tm_cache import Cache, Fields, Part
from workflow.store.tm_key import _normalise, normalise  # noqa: F401  (normalise: part of this module's interface)
from workflow.store.tm_sketch import COMMON as COMMON
from workflow.store.tm_sketch import SKETCH as SKETCH
from workflow.store.tm_sketch import Postings, sketches
from workflow.store.tm_sketch import sketch as sketch

TM_DIR = "tm"  # inside the memory folder: the imported translation memories
TM_SUFFIX = ".tm"  # JSON; not `.json`, so nothing takes it for a document's memory
RANK = {"reviewed": 0, "imported": 1, "needs-review": 2}
LIMIT = 3  # suggestions offered per segment
BATCH = 256  # fuzzy lookups pre-filtered together: a bound on the pass's arrays (each query brings at
# most SKETCH x COMMON = 16,000 postings: 4 million pairs, ~150 MB of temporary arrays at worst)




@dataclass(frozen=True, kw_only=True)
class Unit:
    source: str
    target: str
    origin: str  # the document's source path, or the imported file's name
    status: str  # reviewed | needs-review | imported
    machine: str = ""  # the machine English it was edited from ("" when imported)
    reviewer: str = ""
    reviewed_at: str = ""
    retired: bool = False  # from a document's retired records

    def suggestion(self, score: int) -> dict[str, Any]:
        """The shared data contract of a `matches` entry."""
        return {"origin": self.origin, "score": score, "source": self.source, "status": self.status,
                "target": self.target}

    @property
    def fields(self) -> Fields:
        return (self.source, self.target, self.origin, self.status, self.machine, self.reviewer, self.reviewed_at,
                self.retired)


def _unit(fields: Fields) -> Unit:
    source, target, origin, status, machine, reviewer, reviewed_at, retired = fields
    return Unit(source=source, target=target, origin=origin, status=status, machine=machine, reviewer=reviewer,
                reviewed_at=reviewed_at, retired=retired)


def unit_fields(record: dict[str, Any], origin: str, retired: bool) -> Fields | None:
    """A unit's fields from a memory record's JSON data, when it holds English a person wrote or approved."""
    final, source = record.get("final"), record.get("source")
    if not isinstance(final, str) or not isinstance(source, str) or not final.strip() or not source.strip():
        return None
    status, reviewer = record.get("status"), record.get("reviewer", "")
    if status == "reviewed" and reviewer != TOOL_REVIEWER:
        kind = "reviewed"
    elif record.get("patch"):
        kind = "needs-review"
    else:
        return None
    return (source, final, origin, kind, str(record.get("machine", "")), str(reviewer),
            str(record.get("reviewed_at", "")), retired)


def unit_of(record: dict[str, Any], origin: str, retired: bool) -> Unit | None:
    """A unit from a memory record's JSON data, when it holds English a person wrote or approved."""
    fields = unit_fields(record, origin, retired)
    return None if fields is None else _unit(fields)


def part_of(fields: Sequence[Fields], normalise_: Any = _normalise) -> Part:
    """The index's share of some units: normalised Chinese, sketches; a source equal to its key is kept once."""
    keys = [normalise_(f[0]) for f in fields]
    matrix, counts = sketches(keys)
    rows = [(None, *f[1:]) if f[0] == key else f for f, key in zip(fields, keys)]
    return Part(keys, rows, matrix, counts)


class Index:
    def __init__(self, units: Iterable[Unit] = (), *, parts: Sequence[Part] | None = None,
                 postings: Postings | None = None) -> None:
        """From units, or from parts (memory files' shares); `postings`: those built over these parts
        before (the cache's snapshot), so the parts' sketches are not needed."""
        self._parts = list(parts) if parts is not None else [part_of([u.fields for u in units], normalise)]
        self._starts = [0, *itertools.accumulate(len(p.keys) for p in self._parts)]
        keys = list(itertools.chain.from_iterable(p.keys for p in self._parts))
        # each source's first unit (C loops: the reversed pairs leave the first number per key)
        self._first = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1)))
        self._more: dict[str, list[int]] = {}  # the sources several units share: all their numbers
        self._ranked: set[str] = set()  # shared sources whose units are in rank order
        self._units: dict[int, Unit] = {}
        if len(self._first) < len(keys):
            self._sources = list(dict.fromkeys(keys))
            for n, key in enumerate(keys):
                if self._first[key] != n:
                    self._more.setdefault(key, [self._first[key]]).append(n)
        else:  # every unit's source its own: the sources are the keys, in the same order
            self._sources = keys
        if postings is not None:
            self._postings = postings
            return
        matrix = np.concatenate([p.matrix for p in self._parts]) if self._parts else np.zeros((0, SKETCH), np.uint32)
        counts = np.concatenate([p.counts for p in self._parts]) if self._parts else np.zeros(0, np.uint8)
        if self._sources is not keys:
            firsts = np.fromiter(map(self._first.__getitem__, self._sources), np.int64, len(self._sources))
            matrix, counts = matrix[firsts], counts[firsts]
        lengths = np.fromiter(map(len, self._sources), np.int64, len(self._sources))
        self._postings = Postings(matrix, counts, lengths)

    @property
    def sources(self) -> int:
        """How many distinct normalised sources the units have."""
        return len(self._sources)

    @property
    def postings(self) -> Postings:
        return self._postings

    @property
    def parts(self) -> Sequence[Part]:
        return self._parts

    def __len__(self) -> int:
        return self._starts[-1]

    def _unit(self, n: int) -> Unit:
        unit = self._units.get(n)
        if unit is None:
            p = bisect.bisect_right(self._starts, n) - 1
            part, i = self._parts[p], n - self._starts[p]
            fields = part.rows[i]
            unit = self._units[n] = _unit((part.keys[i], *fields[1:]) if fields[0] is None else fields)
        return unit

    def _best(self, key: str) -> Iterator[Unit]:
        """The units of a normalised source, best first: reviewed, live, most recent."""
        found = self._more.get(key)
        if found is None:
            first = self._first.get(key)
            return iter(()) if first is None else iter((self._unit(first),))
        if key not in self._ranked:
            found.sort(key=lambda n: _rank(self._unit(n)))
            self._ranked.add(key)
        return map(self._unit, found)

    def exact(self, source: str, *, live_only: bool = False) -> Unit | None:
        if not self._sources:  # an empty memory: nothing to normalise the source for
            return None
        for unit in self._best(normalise(source)):
            if not (live_only and unit.retired):
                return unit
        return None

    def fuzzy(self, source: str, threshold: int, limit: int = LIMIT) -> list[tuple[int, Unit]]:
        """(score, best unit) of the closest other sources, >= threshold, best first."""
        return self.fuzzy_many([source], threshold, limit)[0]

    def fuzzy_many(self, sources: Sequence[str], threshold: int, limit: int = LIMIT) -> list[list[tuple[int, Unit]]]:
        """`fuzzy` of each source, the candidates of all of them found at once."""
        if not self._sources or not sources:  # a project's first run: nothing to compare with, no sketch to make
            return [[] for _ in sources]
        queries = [normalise(source) for source in sources]
        candidates_of: list[list[int]] = []
        for start in range(0, len(queries), BATCH):
            batch = queries[start:start + BATCH]
            matrix, counts = sketches(batch)
            lengths = np.fromiter(map(len, batch), np.int64, len(batch))
            candidates_of += self._postings.candidates(matrix, counts, lengths, threshold)
        found = []
        for query, numbers in zip(queries, candidates_of):
            candidates = [c for c in map(self._sources.__getitem__, numbers) if c != query]
            # one call: rapidfuzz prepares the query once for all candidates
            scored = process.extract(query, candidates, scorer=fuzz.ratio, score_cutoff=threshold, limit=None)
            best = sorted((-int(score), candidate) for candidate, score, _ in scored if score >= 1)[:limit]
            found.append([(-score, next(self._best(candidate))) for score, candidate in best])
        return found


def _rank(unit: Unit) -> tuple[Any, ...]:
    return (RANK[unit.status], unit.retired, tuple(-ord(c) for c in unit.reviewed_at), unit.origin)


def memory_paths(memory_root: Path) -> list[Path]:
    """Every document memory file under `memory_root`, in path order."""
    return sorted(memory_root.rglob("*.json")) if memory_root.is_dir() else []


def _parsed(data: bytes) -> dict[str, Any] | None:
    try:
        raw = json.loads(data)
    except ValueError:
        return None
    return raw if isinstance(raw, dict) else None


def memory_files(memory_root: Path) -> Iterable[tuple[Path, dict[str, Any]]]:
    """Every document memory under `memory_root`, parsed, in path order.

    A memory that cannot be read is skipped: it is reported when its own document is processed.
    """
    for path in memory_paths(memory_root):
        try:
            raw = _parsed(path.read_bytes())
        except OSError:
            continue
        if raw is not None:
            yield path, raw


def live_english(memory_root: Path) -> Counter[str]:
    """The English of every live segment of every document (what the pages hold): for each text,
    how many documents' memories hold it."""
    found: Counter[str] = Counter()
    for _, raw in memory_files(memory_root):
        segments = raw.get("segments")
        finals = {record.get("final") for record in segments if isinstance(record, dict)} if isinstance(segments, list) else set()
        found.update(final for final in finals if isinstance(final, str) and final.strip())
    return found


def _memory_fields(path: Path, raw: dict[str, Any], shown: str) -> list[Fields]:
    origin = raw.get("source") if isinstance(raw.get("source"), str) else f"{shown}/{path.name}"
    found = []
    for group, retired in (("segments", False), ("retired", True)):
        records = raw.get(group)
        for record in records if isinstance(records, list) else []:
            fields = unit_fields(record, str(origin), retired) if isinstance(record, dict) else None
            if fields is not None:
                found.append(fields)
    return found


def memory_units(memory_root: Path, shown: str) -> Iterable[Unit]:
    """The units of every document memory under `memory_root` (`shown`: its project-relative path)."""
    for path, raw in memory_files(memory_root):
        yield from map(_unit, _memory_fields(path, raw, shown))


def imported_paths(memory_root: Path) -> list[Path]:
    folder = memory_root / TM_DIR
    return sorted(folder.glob("*" + TM_SUFFIX)) if folder.is_dir() else []


def _imported_fields(path: Path, raw: dict[str, Any] | None) -> list[Fields]:
    origin = str(raw.get("origin", path.name)) if raw is not None else path.name
    units = raw.get("units", []) if raw is not None else []
    return [(unit["source"], unit["target"], origin, "imported", "", "", "", False) for unit in units
            if isinstance(unit, dict) and isinstance(unit.get("source"), str) and isinstance(unit.get("target"), str)]


def imported_units(memory_root: Path) -> Iterable[Unit]:
    """The units of the imported translation memories (`tm/*.tm`, written by `memory import`)."""
    for path in imported_paths(memory_root):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        yield from map(_unit, _imported_fields(path, _parsed(data)))


def index_files(memory_root: Path) -> list[Path]:
    """The files the index takes units from: the memory files that may hold one, then the imported files."""
    return [path for path in memory_paths(memory_root) if not _no_units(path)] + imported_paths(memory_root)


def index_parts(memory_root: Path, shown: str, cache: Cache, files: Sequence[Path]) -> list[Part]:
    """The index's parts, one per file of `files` (`index_files`): from the cache where it has them."""
    parts = []
    imported = set(imported_paths(memory_root))
    for path in files:
        def build(data: bytes, path: Path = path) -> Part:
            raw = _parsed(data)
            if path in imported:
                return part_of(_imported_fields(path, raw))
            return part_of(_memory_fields(path, raw, shown) if raw is not None else [])
        part = cache.part(path, build)
        parts += [part] if part is not None else []
    cache.prune()
    return parts


def build_index(memory_root: Path, shown: str, cache: Cache) -> Index:
    """The index of the memory as it is: the cache's snapshot when the files are those it was built from
    (one read, no sort), else from each file's entry (or the file), then kept as the new snapshot."""
    files = index_files(memory_root)
    found = cache.snapshot(files)
    if found is not None:
        index = Index(parts=found[0], postings=Postings.of(found[1]))
        if index.sources == len(found[1][3]):  # the postings' texts are the index's sources
            return index
    index = Index(parts=index_parts(memory_root, shown, cache, files))
    cache.keep_snapshot(index.parts, index.postings.data())
    return index


def _no_units(path: Path) -> bool:
    """The memory's header says it holds no unit (machine English only): its segments need not be read.
    A header that cannot be read, or an older one without the count, says nothing: read the file."""
    try:
        head = memory_scan.read_head(str(path))
    except OSError:  # unreadable (a link loop, no permission): the full read skips it, as before
        return False
    header = memory_scan.scan_head(head[0], head[2], None) if head is not None else None
    return header is not None and header.units == 0


class LazyIndex:
    """The project's index, built on the first `get()` and then kept for the run.

    `cache`: whether the build may write the index cache (False on a dry run: nothing is written).
    """

    def __init__(self, memory_root: Path, shown: str, *, cache: bool = True) -> None:
        self.memory_root, self.shown, self.cache = memory_root, shown, cache
        self._index: Index | None = None

    @property
    def built(self) -> bool:
        return self._index is not None

    def get(self) -> Index:
        if self._index is None:
            self._index = build_index(self.memory_root, self.shown, Cache(self.memory_root, write=self.cache))
        return self._index
