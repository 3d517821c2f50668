"""What the run knows about the texts it sends, for engines that can use it (the `llm` engine).

An engine that reads hints says so with a class attribute `uses_hints = True` and a
`hints` attribute; the run loop calls `give(engine, hints)` before `translate`. Other
engines never see them, and the `Engine` protocol stays `translate(list[str])`.

- `terms`: per engine text, the glossary entries its Chinese matched, as
  `(marker, zh, en)`: the marker the text carries for it (`<x1001/>` or `<g1002>`).
- `examples(texts) -> [(zh, en)]`: reviewed translations to show as the house
  style, best first: `Nearest`, the project translation memory's closest reviewed
  matches of the batch, then `RecentReviewed`, the most recent reviewed segments of
  the documents the texts come from. Any callable of that shape plugs in here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workflow.store.memory import Memory, Record
from workflow.store.tm import LazyIndex
from workflow.text.protect import PLACEHOLDER

Term = tuple[str, str, str]  # (marker in the engine text, Chinese, required English)
Examples = Callable[[list[str]], list[tuple[str, str]]]


def no_examples(texts: list[str]) -> list[tuple[str, str]]:
    return []


@dataclass(frozen=True)
class Hints:
    terms: Mapping[str, tuple[Term, ...]] = field(default_factory=dict)
    examples: Examples = no_examples

    def terms_of(self, texts: Iterable[str]) -> list[Term]:
        """The glossary entries of a batch, each once, in the order they first appear."""
        seen: dict[Term, None] = {}
        for text in texts:
            for term in self.terms.get(text, ()):
                seen.setdefault(term, None)
        return list(seen)


def give(engine: Any, hints: Hints) -> None:
    """Hand the run's hints to an engine that reads them; others are left alone."""
    if getattr(engine, "uses_hints", False):
        engine.hints = hints


class RecentReviewed:
    """The most recent reviewed segments (an editor's, not the tool's) of the texts' documents.

    `documents` maps an engine text to the memories of the documents it occurs in.
    """

    def __init__(self, documents: Mapping[str, Iterable[Memory | None]], limit: int = 3) -> None:
        self.documents = {text: [m for m in memories if m is not None] for text, memories in documents.items()}
        self.limit = limit

    def __call__(self, texts: list[str]) -> list[tuple[str, str]]:
        memories: dict[int, Memory] = {}
        for text in texts:
            for memory in self.documents.get(text, ()):
                memories.setdefault(id(memory), memory)
        records = [r for m in memories.values() for r in m.segments if _example(r)]
        records.sort(key=lambda r: r.reviewed_at, reverse=True)
        out: dict[tuple[str, str], None] = {}
        for record in records:
            out.setdefault((record.source.strip(), record.final.strip()), None)
            if len(out) >= self.limit:
                break
        return list(out)


def _example(record: Record) -> bool:
    return (record.status == "reviewed" and record.human and bool(record.final.strip())
            and record.final.strip() != record.source.strip() and len(record.source) <= 400)


class Nearest:
    """The translation memory's closest reviewed units of the batch's sentences, best first, then `then`'s.

    The index is read on the first call (once per run, shared by the worker threads); a
    sentence is matched without its placeholder tags, against whole segments' Chinese.
    """

    def __init__(self, tm: LazyIndex, threshold: int, then: Examples = no_examples, limit: int = 3) -> None:
        self.tm, self.threshold, self.then, self.limit = tm, threshold, then, limit
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> list[tuple[str, str]]:
        with self._lock:
            index = self.tm.get()
        scored: dict[tuple[str, str], int] = {}
        queries = [PLACEHOLDER.sub("", text) for text in texts]
        for query, fuzzy in zip(queries, index.fuzzy_many(queries, self.threshold)):
            exact = index.exact(query)
            for score, unit in [(100, exact)] * (exact is not None) + fuzzy:
                if unit is not None and unit.status == "reviewed" and len(unit.source) <= 400:
                    pair = (unit.source.strip(), unit.target.strip())
                    scored[pair] = max(score, scored.get(pair, 0))
        out = dict.fromkeys(sorted(scored, key=lambda pair: -scored[pair]))
        for pair in self.then(texts):
            out.setdefault(pair, None)
        return list(out)[:self.limit]
