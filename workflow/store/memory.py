"""Per-document translation memory: one stable, sorted JSON file per document.

Lives in `output_en/.workflow/<source path>.json` (a dot-folder, so site generators
skip it). It records, per segment, the Chinese, the machine English, the final
English, the status and why, the engine and model, the glossary fingerprint, and
the editor's diff-match-patch patch from machine to final. Segments whose Chinese
disappeared move to `retired` with their edits: nothing an editor did is dropped.

Schema 2 (docs/memory.md) adds per segment `match` (how its text was obtained: context,
exact, fuzzy, engine, carried) and `matches` (fuzzy suggestions from the project's
translation memory), and per retired record a `decision` (restored or dismissed, by
whom, when); the header's `summary` counts the `lost` English nobody decided on yet.
Schema 3 adds per segment `markup` (an editor's heading level or list marker) and `after`
(list items or table rows an editor added), the header's `front_matter_lists`, and the
summary's `units`; a build that knows only schema 2 refuses these files instead of rewriting
them without what it does not know. Schema 1 and 2 files are read as schema 3 and rewritten
on the next `translate` (no field changes meaning). Every file is validated on read
(`_check_types`): a wrong type is a `MemoryCorrupt` naming the file and line.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workflow.errors import MemoryCorrupt
from workflow.store import json_text

SCHEMA = 3
READABLE = (1, 2, 3)  # 1 and 2 are migrated on read: they lack only fields that default to empty
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
    after: str = ""  # an editor's addition after the block, inside its list or table: new items or rows as Markdown lines, without the container's prefix ("- An item", "| a | b |")
    match: str = ""  # how `final` was obtained this time: context | exact | fuzzy | engine | carried
    matches: tuple[dict[str, Any], ...] = ()  # translation-memory suggestions, best first (at most 3)
    decision: str = ""  # of a retired record: restored | dismissed ("" while nobody decided)
    decided_by: str = ""
    decided_at: str = ""

    @property
    def edited(self) -> bool:
        return self.final != self.machine

    @property
    def human(self) -> bool:
        """Holds an editor's work: reviewed by a person, an edit carried over to new Chinese,
        an earlier final kept in `previous_final` that nobody has looked at yet, or list items or
        table rows an editor added after it (`after`; adding them approves nothing).

        Segments the tool itself marked reviewed (nothing to translate) are not an editor's work.
        """
        return self.own_english or bool(self.after.strip())

    @property
    def own_english(self) -> bool:
        """Its English is a person's: reviewed by a person, edited, or an edit carried over (`human`
        without an `after` alone: adding items after an item approves nothing of its machine English)."""
        reviewed = self.status == "reviewed" and self.reviewer != TOOL_REVIEWER
        return reviewed or bool(self.patch) or bool(self.previous_source)

    @property
    def holds_unit(self) -> bool:
        """A translation-memory unit: English a person wrote or approved, with its Chinese (the rule of
        `tm.unit_fields`, which reads it from a record's JSON; a test holds the two equal)."""
        if not self.final.strip() or not self.source.strip():
            return False
        return (self.status == "reviewed" and self.reviewer != TOOL_REVIEWER) or bool(self.patch)

    @property
    def awaits_decision(self) -> bool:
        """A retired record holding English a person wrote or approved, that nobody has decided on."""
        return self.human and bool(self.final.strip() or self.after.strip()) and not self.decision

    @property
    def key(self) -> str:
        """A short stable name of a retired record for `workflow memory restore|dismiss`."""
        return hashlib.sha256(f"{self.source}\0{self.final}".encode()).hexdigest()[:8]

    def to_json(self) -> dict[str, Any]:
        """The record as JSON data, keys sorted, empty optional fields left out (no asdict: it deep-copies)."""
        data: dict[str, Any] = {}
        for name in FIELDS:
            value = getattr(self, name)
            if name in REQUIRED_SET or (value != "" and value != ()):
                data[name] = value if not isinstance(value, tuple) else (
                    [dict(sorted(m.items())) for m in value] if name == "matches" else list(value))
        return data

    @classmethod
    def of(cls, fields: dict[str, Any]) -> Record:
        """`Record(**fields)`, made without the frozen dataclass's `__init__` (one `object.__setattr__`
        per field, 28 of them): a run makes one per segment. Fields missing or unknown go to
        `__init__`, which says which."""
        if not REQUIRED_SET <= fields.keys() or not fields.keys() <= FIELD_SET:
            return cls(**fields)
        record = object.__new__(cls)
        record.__dict__.update(DEFAULTS)
        record.__dict__.update(fields)
        return record

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        values = {k: v for k, v in data.items() if k in FIELD_SET}
        for name in ("reasons", "matches"):
            if name in values:
                values[name] = tuple(values[name])
        return cls(**values)


FIELDS = tuple(sorted(f.name for f in dataclasses.fields(Record)))
FIELD_SET = frozenset(FIELDS)
REQUIRED_SET = frozenset(REQUIRED)
DEFAULTS = {f.name: f.default for f in dataclasses.fields(Record) if f.default is not dataclasses.MISSING}  # Record.of
TYPES: dict[str, type] = {f: (int if f == "line" else tuple if f in ("reasons", "matches") else str) for f in FIELDS}
MATCH_KEYS = {"score": int, "source": str, "target": str, "origin": str, "status": str}


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
    schema: int = field(default=SCHEMA, compare=False)  # of the file it was read from (1: to migrate)

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
        segments per status, the engines of the machine segments, and the translation-memory
        units of the file (`units`: the index skips a file with none without parsing it)."""
        engines = sorted({(r.engine, r.model, r.model_hash) for r in self.segments if r.engine and not r.human})
        summary = {**self.counts(), "engines": [list(e) for e in engines], "lost": len(self.lost()),
                   "units": self.units()}
        unsettled = len(self.unsettled())
        if unsettled != summary["lost"]:  # written only when some English was moved (older files stay as they are)
            summary["unsettled"] = unsettled
        return summary

    def units(self) -> int:
        """The translation-memory units the file holds, live and retired (`Record.holds_unit`)."""
        return sum(r.holds_unit for r in (*self.segments, *self.retired))

    def lost(self) -> list[Record]:
        """Retired English a person wrote or approved that is not on the page (nor kept beside the English
        that replaced it, as a live segment's `previous_final`), awaiting a decision: restore or dismiss."""
        shown = {r.final for r in self.segments} | {r.previous_final for r in self.segments}
        return [r for r in self.retired if r.awaits_decision
                and ((r.own_english and r.final.strip() and r.final not in shown) or not self.holds_after(r))]

    def holds_after(self, record: Record) -> bool:
        """A record's added items or rows (none, or moved to a live record's `after`: whole lines) are on the page."""
        return not record.after.strip() or any(f"\n{record.after}\n" in f"\n{s.after}\n" for s in self.segments)

    def unsettled(self) -> list[Record]:
        """`lost()` and the retired English the tool itself marked `moved` (an exact match put it on
        another page): `check` confirms against every document's live segments that each one is on
        some page, and reports the others. A move the tool recorded is not a person's decision: the
        page it went to may since have been refused, failed, or changed again."""
        shown = {r.final for r in self.segments} | {r.previous_final for r in self.segments}
        moved = [r for r in self.retired if r.decision == "moved" and r.own_english and r.final.strip()
                 and r.final not in shown]
        return self.lost() + moved

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
        data = {**header, "segments": [r.to_json() for r in self.segments]}
        if self.retired:
            data["retired"] = [r.to_json() for r in self.retired]
        return (json_text.dumps(data) + "\n").encode("utf-8")  # json.dumps(data, ensure_ascii=False, indent=1)


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
    if schema not in READABLE or isinstance(schema, bool):
        raise MemoryCorrupt(
            f"unknown memory schema {schema!r}; this workflow reads schema {', '.join(map(str, READABLE))}. "
            "Upgrade workflow or restore the file from git.",
            path=path,
        )
    problem = _check_types(raw)
    if problem is not None:
        what, needle = problem
        raise MemoryCorrupt(f"memory file is not valid: {what}. Restore it from git.", path=path,
                            line=_line_of(data, needle))
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
        extra={k: v for k, v in raw.items() if k not in HEADER_KEYS},
        schema=schema,
    )


HEADER_KEYS = {"schema", "source", "output", "source_hash", "output_hash", "output_hash_previous",
               "glossary_hash", "engine", "translated_at", "segments", "retired", "summary"}
HEADER_TYPES = {"source": str, "output": str, "source_hash": str, "output_hash": str, "output_hash_previous": str,
                "glossary_hash": str, "engine": str, "translated_at": str, "segments": list, "retired": list}
REQUIRED_HEADER = ("source", "output", "source_hash", "output_hash")


def _check_types(raw: dict[str, Any]) -> tuple[str, str] | None:
    """The schema, checked by hand (a dozen fields; a schema library would cost more than the parse):
    (what is wrong, a text near it in the file) or None."""
    for key in REQUIRED_HEADER:
        if key not in raw:
            return f"`{key}` is missing", '"schema"'
    for key, kind in HEADER_TYPES.items():
        if key in raw and not isinstance(raw[key], kind):
            return f"`{key}` must be {_type_name(kind)}", f'"{key}":'
    for group in ("segments", "retired"):
        for n, record in enumerate(raw.get(group, [])):
            problem = _check_record(record)
            if problem is not None:
                near = json.dumps(record.get("id", ""), ensure_ascii=False) if isinstance(record, dict) else f'"{group}"'
                return f"{group}[{n}]: {problem}", near
    return None


def _check_record(record: Any) -> str | None:
    if not isinstance(record, dict):
        return "must be an object"
    for key in REQUIRED:
        if key not in record:
            return f"`{key}` is missing"
    for key, value in record.items():
        kind = TYPES.get(key)
        if kind is None:
            continue
        ok = (isinstance(value, list) and all(isinstance(v, str if key == "reasons" else dict) for v in value)
              if kind is tuple else isinstance(value, kind) and not isinstance(value, bool))
        if not ok:
            return f"`{key}` must be {_type_name(list if kind is tuple else kind)}"
        if key == "status" and value not in STATUSES:
            return f"`status` must be one of {', '.join(STATUSES)}, not {value!r}"
    return None


def _type_name(kind: type) -> str:
    return {str: "a string", int: "an integer", list: "a list", dict: "an object"}[kind]


def _line_of(data: bytes, needle: str) -> int:
    at = data.find(needle.encode("utf-8"))
    return data.count(b"\n", 0, at) + 1 if at >= 0 else 1


def load(path: Path, shown: str) -> Memory | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return parse(data, shown)
