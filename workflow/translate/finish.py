"""One planned document finished: the engine's sentences restored, verified and typeset,
an editor's earlier work carried over, the Markdown structure checked, memory and English written.

Runs where the document was planned (the run's process, or a `--jobs` worker); what it
needs of the engine is its identity and `EngineInfo`, passed in, never the engine itself.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable, Mapping

from workflow.config import Settings
from workflow.document import assemble
from workflow.document.carry import carry_over, superseded
from workflow.document.output import output_bytes, record_at, write_pair
from workflow.document.plan import Plan, Work, code_options, line_of
from workflow.errors import SkeletonMismatch
from workflow.glossary.enforce import Enforcer, Prepared, Stats
from workflow.glossary.terms import Glossary
from workflow.review import record as review  # `translate --force` adopts an English file without memory
from workflow.store.files import sha256
from workflow.store.memory import EngineInfo, Memory, Record
from workflow.text import skeleton, typography
from workflow.text.code import CODE_KINDS, CodeOptions
from workflow.text.protect import repair
from workflow.text.sentences import join, needs_engine

Outputs = dict[str, tuple[Prepared, str]]  # a sentence's core -> (what the engine saw, what it returned)
NOTHING_TO_TRANSLATE = "nothing to translate: no Chinese text"


# -- one document: machine text, carried edits, checks, writes ----------------------------


@dataclasses.dataclass(frozen=True)
class EngineUse:
    """What finishing needs of the run's engine: None when no sentence of the run so far needed it."""

    info: EngineInfo
    identity: bool


def finish(
    settings: Settings, plan: Plan, outputs: Outputs, engine: EngineUse | None, glossary: Glossary,
    stats: Stats, now: str, fingerprints: Mapping[str, str],
) -> Callable[[], None]:
    """The plan's records from the engine's outputs, checked; returned: the write of memory + English.

    `fingerprints`: the glossary fingerprints of the plan's segment texts, computed beforehand
    (`fingerprints` below). The caller runs the write (in a writer
    thread: its fsyncs wait on the disk while the next document is computed); a write's errors
    are raised by it."""
    identity = engine.identity if engine else True
    enforcer = Enforcer(glossary) if not identity else None
    for index, work in plan.work.items():
        segment = plan.segments[index]
        machine, reasons, used = machine_text(work, outputs, enforcer, identity, stats, settings, segment.single_line, segment.kind)
        fields: dict[str, Any] = dict(
            id=plan.ids[index], kind=segment.kind, line=line_of(plan, segment),
            source_hash=sha256(segment.source), source=segment.source, machine=machine, final=machine,
            status="needs-review" if reasons else "machine", reasons=tuple(reasons),
            glossary=fingerprints[segment.source], translated_at=now,
        )
        # One Record built from its final fields (dataclasses.replace per step re-ran __init__ up to 3 times).
        if used and engine is not None:
            info = engine.info
            fields.update(engine=info.name, model=info.model, version=info.version, model_hash=info.model_hash)
        elif not reasons:
            fields.update(status="reviewed", reviewer="workflow", reasons=(NOTHING_TO_TRANSLATE,))
        if used:
            fields.update(match="fuzzy" if work.matches else "engine", matches=work.matches)
        record = Record.of(fields)
        if work.relation == "changed":
            record = carry_over(record, work.previous, glossary)
            if work.previous is not None and superseded(work.previous, record):
                plan.retired.append(work.previous)
        plan.records[index] = record
    _check_skeleton(plan, code_options(settings))
    if plan.old is None and plan.output_hash is not None:
        # `translate --force` on an English file without memory: its text becomes the editor's version
        review.adopt(settings, plan, glossary, now)
    return _write(settings, plan, glossary, now, engine)


def fingerprints(plans: Iterable[Plan], glossary: Glossary) -> dict[str, str]:
    """The glossary fingerprints of the texts of the segments `finish` will record for `plans`.

    Computed in one pass before a window's documents are finished: computed one document at a
    time, while the writer threads wrote the documents before it, the glossary's matching took
    1.7x the CPU time (measured with `time.thread_time`; the threads' hand-offs of the interpreter
    lock and their system calls in between)."""
    return {plan.segments[index].source: glossary.fingerprint(plan.segments[index].source)
            for plan in plans for index in plan.work}


