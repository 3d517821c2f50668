"""`translate`: the one module that knows the order of the stages.

read -> segment -> protect -> (glossary) -> engine, batched across the whole run ->
restore + verify -> typography -> reassemble -> skeleton check -> memory + English,
written atomically (memory first, marked in flight, then the English, then memory
again), so a crash leaves files that the next run accepts as its own.
"""

from __future__ import annotations

import dataclasses
import datetime
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterable

from workflow.config import Settings
from workflow.document import assemble
from workflow.document.carry import carry_over, superseded
from workflow.document.output import output_bytes, record_at, write_pair
from workflow.document.plan import Plan, Work, line_of, match_levels, plan_document, units_needing_engine
from workflow.document.reuse import settle_moves
from workflow.engines import Engine, load_engine
from workflow.engines import hints as engine_hints
from workflow.errors import ModelNotInstalled, SkeletonMismatch, UnrecordedEdits, WorkflowError
from workflow.glossary.enforce import Enforcer, Prepared, Stats
from workflow.glossary.terms import Glossary
from workflow.glossary.terms import load as load_glossary
from workflow.review import record as review  # `translate --force` records the English file's edits first
from workflow.store.documents import sources
from workflow.store.files import atomic_write, links_not_followed, sha256, stale_temp_files, write_error
from workflow.store.memory import EngineInfo, Memory, Record
from workflow.store.tm import LazyIndex
from workflow.text import skeleton, typography
from workflow.text.protect import repair
from workflow.text.sentences import join, needs_engine

ProgressFactory = Callable[[int], ContextManager[Any]]
Outputs = dict[str, tuple[Prepared, str]]  # a sentence's core -> (what the engine saw, what it returned)
NOTHING_TO_TRANSLATE = "nothing to translate: no Chinese text"
MATCH_LEVELS = ("context", "exact", "fuzzy", "engine", "carried")  # as CAT tools count them


@dataclass(frozen=True, kw_only=True)
class DocumentResult:
    source: str
    output: str
    state: str  # unchanged | translated | would-translate | refused | error
    segments: int = 0
    translated: int = 0  # segments the engine (re)translated in this run
    needs_review: int = 0
    matches: dict[str, int] = field(default_factory=dict)  # segments per match level (see MATCH_LEVELS)
    message: str = ""
    exit_code: int = 0


@dataclass
class RunReport:
    documents: list[DocumentResult] = field(default_factory=list)
    engine: str = ""
    engine_texts: int = 0  # distinct sentences sent to the engine
    glossary: Stats = field(default_factory=Stats)
    warnings: list[str] = field(default_factory=list)
    memory_units: int = 0  # units in the project's translation memory (0: not read this run)

    @property
    def exit_code(self) -> int:
        return max((d.exit_code for d in self.documents), default=0)

    def matches(self) -> dict[str, int]:
        """Segments per match level over the documents this run (re)planned."""
        totals = dict.fromkeys(MATCH_LEVELS, 0)
        for doc in self.documents:
            for level, n in doc.matches.items():
                totals[level] = totals.get(level, 0) + n
        return totals


