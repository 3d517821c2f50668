"""Records -> the English file, and the English file and memory written as a pair.

`output_bytes` renders what the English file holds for a plan's records (finals in
the Chinese markup, front matter by policy, the provenance summary); `write_pair`
writes memory and English so a crash at any point leaves files the next run accepts.
Both translate and review write through here.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Sequence

from workflow.config import Settings
from workflow.document import assemble
from workflow.document.plan import Plan
from workflow.glossary.terms import Glossary
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
    english_body = assemble.body(plan.post.body, [s for s in plan.segments if s.pieces], [r.final for r in body_records])
    changes = assemble.front_matter_changes(plan.post, meta, settings.front_matter, glossary, provenance(plan, records))
    return encode_text(assemble.render(plan.post, english_body, changes), plan.post.encoding, plan.post.newline)


def write_pair(memory_path: Path, memory: Memory, output_path: Path, data: bytes, current_hash: str | None) -> None:
    """Memory (marked in flight) -> English -> memory, skipping writes that change nothing."""
    old_memory = read_bytes(memory_path)
    final = memory.to_bytes()
    if current_hash == memory.output_hash:
        if old_memory != final:
            atomic_write(memory_path, final)
        return
    if current_hash is None and not memory.output_hash_previous:
        # No English file yet: the memory in flight is the final memory (no previous hash to record),
        # so it is written once, before the English; a crash between leaves memory whose English is
        # missing, which the next run writes again.
        atomic_write(memory_path, final)
        atomic_write(output_path, data)
        return
    in_flight = dataclasses.replace(memory, output_hash_previous=current_hash or "")
    atomic_write(memory_path, in_flight.to_bytes())
    atomic_write(output_path, data)
    atomic_write(memory_path, final)


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
