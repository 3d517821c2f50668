"""A memory file's hashes and status counts, read without parsing its segments.

`check` needs, for most documents, only what a memory file records at its top level
(source and English hashes, engine, time), how many segments are in each status, and
which engines made them. Parsing the whole JSON costs ten times more than hashing the
Chinese, so `scan` reads those from the canonical layout `Memory.to_bytes` writes:
one key per line, top-level keys indented by one space, segment keys by three, keys
sorted, and JSON strings never hold a raw newline. The top-level keys are parsed as
JSON (the text before and after the segments array); the segments are only split at
their status lines. Anything unexpected returns None and the caller parses the file
in full, so a hand-formatted or damaged file is never misread, only read more slowly.

Two top-level keys serve it (`Memory.to_bytes` writes both): `glossary_hash` (the
glossary the segments' fingerprints were computed with) and `summary` (derived from
the segments on every write: counts per status and the engines of the machine
segments), which spares the pass over the segments. A memory written before they
existed is still read: the counts then come from the segments' status lines.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from workflow.store.memory import HEADER_TYPES, READABLE, STATUSES, EngineInfo, Memory, model_stale

SEGMENTS = b'\n "segments": ['
STATUS = b'\n   "status": "'  # a segment's status line (segment keys are indented by three)
ENGINE = b'\n  {\n   "engine": '  # a segment that names an engine (its first key)
BY_BYTES = {status.encode(): status for status in STATUSES}
KEYS = (*STATUSES, "total")
CONFLICT = b"\n<<<<<<<"  # a git merge conflict left in the file

Engine = tuple[str, str, str]  # (engine, model, model_hash), as model staleness compares them


@dataclass(kw_only=True, slots=True)  # not frozen: a frozen init costs 4 us, made once per document per run
class Header:
    schema: int
    source_hash: str
    output_hash: str
    output_hash_previous: str
    engine: str
    translated_at: str
    glossary_hash: str  # proposed field; "" when the memory does not record it
    counts: dict[str, int]  # per status, and "total"
    model_current: bool  # True: no machine segment comes from another engine or model than the configured one
    lost: int = 0  # retired English of a person awaiting a decision (summary["lost"]; schema 1 has none)
    unsettled: int = 0  # lost, plus English the tool moved to another page (summary["unsettled"], else lost)
    # translation-memory units (summary["units"]; None: not recorded, read the file); a hint, not compared
    units: int | None = field(default=None, compare=False)

    def records_output(self, output_hash: str) -> bool:
        return output_hash in (self.output_hash, self.output_hash_previous)

    @classmethod
    def of(cls, memory: Memory, info: EngineInfo | None) -> Header:
        return cls(schema=memory.schema, source_hash=memory.source_hash, output_hash=memory.output_hash,
                   output_hash_previous=memory.output_hash_previous, engine=memory.engine,
                   translated_at=memory.translated_at, glossary_hash=memory.glossary_hash, counts=memory.counts(),
                   model_current=not any(model_stale(r, info) for r in memory.segments), lost=len(memory.lost()),
                   unsettled=len(memory.unsettled()), units=memory.units())


def scan(data: bytes, info: EngineInfo | None) -> Header | None:
    """The header of a memory file in canonical layout; None when it is not (parse it instead)."""
    if not data.startswith(b'{\n "') or not data.endswith(b"\n}\n") or _conflict(data):
        return None
    seg = data.find(SEGMENTS)
    top = _top_level(data, seg) if seg > 0 else None
    if top is None or top.get("schema") not in READABLE or isinstance(top.get("schema"), bool):
        return None
    if not _types_ok(top) or (top.get("schema") == 1 and top.get("retired")):
        return None  # mistyped (parse it: that names the problem), or schema 1, which does not count the lost English: parse the file to count it
    values = [top.get(key, default) for key, default in (
        ("source_hash", None), ("output_hash", None), ("output_hash_previous", ""), ("engine", ""),
        ("translated_at", ""), ("glossary_hash", ""))]
    strings = [v for v in values if isinstance(v, str)]
    if len(strings) != len(values):
        return None
    found = _summary(top.get("summary"))
    if found is not None:
        counts, engines = found
        current = info is None or all(e == (info.name, info.model, info.model_hash) for e in engines)
    else:
        scanned = _segments(data, seg)
        if scanned is None:
            return None
        counts, current = scanned, _model_current(data, seg, info)
    source_hash, output_hash, previous, engine, translated_at, glossary_hash = strings
    return Header(schema=top["schema"], source_hash=source_hash, output_hash=output_hash, output_hash_previous=previous, engine=engine, translated_at=translated_at, glossary_hash=glossary_hash, counts=counts, model_current=current, lost=_lost(top.get("summary")), unsettled=_lost(top.get("summary"), "unsettled"), units=_units(top.get("summary")))


HEAD = 2048  # bytes: a header (paths, hashes, glossary identity, summary) takes about 700
HEADER_START = b'{\n "schema": '


def read_head(path: str) -> tuple[bytes, int, bool] | None:
    """The first HEAD bytes of a memory file, its size, and whether it ends as `to_bytes` ends
    a file (a truncated file does not); None when it does not exist. One open, no full read."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        head = os.read(fd, HEAD)
        size = os.fstat(fd).st_size
        tail = head[-3:] if size <= len(head) else os.pread(fd, 3, size - 3)
        return head, size, tail == b"\n}\n"
    except IsADirectoryError:
        return None
    finally:
        os.close(fd)