class EngineSlot:
    """Creates the engine only when asked; remembers why it could not.

    `install_model(package)` is called when a sentence needs an engine whose model
    is not installed (the CLI downloads it with a progress bar); asking only for the
    engine's identity never installs anything.
    """

    def __init__(self, settings: Settings, engine: Engine | None = None,
                 install_model: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self._engine = engine
        self.install_model = install_model
        self.error: WorkflowError | None = None

    def get(self, install: bool = True) -> Engine:
        if self._engine is None:
            try:
                self._engine = load_engine(self.settings)
            except ModelNotInstalled as exc:
                if not install or self.install_model is None:
                    raise
                self.install_model(exc.package)
                self._engine = load_engine(self.settings)
        return self._engine

    def info(self) -> EngineInfo | None:
        try:
            return self.get(install=False).info
        except WorkflowError as exc:
            self.error = exc
            return None


def translate(
    settings: Settings,
    paths: Iterable[Path] = (),
    *,
    dry_run: bool = False,
    engine: Engine | None = None,
    progress: ProgressFactory | None = None,
    force: bool = False,
    install_model: Callable[[str], None] | None = None,
) -> RunReport:
    """`force`: record an English file's unrecorded edits first (`review`), and adopt an
    English file that has no memory as the editor's version of fresh machine records."""
    glossary = load_glossary(settings.glossary, settings.root)
    slot = EngineSlot(settings, engine, install_model)
    report = RunReport()
    paths = list(paths)
    report.warnings += [] if paths else [
        f"{settings.rel(link)}: a symbolic link to a folder or to nothing; not followed (check does not follow it "
        "either). Replace it with the real folder or file." for link in links_not_followed(settings.source)]
    plans: list[Plan] = []
    if not dry_run:
        report.warnings += _remove_stale_temp_files(settings)
    tm = LazyIndex(settings.memory_root, settings.rel(settings.memory_root))  # read on first need only
    for path in sources(settings, paths):
        try:
            plan = _plan(settings, path, glossary, slot, force and not dry_run, tm)
        except WorkflowError as exc:
            report.documents.append(DocumentResult(source=settings.rel(path), output="", state=_state(exc), message=str(exc), exit_code=exc.exit_code))
            continue
        report.warnings += plan.post.warnings
        if plan.unchanged:
            if plan.refresh and plan.old is not None and not dry_run:  # memory learns the new glossary
                try:
                    atomic_write(plan.memory_path, dataclasses.replace(plan.old, glossary_hash=glossary.identity).to_bytes())
                except OSError as exc:
                    error = write_error(exc, settings.rel(plan.memory_path))
                    report.documents.append(_result(settings, plan, "error", error))
                    continue
            report.documents.append(_result(settings, plan, "unchanged"))
        else:
            plans.append(plan)
    report.memory_units = len(tm.get()) if tm.built else 0
    if dry_run:
        report.documents += [_result(settings, p, "would-translate") for p in plans]
        return report
    outputs = _run_engine(settings, plans, slot, glossary, report, progress, tm)
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    settle_moves([p.retired for p in plans], [r for p in plans for r in p.records], now)
    for plan in plans:
        try:
            _finish(settings, plan, outputs, slot, glossary, report.glossary, now)
            report.documents.append(_result(settings, plan, "translated"))
        except WorkflowError as exc:
            report.documents.append(_result(settings, plan, _state(exc), exc))
    report.documents.sort(key=lambda d: d.source)
    return report


def _remove_stale_temp_files(settings: Settings) -> list[str]:
    """A crashed run's temporary files (the tool's own names, in the output tree only): removed, and said."""
    said = []
    for path in stale_temp_files(settings.output):
        try:
            path.unlink()
            said.append(f"{settings.rel(path)}: removed a temporary file a crashed run left")
        except OSError as exc:
            said.append(f"{settings.rel(path)}: a temporary file a crashed run left cannot be removed ({exc.strerror})")
    return said


def _plan(settings: Settings, path: Path, glossary: Glossary, slot: EngineSlot, force: bool, tm: LazyIndex) -> Plan:
    try:
        return plan_document(settings, path, glossary, slot.info(), tm=tm)
    except UnrecordedEdits:
        if not force:
            raise
    if not review.has_memory(settings, path):
        return plan_document(settings, path, glossary, slot.info(), adopt=True, tm=tm)
    review.record_or_raise(settings, path)
    return plan_document(settings, path, glossary, slot.info(), tm=tm)


def _state(exc: WorkflowError) -> str:
    return "refused" if exc.exit_code == 1 else "error"


def _result(settings: Settings, plan: Plan, state: str, exc: WorkflowError | None = None) -> DocumentResult:
    records = [r for r in plan.records if r is not None] if not plan.unchanged else list(plan.old.segments if plan.old else [])
    return DocumentResult(
        source=plan.shown,
        output=settings.rel(plan.output_path),
        state=state,
        segments=len(plan.segments) if not plan.unchanged else len(records),
        translated=len(plan.work) if state != "unchanged" else 0,
        needs_review=sum(1 for r in records if r.status == "needs-review"),
        matches=match_levels(plan, MATCH_LEVELS) if state != "unchanged" else {},
        message=str(exc) if exc else "",
        exit_code=exc.exit_code if exc else 0,
    )


# -- the engine, once for the whole run --------------------------------------------------


def _run_engine(
    settings: Settings, plans: list[Plan], slot: EngineSlot, glossary: Glossary, report: RunReport,
    progress: ProgressFactory | None, tm: LazyIndex,
) -> Outputs:
    """Every sentence of the run that needs the engine, deduplicated, in one call."""
    wanted = [(plan, i, u) for plan in plans for i, u in units_needing_engine(plan, settings.copy_untranslatable)]
    if not wanted:
        return {}
    engine = slot.get()
    report.engine = engine.info.label
    enforcer = None if engine.identity else Enforcer(glossary)
    prepared: dict[str, Prepared] = {}  # core -> what the engine sees for it, prepared once
    for plan, i, u in wanted:
        core = plan.work[i].units[u].core
        if core not in prepared:
            prepared[core] = enforcer.prepare(core) if enforcer else Prepared(core)
    inputs = list(dict.fromkeys(p.text for p in prepared.values()))
    report.engine_texts = len(inputs)
    engine_hints.give(engine, _hints(settings, wanted, prepared, tm))
    with progress(len(inputs)) if progress else nullcontext() as bar:
        translated = engine.translate(inputs, bar.update if bar is not None else None)
    report.warnings += [f"no translation for {text!r}: {why}" for text, why in getattr(engine, "failures", {}).items()]
    if len(translated) != len(inputs):
        raise WorkflowError(f"engine {engine.info.label} returned {len(translated)} texts for {len(inputs)}.")
    by_text = dict(zip(inputs, translated))
    return {core: (p, by_text[p.text]) for core, p in prepared.items()}


def _hints(settings: Settings, wanted: list[tuple[Plan, int, int]], prepared: dict[str, Prepared],
           tm: LazyIndex) -> engine_hints.Hints:
    """For engines that read them (llm): each text's glossary entries, and house-style examples:
    the translation memory's nearest reviewed matches, then the recent reviewed segments of the
    text's documents."""
    terms = {p.text: tuple((f"<x{t.number}/>" if not t.paired else f"<g{t.number}>", t.entry.zh, t.english)
                           for t in p.terms) for p in prepared.values() if p.terms}
    documents: dict[str, dict[int, Memory]] = {}
    for plan, i, u in wanted:
        if plan.old is not None:
            documents.setdefault(prepared[plan.work[i].units[u].core].text, {})[id(plan.old)] = plan.old
    by_text = {text: list(memories.values()) for text, memories in documents.items()}
    recent = engine_hints.RecentReviewed(by_text, settings.llm.examples)
    nearest = engine_hints.Nearest(tm, settings.fuzzy_threshold, recent, settings.llm.examples)
    return engine_hints.Hints(terms=terms, examples=nearest)


# -- one document: machine text, carried edits, checks, writes ----------------------------


def _finish(
    settings: Settings, plan: Plan, outputs: Outputs, slot: EngineSlot, glossary: Glossary,
    stats: Stats, now: str,
) -> None:
    engine = slot.get() if outputs else None
    identity = engine.identity if engine else True
    enforcer = Enforcer(glossary) if not identity else None
    for index, work in plan.work.items():
        segment = plan.segments[index]
        machine, reasons, used = machine_text(work, outputs, enforcer, identity, stats, settings, segment.single_line, segment.kind)
        record = Record(
            id=plan.ids[index], kind=segment.kind, line=line_of(plan, segment),
            source_hash=sha256(segment.source), source=segment.source, machine=machine, final=machine,
            status="needs-review" if reasons else "machine", reasons=tuple(reasons),
            glossary=glossary.fingerprint(segment.source), translated_at=now,
        )
        if used and engine is not None:
            info = engine.info
            record = dataclasses.replace(record, engine=info.name, model=info.model, version=info.version,
                                         model_hash=info.model_hash)
        elif not reasons:
            record = dataclasses.replace(record, status="reviewed", reviewer="workflow", reasons=(NOTHING_TO_TRANSLATE,))
        if used:
            record = dataclasses.replace(record, match="fuzzy" if work.matches else "engine", matches=work.matches)
        if work.relation == "changed":
            record = carry_over(record, work.previous, glossary)
            if work.previous is not None and superseded(work.previous, record):
                plan.retired.append(work.previous)
        plan.records[index] = record
    _check_skeleton(plan)
    if plan.old is None and plan.output_hash is not None:
        # `translate --force` on an English file without memory: its text becomes the editor's version
        review.adopt(settings, plan, glossary, now)
    _write(settings, plan, glossary, now, engine)


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
            out = out if kind.startswith("meta:") else typography.escape_inline(out)  # front matter is not Markdown
            if not out.strip():
                reasons.append("engine returned no text for a sentence")
        cores.append(out)
    joined = join(work.units, cores)
    if not identity and joined != work.masked.text:
        if not kind.startswith("meta:"):
            joined = typography.escape_block_starts(joined, single_line)
        if kind == "table-cell":
            joined = typography.escape_pipes(joined)
        left = typography.han_left(joined)
        if left:
            reasons.append(f"Chinese left in the English: {''.join(dict.fromkeys(left))}")
    return work.masked.unmask(joined), list(dict.fromkeys(reasons)), used


def _check_skeleton(plan: Plan) -> None:
    """The machine English must have the Chinese structure; a segment that breaks it keeps its Chinese."""
    body = [(i, s) for i, s in enumerate(plan.segments) if s.pieces]
    source = plan.post.body

    def english(override: dict[int, str] | None = None) -> str:
        texts = [(override or {}).get(i, record_at(plan, i).machine) for i, _ in body]
        return assemble.body(source, [s for _, s in body], texts)

    if not skeleton.difference(source, english()):
        return
    for index in plan.work:
        if plan.segments[index].pieces and skeleton.difference(source, english({i: s.source for i, s in body if i != index})):
            record = record_at(plan, index)
            plan.records[index] = dataclasses.replace(record, machine=record.source, final=record.source, status="needs-review",
                reasons=record.reasons + ("the translation broke the Markdown structure; the Chinese is kept",))
    problem = skeleton.difference(source, english())
    if problem:
        raise SkeletonMismatch(f"the English would not have the structure of the Chinese ({problem}); nothing written. "
                               "Please report this as a bug.", path=plan.shown)


def _write(settings: Settings, plan: Plan, glossary: Glossary, now: str, engine: Engine | None) -> None:
    records = [record_at(plan, i) for i in range(len(plan.segments))]
    data = output_bytes(settings, plan, glossary)
    new_hash = sha256(data)
    memory = Memory(
        source=plan.shown, output=settings.rel(plan.output_path), source_hash=plan.source_hash, output_hash=new_hash,
        engine=engine.info.label if engine else (plan.old.engine if plan.old else ""),
        translated_at=now if plan.work else (plan.old.translated_at if plan.old else now),
        segments=tuple(records), retired=tuple(plan.retired), glossary_hash=glossary.identity,
        extra=dict(plan.old.extra) if plan.old else {},  # what review keeps there (front_matter_terms)
    )
    write_pair(plan.memory_path, memory, plan.output_path, data, plan.output_hash)
