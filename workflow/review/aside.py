"""`review --set-aside`: the way out after a refusal.

An English file whose edits `review` cannot record blocks `review` and `translate` for
that article. Setting it aside copies the editor's file, byte for byte, next to the memory
(`output_en/.workflow/<article>.md.aside-<time>.md`; never deleted, never overwritten) and
writes the English again from memory, so the editor can redo the edit in smaller steps,
copying from the set-aside file. Nothing of memory changes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from workflow.config import Settings
from workflow.document.output import output_bytes, write_pair
from workflow.errors import WorkflowError
from workflow.glossary.terms import Glossary
from workflow.glossary.terms import load as load_glossary
from workflow.review.record import load
from workflow.store.documents import sources
from workflow.store.files import atomic_write, sha256


class CannotSetAside(WorkflowError):
    exit_code = 1


@dataclass(frozen=True)
class SetAside:
    source: str
    output: str
    aside: str  # where the editor's file went ("" when there was nothing to set aside)
    message: str = ""
    exit_code: int = 0


def aside_path(memory_path: Path, stamp: str) -> Path:
    """A new file next to the memory; a second one in the same second gets a number."""
    safe = stamp.replace(":", "").replace("+0000", "Z").replace("+00:00", "Z")
    candidate = memory_path.with_name(f"{memory_path.name.removesuffix('.json')}.aside-{safe}.md")
    number = 2
    while candidate.exists():
        candidate = memory_path.with_name(f"{memory_path.name.removesuffix('.json')}.aside-{safe}-{number}.md")
        number += 1
    return candidate


def set_aside(settings: Settings, paths: Iterable[Path], now: str) -> list[SetAside]:
    glossary = load_glossary(settings.glossary, settings.root)
    done: list[SetAside] = []
    for source in sources(settings, paths):
        try:
            done.append(_one(settings, source, glossary, now))
        except WorkflowError as exc:
            done.append(SetAside(source=settings.rel(source), output="", aside="", message=str(exc),
                                 exit_code=exc.exit_code))
    return done


def _one(settings: Settings, source: Path, glossary: Glossary, now: str) -> SetAside:
    doc = load(settings, source)
    assert doc.english is not None
    plan = doc.plan
    out = settings.rel(plan.output_path)
    if doc.memory.output_is_recorded(plan.output_hash):
        return SetAside(source=plan.shown, output=out, aside="")  # nothing unrecorded
    if not doc.current:
        raise CannotSetAside("the Chinese changed since memory was written: run `workflow review` (it records "
                             "what it can) or `workflow translate --force`, then set aside.", path=out)
    target = aside_path(plan.memory_path, now)
    atomic_write(target, doc.english)  # first: the editor's file is safe before the English is rewritten
    data = output_bytes(settings, plan, glossary)
    memory = dataclasses.replace(doc.memory, output_hash=sha256(data), output_hash_previous="")
    write_pair(plan.memory_path, memory, plan.output_path, data, plan.output_hash)
    return SetAside(source=plan.shown, output=out, aside=settings.rel(target))