def scan_head(head: bytes, ends_well: bool, info: EngineInfo | None) -> Header | None:
    """The header from the start of a memory file as `Memory.to_bytes` writes it (header keys
    first, then the segments), without reading the segments; None: read the file in full.

    Integrity is checked where a damage would show: a merge conflict changes the header
    (every change of a memory changes its hashes or summary), and a truncated file loses
    its closing bytes, which `read_head` reads too.
    """
    seg = head.find(SEGMENTS)
    if not ends_well or seg < 0 or not head.startswith(HEADER_START):
        return None
    prefix = head[:seg]
    if b"<" in prefix:  # no header value holds one; a merge conflict's markers do
        return None
    try:
        top = _decode(prefix.decode()[:-1] + "\n}")  # the prefix ends with the comma before "segments"
    except ValueError:
        return None
    return _header(top, info) if type(top) is dict else None


_decode = json.JSONDecoder().decode
_STRINGS = (("source_hash", None), ("output_hash", None), ("output_hash_previous", ""), ("engine", ""),
            ("translated_at", ""), ("glossary_hash", ""))


def _header(top: dict[str, Any], info: EngineInfo | None) -> Header | None:
    """A Header from parsed top-level keys that carry a well-formed `summary` (schema 2 on: schema 1
    does not count the lost English, its retired records follow the segments). Run for every
    document by `check`, `translate` and `review`, so it tests types by hand, key by key."""
    schema = top.get("schema")
    if type(schema) is not int or schema not in READABLE or schema == 1:
        return None
    strings: list[str] = []
    for key, default in _STRINGS:
        value = top.get(key, default)
        if type(value) is not str:
            return None
        strings.append(value)
    summary = top.get("summary")
    found = _summary(summary)
    if found is None or not _types_ok(top):
        return None
    counts, engines = found
    current = info is None or all(e == (info.name, info.model, info.model_hash) for e in engines)
    source_hash, output_hash, previous, engine, translated_at, glossary_hash = strings
    return Header(schema=schema, source_hash=source_hash, output_hash=output_hash, output_hash_previous=previous,
                  engine=engine, translated_at=translated_at, glossary_hash=glossary_hash, counts=counts,
                  model_current=current, lost=_lost(summary), unsettled=_lost(summary, "unsettled"),
                  units=_units(summary))


def _units(summary: Any) -> int | None:
    units = summary.get("units") if type(summary) is dict else None
    return units if type(units) is int and units >= 0 else None


def _types_ok(top: dict[str, Any]) -> bool:
    """The header's keys have their schema's types (a mistyped one: parse the file, which names it)."""
    for key, value in top.items():
        kind = HEADER_TYPES.get(key)
        if kind is not None and key != "segments" and not isinstance(value, kind):
            return False
    return True


def _lost(summary: Any, key: str = "lost") -> int:
    """summary[key]; `unsettled` defaults to `lost` (written only when they differ)."""
    if not isinstance(summary, dict):
        return 0
    lost = summary.get(key, summary.get("lost", 0))
    return lost if type(lost) is int else 0


def _conflict(data: bytes) -> bool:
    """A git merge conflict left in the file (a one-byte search first: most files hold no "<")."""
    first = data.find(b"<")
    return first >= 0 and data.find(CONFLICT, first - 1) >= 0


def _top_level(data: bytes, seg: int) -> dict[str, Any] | None:
    """Every top-level key but "segments", parsed as JSON: the text before the segments array and after it."""
    first = data[seg + 1:data.find(b"\n", seg + 1)]
    if first.endswith((b"[],", b"[]")):  # no segments: the array closes on its own line
        after = seg + 1 + len(first) - (1 if first.endswith(b",") else 0)
    else:
        after = data.rfind(b"\n ]", seg) + 3  # where the array closes (indent 1)
        if after < 3:
            return None
    try:
        top = json.loads(data[:seg] + b'\n "segments": 0' + data[after:])
    except ValueError:
        return None
    return top if isinstance(top, dict) else None


def _summary(value: Any) -> tuple[dict[str, int], list[Engine]] | None:
    """A well-formed `summary`, or None (absent or not as `summary` writes it: count the segments)."""
    if type(value) is not dict:
        return None
    counts = {}
    for key in KEYS:
        count = value.get(key)
        if type(count) is not int:
            return None
        counts[key] = count
    listed = value.get("engines")
    if type(listed) is not list:
        return None
    engines: list[Engine] = []
    for e in listed:
        if type(e) is not list or len(e) != 3 or type(e[0]) is not str or type(e[1]) is not str \
                or type(e[2]) is not str:
            return None
        engines.append((e[0], e[1], e[2]))
    return counts, engines


def _segments(data: bytes, seg: int) -> dict[str, int] | None:
    """Segments per status, in one pass: split at the status lines. `Record.to_json` always
    writes the status (it is never empty); an unknown one returns None: parse the file instead."""
    counts = dict.fromkeys(BY_BYTES, 0)
    parts = data[seg:].split(STATUS)
    for part in parts[1:]:
        status = part[:part.find(b'"')]
        if status not in counts:
            return None
        counts[status] += 1
    named = {BY_BYTES[status]: n for status, n in counts.items()}
    named["total"] = len(parts) - 1
    return named


def _model_current(data: bytes, seg: int, info: EngineInfo | None) -> bool:
    """True when every segment that names an engine names the configured engine, model and hash.

    A sufficient condition (reviewed segments of an older model are not stale); when
    it fails, the caller parses the segments and applies `model_stale` to each. A
    segment's "engine", when it has one, is its first key; an engine without a model
    (copy, pseudo) records none, so its name is enough.
    """
    if info is None:
        return True
    engines = data.count(ENGINE, seg)
    if data.count(ENGINE + _json(info.name) + b",", seg) != engines:
        return False
    for key, value in ((b"model", info.model), (b"model_hash", info.model_hash)):
        if value and data.count(b'\n   "' + key + b'": ' + _json(value) + b",", seg) != engines:
            return False
    return True


def _json(value: str) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")
