"""Records -> the English file, and the English file and memory written as a pair.

`output_bytes` renders what the English file holds for a plan's records (finals in
the Chinese markup, front matter by policy, the provenance summary); `write_pair`
writes memory and English so a crash at any point leaves files the next run accepts.
Both translate and review write through here.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any, Sequence

from workflow.config import MEMORY_DIR, Settings
from workflow.document import assemble
from workflow.document.plan import Plan
from workflow.errors import UnrecordedEdits, WorkflowError
from workflow.glossary.terms import Glossary
from workflow.store import files
from workflow.store.files import atomic_write, read_bytes
from workflow.store.memory import Memory, Record
from workflow.store.post import encode_text


def record_at(plan: Plan, index: int) -> Record:
    record = plan.records[index]
    assert record is not None
    return record


def output_bytes(settings: Settings, plan: Plan, glossary: Glossary) -> bytes:
    """The English file for the plan's records: finals in the Chinese markup, front matter by policy."""
    records = [record_at(plan, i) for i in range(len(plan.segments))]
    body_records = [r for r, s in zip(records, plan.segments) if s.pieces]
    meta = {s.kind.split(":", 1)[1]: r for r, s in zip(records, plan.segments) if not s.pieces}
    english_body = assemble.body(plan.post.body, [s for s in plan.segments if s.pieces], [r.final for r in body_records],
                                 [r.markup for r in body_records], [r.after for r in body_records])
    changes = assemble.front_matter_changes(plan.post, meta, settings.front_matter, glossary, provenance(plan, records),
                                            front_matter_terms(plan.old), front_matter_lists(plan.old))
    text = assemble.render(plan.post, english_body, changes)
    first_body_line = text.count("\n", 0, len(text) - len(english_body))
    return encode_text(text, plan.post.encoding, plan.post.newline, plan.post.body_endings, first_body_line)


TERMS_KEY = "front_matter_terms"  # memory header: {key: {Chinese value: the editors' English}} (review)


def front_matter_terms(memory: Memory | None) -> dict[str, dict[str, str]]:
    """The editors' English for glossary-mapped front-matter values (`tags`, `categories`), read defensively."""
    found = memory.extra.get(TERMS_KEY) if memory is not None else None
    if not isinstance(found, dict):
        return {}
    return {k: {zh: en for zh, en in v.items() if isinstance(en, str)} for k, v in found.items() if isinstance(v, dict)}


LISTS_KEY = "front_matter_lists"  # memory header: {key: {"removed": [...], "added": [[after, English]]}} (review)


def front_matter_lists(memory: Memory | None) -> dict[str, dict[str, Any]]:
    """The tags or categories the editors added or removed, per key, read defensively."""
    found = memory.extra.get(LISTS_KEY) if memory is not None else None
    if not isinstance(found, dict):
        return {}
    return {k: v for k, v in found.items() if isinstance(v, dict)}


def write_pair(memory_path: Path, memory: Memory, output_path: Path, data: bytes, current_hash: str | None) -> None:
    """Memory (marked in flight) -> English -> memory, skipping writes that change nothing.

    Under the document's lock (two runs never write one document at once); both paths must
    resolve inside the output folder; the English is replaced only if it still has
    `current_hash` (what the run read): an editor's save meanwhile is kept and the document
    refused (UnrecordedEdits), with the memory as it was."""
    output_root = _output_root(memory_path)
    shown = memory.output or str(output_path)
    files.confined(output_path, output_root, shown)
    files.confined(memory_path, output_root, shown)
    try:
        with files.locked(lock_path(memory_path)):
            _write_pair(memory_path, memory, output_path, data, current_hash, shown)
    except files.Busy:
        raise WorkflowError("another workflow run is writing this document; nothing written. Run again when it "
                            "has finished.", path=shown) from None
    except OSError as exc:
        raise files.write_error(exc, shown) from None


def _write_pair(memory_path: Path, memory: Memory, output_path: Path, data: bytes, current_hash: str | None,
                shown: str) -> None:
    old_memory = read_bytes(memory_path)
    final = memory.to_bytes()
    if current_hash == memory.output_hash:
        if old_memory != final:
            atomic_write(memory_path, final)
        return
    in_flight = dataclasses.replace(memory, output_hash_previous=current_hash or "")
    # No English file yet: nothing to mark in flight, the memory in flight is the final memory,
    # written once (a crash before the English leaves memory whose English the next run writes).
    in_flight_bytes = final if in_flight == memory else in_flight.to_bytes()
    atomic_write(memory_path, in_flight_bytes)
    try:
        atomic_write(output_path, data, expect=current_hash)
    except files.ChangedOnDisk:
        if old_memory is None:
            memory_path.unlink(missing_ok=True)
        else:
            atomic_write(memory_path, old_memory)
        raise UnrecordedEdits(
            f"was saved while this run worked on it; the saved file is kept and nothing was written. Run "
            f"`workflow review {shown}` to record its edits, then run again.", path=shown) from None
    if in_flight_bytes != final:
        atomic_write(memory_path, final)


def lock_path(memory_path: Path) -> files.Lock:
    """The document's lock: one byte of `output_en/.workflow/.locks/documents.lock`, at an offset
    from the hash of the document's path (Linux: a lock file per document cost a file's creation
    per document of a first run); elsewhere `.locks/<hash of the document>.lock`, a short name
    whatever the document's."""
    memory_root = _output_root(memory_path) / MEMORY_DIR
    key = hashlib.sha256(memory_path.relative_to(memory_root).as_posix().encode()).hexdigest()
    if files.RANGE_LOCKS:
        return files.Lock(memory_root / ".locks" / "documents.lock", int(key[:15], 16))  # 60 bits: fits off_t
    return files.Lock(memory_root / ".locks" / f"{key[:32]}.lock")


def _output_root(memory_path: Path) -> Path:
    """The output folder: the parent of the memory folder the memory file lies in."""
    for parent in memory_path.parents:
        if parent.name == MEMORY_DIR:
            return parent.parent
    raise AssertionError(f"{memory_path} is not inside a {MEMORY_DIR}/ folder")


def provenance(plan: Plan, records: Sequence[Record]) -> dict[str, Any]:
    """The summary the English front matter carries, so a site can show the status."""
    engines = sorted({" ".join(p for p in (r.engine, r.model) if p) for r in records if r.engine})
    reviewed = sum(1 for r in records if r.status == "reviewed")
    return {
        "source": plan.shown,
        "source_hash": plan.source_hash,
        "engine": "; ".join(engines) or "none",
        "reviewed": f"{reviewed}/{len(records)}",
    }
