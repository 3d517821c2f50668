"""The project's translation memory: every English a person wrote or approved, found by its Chinese.

An `Index` holds translation units (Chinese, English, where they come from, their status)
from every document's memory (live and retired segments) and from the imported TMX/PO
files (`output_en/.workflow/tm/*.tm`). It answers:

- `exact(zh)`: the best unit whose normalised Chinese is `zh`'s: one dict lookup;
- `fuzzy(zh)`: the closest units by rapidfuzz's normalised Indel similarity (0..100),
  at least the threshold, best first. Candidates are pre-filtered through an inverted
  index of character bigrams, MinHash-style: each source is indexed under its `SKETCH`
  bigrams of smallest hash (a bottom-k sketch of its bigram set), the query's sketch
  bigrams (none in more than `COMMON` sources) vote for the sources indexed under them,
  and only the `CANDIDATES` with most votes are scored. Two texts 75% similar share
  most bigrams, so their sketches overlap (the overlap estimates the sets' Jaccard
  similarity); building costs SKETCH entries per unit, a lookup at most SKETCH x COMMON
  votes and CANDIDATES comparisons, however large the memory.

`LazyIndex` builds the index once per run, on first use: a run in which nothing needs
new text never reads another document's memory.
"""

from __future__ import annotations

import functools
import json
import operator
import unicodedata
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from rapidfuzz import fuzz

from workflow.store.memory import TOOL_REVIEWER

TM_DIR = "tm"  # inside the memory folder: the imported translation memories
TM_SUFFIX = ".tm"  # JSON; not `.json`, so nothing takes it for a document's memory
RANK = {"reviewed": 0, "imported": 1, "needs-review": 2}
COMMON = 1000  # a sketch bigram in more sources than this prefilters nothing: skipped
SKETCH = 16  # bigrams per text in the inverted index (those of smallest hash)
CANDIDATES = 40  # sources scored per fuzzy lookup, at most
LIMIT = 3  # suggestions offered per segment


@functools.lru_cache(maxsize=4096)  # a segment's source is normalised 3 times in a run (own index, exact, fuzzy)
def normalise(text: str) -> str:
    """The Chinese as the memory compares it: NFKC (full-width forms folded), spaces collapsed."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


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


def unit_of(record: dict[str, Any], origin: str, retired: bool) -> Unit | None:
    """A unit from a memory record's JSON data, when it holds English a person wrote or approved."""
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
    return Unit(source=source, target=final, origin=origin, status=kind, machine=str(record.get("machine", "")),
                reviewer=str(reviewer), reviewed_at=str(record.get("reviewed_at", "")), retired=retired)


class Index:
    def __init__(self, units: Iterable[Unit]) -> None:
        by_source: dict[str, list[Unit]] = {}
        for unit in units:
            by_source.setdefault(normalise(unit.source), []).append(unit)
        for found in by_source.values():  # best first: reviewed, live, most recent
            found.sort(key=lambda u: (RANK[u.status], u.retired, _negated(u.reviewed_at), u.origin))
        self._exact = by_source
        self._sources = list(by_source)
        self._grams: dict[int, list[int]] = {}  # a sketch bigram's hash -> the sources indexed under it
        for n, source in enumerate(self._sources):
            for gram in sketch(source):
                self._grams.setdefault(gram, []).append(n)

    def __len__(self) -> int:
        return sum(len(units) for units in self._exact.values())

    def exact(self, source: str, *, live_only: bool = False) -> Unit | None:
        for unit in self._exact.get(normalise(source), ()):
            if not (live_only and unit.retired):
                return unit
        return None

    def fuzzy(self, source: str, threshold: int, limit: int = LIMIT) -> list[tuple[int, Unit]]:
        """(score, best unit) of the closest other sources, >= threshold, best first."""
        query = normalise(source)
        shared: Counter[int] = Counter()
        for gram in sketch(query):
            posting = self._grams.get(gram)
            if posting and len(posting) <= COMMON:
                shared.update(posting)
        found = []
        for n, _ in shared.most_common(CANDIDATES):
            candidate = self._sources[n]
            if candidate == query:
                continue
            score = fuzz.ratio(query, candidate, score_cutoff=threshold)
            if score:
                found.append((int(score), candidate))
        found.sort(key=lambda f: (-f[0], f[1]))
        return [(score, self._exact[candidate][0]) for score, candidate in found[:limit]]


def sketch(text: str) -> list[int]:
    """The hashes of the text's SKETCH distinct bigrams of smallest hash.

    The hash is a fixed function of the characters (CRC-32, not Python's `hash`, which is salted
    per process), so the same memory offers the same suggestions on every run and every machine.
    """
    grams = set(map(operator.add, text, text[1:])) or {text}
    if len(_HASHES) > _HASHES_MAX:
        _HASHES.clear()
    return sorted(map(_HASHES.__getitem__, grams))[:SKETCH]


class _StableHashes(dict[str, int]):
    """CRC-32 of each bigram, computed once: a memory's texts share most of their bigrams."""

    def __missing__(self, gram: str) -> int:
        value = self[gram] = zlib.crc32(gram.encode("utf-8"))
        return value


_HASHES = _StableHashes()
_HASHES_MAX = 1_000_000  # distinct bigrams kept (about 100 MB at most), then the cache starts again


def _negated(stamp: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in stamp)


def memory_files(memory_root: Path) -> Iterable[tuple[Path, dict[str, Any]]]:
    """Every document memory under `memory_root`, parsed, in path order.

    A memory that cannot be read is skipped: it is reported when its own document is processed.
    """
    for path in sorted(memory_root.rglob("*.json")) if memory_root.is_dir() else []:
        try:
            raw = json.loads(path.read_bytes())
        except (OSError, ValueError):
            continue
        if isinstance(raw, dict):
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


def memory_units(memory_root: Path, shown: str) -> Iterable[Unit]:
    """The units of every document memory under `memory_root` (`shown`: its project-relative path)."""
    for path, raw in memory_files(memory_root):
        origin = raw.get("source") if isinstance(raw.get("source"), str) else f"{shown}/{path.name}"
        for group, retired in (("segments", False), ("retired", True)):
            records = raw.get(group)
            for record in records if isinstance(records, list) else []:
                unit = unit_of(record, str(origin), retired) if isinstance(record, dict) else None
                if unit is not None:
                    yield unit


def imported_units(memory_root: Path) -> Iterable[Unit]:
    """The units of the imported translation memories (`tm/*.tm`, written by `memory import`)."""
    folder = memory_root / TM_DIR
    for path in sorted(folder.glob("*" + TM_SUFFIX)) if folder.is_dir() else []:
        try:
            raw = json.loads(path.read_bytes())
        except (OSError, ValueError):
            continue
        origin = str(raw.get("origin", path.name)) if isinstance(raw, dict) else path.name
        for unit in raw.get("units", []) if isinstance(raw, dict) else []:
            if isinstance(unit, dict) and isinstance(unit.get("source"), str) and isinstance(unit.get("target"), str):
                yield Unit(source=unit["source"], target=unit["target"], origin=origin, status="imported")


class LazyIndex:
    """The project's index, built on the first `get()` and then kept for the run."""

    def __init__(self, memory_root: Path, shown: str) -> None:
        self.memory_root, self.shown = memory_root, shown
        self._index: Index | None = None

    @property
    def built(self) -> bool:
        return self._index is not None

    def get(self) -> Index:
        if self._index is None:
            units = [*memory_units(self.memory_root, self.shown), *imported_units(self.memory_root)]
            self._index = Index(units)
        return self._index
