"""`stats`: how much of the translation is reviewed, how much editors changed, and what.

Reads memory only. Per document, per engine and model, and overall: segments, the
share reviewed, the share edited (final differs from machine) and the character edit
rate: the Levenshtein distance between machine and final English over the length of
the longer of the two, summed over the segments (0 = untouched, 1 = rewritten).
Segments with nothing to translate (images, code-only lines) are left out.

From the recorded diffs it also collects the editors' replacements: a deletion and
an insertion at the same place, widened to whole words ("bare-metal" → "bare metal").
One that editors keep making is a candidate glossary entry; when the glossary already
renders some Chinese term as the replaced English, that term is named in the hint.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from workflow.config import Settings
from workflow.glossary.terms import Glossary
from workflow.glossary.terms import load as load_glossary
from workflow.store import memory as memory_mod
from workflow.store.memory import TOOL_REVIEWER, Record
from workflow.text.diff import diff, distance

MAX_WORDS = 4  # longer replacements are rewrites, not terminology


@dataclass
class Tally:
    segments: int = 0
    reviewed: int = 0
    edited: int = 0
    distance: int = 0
    length: int = 0

    def add(self, record: Record, distance: int) -> None:
        self.segments += 1
        self.reviewed += record.status == "reviewed"
        self.edited += record.edited
        self.distance += distance
        self.length += max(len(record.machine), len(record.final))

    @property
    def reviewed_pct(self) -> float:
        return _pct(self.reviewed, self.segments)

    @property
    def edited_pct(self) -> float:
        return _pct(self.edited, self.segments)

    @property
    def edit_rate(self) -> float:
        return round(self.distance / self.length, 4) if self.length else 0.0

    def to_json(self) -> dict[str, float | int]:
        return {"segments": self.segments, "reviewed": self.reviewed, "edited": self.edited,
                "reviewed_pct": self.reviewed_pct, "edited_pct": self.edited_pct, "edit_rate": self.edit_rate}


@dataclass(frozen=True)
class Replacement:
    before: str
    after: str
    count: int
    zh: str = ""  # a glossary term whose English is `before`, if any

    @property
    def hint(self) -> str:
        return f"workflow glossary add {_quote(self.zh or '<中文>')} {_quote(self.after)}"


@dataclass
class Stats:
    documents: dict[str, Tally] = field(default_factory=dict)
    engines: dict[str, Tally] = field(default_factory=dict)
    overall: Tally = field(default_factory=Tally)
    replacements: list[Replacement] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "documents": {k: v.to_json() for k, v in self.documents.items()},
            "engines": {k: v.to_json() for k, v in self.engines.items()},
            "overall": self.overall.to_json(),
            "replacements": [{"before": r.before, "after": r.after, "count": r.count, "zh": r.zh, "hint": r.hint}
                             for r in self.replacements],
        }


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _quote(text: str) -> str:
    return text if re.fullmatch(r"[\w\-./]+", text) else "'" + text.replace("'", "'\\''") + "'"


def counted(record: Record) -> bool:
    """Segments a translator works on: not the ones with nothing to translate."""
    return not (record.reviewer == TOOL_REVIEWER and record.status == "reviewed" and not record.engine)


def stats(settings: Settings, *, minimum: int = 2) -> Stats:
    """Statistics over every memory file; replacements seen at least `minimum` times."""
    result = Stats()
    seen: Counter[tuple[str, str]] = Counter()
    for path in sorted(settings.memory_root.rglob("*.json")) if settings.memory_root.is_dir() else []:
        memory = memory_mod.load(path, settings.rel(path))
        if memory is None:
            continue
        tally = result.documents.setdefault(memory.source, Tally())
        for record in memory.segments:
            if not counted(record):
                continue
            ops = diff(record.machine, record.final) if record.machine != record.final else []
            changed = distance(ops)
            engine = " ".join(p for p in (record.engine, record.model) if p) or "none"
            for target in (tally, result.engines.setdefault(engine, Tally()), result.overall):
                target.add(record, changed)
            seen.update(replacements(ops))
    glossary = load_glossary(settings.glossary, settings.root)
    result.replacements = [Replacement(a, b, n, _term(glossary, a)) for (a, b), n in
                           sorted(seen.items(), key=lambda kv: (-kv[1], kv[0])) if n >= minimum]
    return result


def replacements(ops: list[tuple[int, str]]) -> Iterable[tuple[str, str]]:
    """(deleted, inserted) pairs at the same place, widened to whole words."""
    for k, (op, text) in enumerate(ops):
        if op != -1 or k + 1 >= len(ops) or ops[k + 1][0] != 1:
            continue
        before = ops[k - 1][1] if k > 0 and ops[k - 1][0] == 0 else ""
        after = ops[k + 2][1] if k + 2 < len(ops) and ops[k + 2][0] == 0 else ""
        left = _edge(before, end=True)
        right = _edge(after, end=False)
        old, new = (left + text + right).strip(), (left + ops[k + 1][1] + right).strip()
        if old and new and old != new and max(len(old.split()), len(new.split())) <= MAX_WORDS:
            yield old, new


def _edge(text: str, *, end: bool) -> str:
    """The part of a word that touches the change: the end of `text` before it, the start after it."""
    match = re.search(r"[\w\-'’]+$", text) if end else re.match(r"[\w\-'’]+", text)
    return match.group(0) if match else ""


def _term(glossary: Glossary, english: str) -> str:
    for entry in glossary.entries:
        if entry.en.casefold() == english.casefold():
            return entry.zh
    return ""
