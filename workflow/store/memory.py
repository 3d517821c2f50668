"""Per-document translation memory: one stable, sorted JSON file per document.

Lives in `output_en/.workflow/<source path>.json` (a dot-folder, so site generators
skip it). It records, per segment, the Chinese, the machine English, the final
English, the status and why, the engine and model, the glossary fingerprint, and
the editor's diff-match-patch patch from machine to final. Segments whose Chinese
disappeared move to `retired` with their edits: nothing an editor did is dropped.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workflow.errors import MemoryCorrupt

SCHEMA = 1
STATUSES = ("machine", "needs-review", "reviewed")
TOOL_REVIEWER = "workflow"  # the reviewer of segments with nothing to translate
# Written even when empty: a final "" is a segment the editor deleted.
REQUIRED = ("id", "kind", "line", "source_hash", "source", "machine", "final")


@dataclass(frozen=True)
class EngineInfo:
    """What produced a machine translation; recorded with every segment."""

    name: str
    model: str = ""
    version: str = ""
    model_hash: str = ""

    @property
    def label(self) -> str:
        return " ".join(part for part in (self.name, self.model, self.version) if part)


@dataclass(frozen=True, kw_only=True)
class Record:
    """One segment's state. `final` is what the English file holds for it."""

    id: str
    kind: str
    line: int
    source_hash: str
    source: str
    machine: str
    final: str
    status: str = "machine"
    reasons: tuple[str, ...] = ()
    engine: str = ""
    model: str = ""
    version: str = ""  # of the model (argos: the package version)
    model_hash: str = ""
    glossary: str = ""  # fingerprint of the glossary entries the Chinese matches
    patch: str = ""  # diff-match-patch patch_toText from machine to final ("" when equal)
    reviewer: str = ""
    reviewed_at: str = ""
    translated_at: str = ""
    previous_source: str = ""  # the Chinese this segment had before its last change
    previous_final: str = ""  # the English it had then (kept for reference)
    markup: str = ""  # an editor's override of the block's markup before its first line ("### ", "* "); "" = the Chinese's

    @property
    def edited(self) -> bool:
        return self.final != self.machine

    @property
    def human(self) -> bool:
        """Holds an editor's work: reviewed by a person, an edit carried over to new Chinese,
        or an earlier final kept in `previous_final` that nobody has looked at yet.

        Segments the tool itself marked reviewed (nothing to translate) are not an editor's work.
        """
        reviewed = self.status == "reviewed" and self.reviewer != TOOL_REVIEWER
        return reviewed or bool(self.patch) or bool(self.previous_source)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["reasons"] = list(self.reasons)
        return {k: v for k, v in data.items() if k in REQUIRED or v not in ("", [], ())}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["reasons"] = tuple(values.get("reasons", ()))
        return cls(**values)


@dataclass(frozen=True, kw_only=True)
class Memory:
    source: str  # project-relative path of the Chinese file
    output: str  # project-relative path of the English file
    source_hash: str
    output_hash: str  # the English file as the tool last wrote or recorded it
    output_hash_previous: str = ""  # set only while a write of the English file is in flight
    glossary_hash: str = ""  # identity of the glossary the segments' fingerprints were computed with
    engine: str = ""
    translated_at: str = ""
    segments: tuple[Record, ...] = ()
    retired: tuple[Record, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def output_is_recorded(self, output_hash: str | None) -> bool:
        return output_hash is not None and output_hash in (self.output_hash, self.output_hash_previous)

    def counts(self) -> dict[str, int]:
        counts = {status: 0 for status in STATUSES}
        for record in self.segments:
            counts[record.status] = counts.get(record.status, 0) + 1
        counts["total"] = len(self.segments)
        return counts

    def summary(self) -> dict[str, Any]:
        """Derived, written with every save so `check` need not walk the segments:
        segments per status, and the engines of the machine segments."""
        engines = sorted({(r.engine, r.model, r.model_hash) for r in self.segments if r.engine and not r.human})
        return {**self.counts(), "engines": [list(e) for e in engines]}

    def to_bytes(self) -> bytes:
        """Stable JSON: the document's header first, in a fixed order, then the segments.

        Keys inside a segment are sorted. Header first lets `check` read a file's first
        few kilobytes (hashes, glossary identity, `summary`) and stop.
        """
        header: dict[str, Any] = {
            "schema": SCHEMA,
            "source": self.source,
            "source_hash": self.source_hash,
            "output": self.output,
            "output_hash": self.output_hash,
        }
        if self.output_hash_previous:
            header["output_hash_previous"] = self.output_hash_previous
        if self.glossary_hash:
            header["glossary_hash"] = self.glossary_hash
        header.update({"engine": self.engine, "translated_at": self.translated_at,
                       "summary": dict(sorted(self.summary().items()))})
        header.update(sorted(self.extra.items()))
        data = {**header, "segments": [_sorted(r.to_json()) for r in self.segments]}
        if self.retired:
            data["retired"] = [_sorted(r.to_json()) for r in self.retired]
        return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _sorted(data: dict[str, Any]) -> dict[str, Any]:
    return dict(sorted(data.items()))


def model_stale(record: Record, info: EngineInfo | None) -> bool:
    """Machine text of another engine or model than `info` (the configured one): `translate`
    re-translates it and `check` reports it. An editor's work never is; nor is copied text."""
    if info is None or record.human or not record.engine:
        return False
    return (record.engine, record.model, record.model_hash) != (info.name, info.model, info.model_hash)


def memory_path(memory_root: Path, source_rel: str) -> Path:
    """`output_en/.workflow/<path of the source inside source_zh>.json`."""
    return memory_root / (source_rel + ".json")


def parse(data: bytes, path: str) -> Memory:
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise MemoryCorrupt("memory file is not UTF-8. Restore it from git.", path=path) from None
    except json.JSONDecodeError as exc:
        raise MemoryCorrupt(f"memory file does not parse ({exc.msg}). Restore it from git.", path=path, line=exc.lineno) from None
    if not isinstance(raw, dict):
        raise MemoryCorrupt("memory file must hold a JSON object. Restore it from git.", path=path)
    schema = raw.get("schema")
    if schema != SCHEMA:
        raise MemoryCorrupt(
            f"unknown memory schema {schema!r}; this workflow reads schema {SCHEMA}. "
            "Upgrade workflow or restore the file from git.",
            path=path,
        )
    try:
        known = {"schema", "source", "output", "source_hash", "output_hash", "output_hash_previous",
                 "glossary_hash", "engine", "translated_at", "segments", "retired", "summary"}
        return Memory(
            source=raw["source"],
            output=raw["output"],
            source_hash=raw["source_hash"],
            output_hash=raw["output_hash"],
            output_hash_previous=raw.get("output_hash_previous", ""),
            glossary_hash=raw.get("glossary_hash", ""),
            engine=raw.get("engine", ""),
            translated_at=raw.get("translated_at", ""),
            segments=tuple(Record.from_json(r) for r in raw.get("segments", [])),
            retired=tuple(Record.from_json(r) for r in raw.get("retired", [])),
            extra={k: v for k, v in raw.items() if k not in known},
        )
    except (KeyError, TypeError) as exc:
        raise MemoryCorrupt(f"memory file lacks or mistypes {exc}. Restore it from git.", path=path) from None


def load(path: Path, shown: str) -> Memory | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return parse(data, shown)