def machine_text(
    work: Work, outputs: Outputs, enforcer: Enforcer | None, identity: bool, stats: Stats,
    settings: Settings, single_line: bool, kind: str,
) -> tuple[str, list[str], bool]:
    """The segment's English from the engine's sentences: restored, verified, typeset."""
    reasons: list[str] = []
    cores: list[str] = []
    used = False
    for unit in work.units:
        if not needs_engine(unit.core, settings.copy_untranslatable):
            # No Chinese: copied, with the glossary's spelling of names (`Redhat` -> `Red Hat`).
            copied = enforcer.apply(unit.core, stats) if enforcer else unit.core
            used = used or copied != unit.core
            cores.append(copied)
            continue
        used = True
        prepared, out = outputs[unit.core]
        if not identity and out == prepared.text and typography.han_left(out):
            # The engine gave nothing (llm: no usable answer); the Chinese stays, flagged.
            reasons.append("the engine gave no translation for a sentence; its Chinese is kept")
            cores.append(unit.core)
            continue
        if enforcer:
            out, problems = enforcer.finish(out, prepared, stats)
            reasons += problems
        out, problems = repair(out, unit.core)
        reasons += problems
        if not identity:
            out = typography.english(out)
            out = out if kind.startswith("meta:") or kind in CODE_KINDS else typography.escape_inline(out)  # not Markdown
            if not out.strip():
                reasons.append("engine returned no text for a sentence")
        cores.append(out)
    joined = join(work.units, cores)
    if not identity and joined != work.masked.text:
        if not kind.startswith("meta:") and kind not in CODE_KINDS:
            joined = typography.escape_block_starts(joined, single_line)
        if kind == "table-cell":
            joined = typography.escape_pipes(joined)
        left = typography.han_left(joined)
        if left:
            reasons.append(f"Chinese left in the English: {''.join(dict.fromkeys(left))}")
    return work.masked.unmask(joined), list(dict.fromkeys(reasons)), used


def _check_skeleton(plan: Plan, code: CodeOptions) -> None:
    """The machine English must have the Chinese structure; a segment that breaks it keeps its Chinese."""
    body = [(i, s) for i, s in enumerate(plan.segments) if s.pieces]
    source = plan.post.body

    def english(override: dict[int, str] | None = None) -> str:
        texts = [(override or {}).get(i, record_at(plan, i).machine) for i, _ in body]
        return assemble.body(source, [s for _, s in body], texts)

    first = english()
    if first == source or not skeleton.difference(source, first, code):  # the same text has the same structure
        return
    for index in plan.work:
        if plan.segments[index].pieces and skeleton.difference(source, english({i: s.source for i, s in body if i != index}), code):
            record = record_at(plan, index)
            plan.records[index] = dataclasses.replace(record, machine=record.source, final=record.source, status="needs-review",
                reasons=record.reasons + ("the translation broke the Markdown structure; the Chinese is kept",))
    problem = skeleton.difference(source, english(), code)
    if problem:
        raise SkeletonMismatch(f"the English would not have the structure of the Chinese ({problem}); nothing written. "
                               "Please report this as a bug.", path=plan.shown)


def _write(settings: Settings, plan: Plan, glossary: Glossary, now: str, engine: EngineUse | None) -> Callable[[], None]:
    """The English and memory rendered now; written when the returned call runs."""
    records = [record_at(plan, i) for i in range(len(plan.segments))]
    data = output_bytes(settings, plan, glossary)
    new_hash = sha256(data)
    memory = Memory(
        source=plan.shown, output=plan.output_rel or settings.rel(plan.output_path), source_hash=plan.source_hash,
        output_hash=new_hash,
        engine=engine.info.label if engine else (plan.old.engine if plan.old else ""),
        translated_at=now if plan.work else (plan.old.translated_at if plan.old else now),
        segments=tuple(records), retired=tuple(plan.retired), glossary_hash=glossary.identity,
        extra=dict(plan.old.extra) if plan.old else {},  # what review keeps there (front_matter_terms)
    )
    return lambda: write_pair(plan.memory_path, memory, plan.output_path, data, plan.output_hash)
