"""`translate`: the one module that knows the order of the stages.

read -> segment -> protect -> (glossary) -> engine, batched across documents ->
restore + verify -> typography -> reassemble -> skeleton check -> memory + English,
written atomically (memory first, marked in flight, then the English, then memory
again), so a crash leaves files that the next run accepts as its own.

The run streams: documents are planned in chunks (`translate.stream`; an unchanged one
is answered from hashes before anything is parsed), their sentences gathered until a
window is full (`WINDOW_SENTENCES` distinct sentences or `WINDOW_DOCUMENTS` documents),
the engine called once per window with all of them, and the window's documents finished,
written and released. Memory stays bounded however many documents there are. With
`jobs` > 1, planning, finishing and writing run in forked worker processes; the engine
stays here, and the windows are the same as with one process, so the files are too.
"""

from __future__ import annotations

import datetime
import functools
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Iterable

from workflow.config import Settings
from workflow.engines import Engine, load_engine
from workflow.errors import ModelNotInstalled, WorkflowError
from workflow.glossary.terms import Glossary
from workflow.glossary.terms import load as load_glossary
from workflow.store.documents import sources
from workflow.store.files import links_not_followed, stale_temp_files
from workflow.store.memory import EngineInfo, Memory
from workflow.store.spread import frozen
from workflow.translate.stream import MATCH_LEVELS, DocumentResult, Job, Local, Pool, new_stats, unchanged

if TYPE_CHECKING:
    from workflow.glossary.enforce import Prepared, Stats
    from workflow.store.tm import LazyIndex
    from workflow.translate.finish import EngineUse, Outputs

# The stages of one document (and the Markdown parser) are imported when a document needs
# them: a run where nothing changed answers from hashes and never loads them.
LAZY = ("NOTHING_TO_TRANSLATE", "carry_over", "machine_text", "superseded")


def __getattr__(name: str) -> Any:
    if name in LAZY:
        from workflow.translate import finish

        return getattr(finish, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

ProgressFactory = Callable[[int], ContextManager[Any]]
CHUNK = 128  # documents planned per request (split among the workers)
WINDOW_SENTENCES = 4000  # distinct sentences that fill a window: the engine's batches stay full
WINDOW_DOCUMENTS = 256  # documents held planned at most, whatever their size
PARALLEL_MIN = 64  # documents; below this a worker process costs more than it saves


@dataclass
class RunReport:
    documents: list[DocumentResult] = field(default_factory=list)
    engine: str = ""
    engine_texts: int = 0  # distinct sentences sent to the engine (per window)
    glossary: Stats = field(default_factory=new_stats)
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

    def uses_hints(self) -> bool:
        """Whether the configured engine reads the run's hints (llm), known without installing anything."""
        try:
            return bool(getattr(self.get(install=False), "uses_hints", False))
        except WorkflowError:
            return False

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
    jobs: int | None = None,
    now: str | None = None,
) -> RunReport:
    """`force`: record an English file's unrecorded edits first (`review`), and adopt an
    English file that has no memory as the editor's version of fresh machine records.
    `jobs`: processes for planning, finishing and writing (default: one per CPU from
    `PARALLEL_MIN` documents on). `now`: the time recorded (default: the clock)."""
    glossary = load_glossary(settings.glossary, settings.root)
    slot = EngineSlot(settings, engine, install_model)
    report = RunReport()
    paths = list(paths)
    report.warnings += [] if paths else [
        f"{settings.rel(link)}: a symbolic link to a folder or to nothing; not followed (check does not follow it "
        "either). Replace it with the real folder or file." for link in links_not_followed(settings.source)]
    if not dry_run:
        report.warnings += _remove_stale_temp_files(settings)
    todo = sources(settings, paths)
    if not todo:
        return report
    stamp = now or datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    job = Job(settings=settings, glossary=glossary, info=slot.info(), force=force and not dry_run, dry_run=dry_run,
              now=stamp, tm=None, hints=slot.uses_hints())
    todo = _answer_unchanged(job, todo, report, jobs)
    if not todo:
        report.documents.sort(key=lambda d: d.source)
        return report
    # The translation memory as it is before this run writes anything: read when a text first needs it,
    # unless a later chunk is planned after earlier windows wrote (then now, and the workers share it).
    from dataclasses import replace

    from workflow.store.tm import LazyIndex

    tm = LazyIndex(settings.memory_root, settings.rel(settings.memory_root), cache=not dry_run)
    if len(todo) > CHUNK:
        tm.get()
    job = replace(job, tm=tm)
    with frozen():  # the state the workers inherit (and the index) out of their garbage collections
        _plan_and_write(job, todo, slot, glossary, report, progress, worker_count(jobs, len(todo)))
    report.memory_units = len(tm.get()) if tm.built else 0
    report.documents.sort(key=lambda d: d.source)
    return report


def _plan_and_write(job: Job, todo: list[Path], slot: EngineSlot, glossary: Glossary, report: RunReport,
                    progress: ProgressFactory | None, count: int) -> None:
    """Plan the documents in chunks (over `count` processes), engine windows across documents, write."""
    pool: Local | Pool = Pool(job, count) if count > 1 else Local(job)
    window = Window(pool.size)
    window.tm = job.tm
    chunks = [todo[start:start + CHUNK] for start in range(0, len(todo), CHUNK)]
    try:
        pool.submit(chunks[0])
        for number in range(len(chunks)):
            answers = pool.answers()
            if number + 1 < len(chunks):
                # Workers plan the next chunk while these answers are gathered and a full window is
                # translated (documents are planned from their own files and the memory as it was
                # before the run: what they plan does not depend on the windows before).
                pool.submit(chunks[number + 1])
            for worker, planned in answers:
                report.warnings += planned.warnings
                if planned.result is not None:
                    report.documents.append(planned.result)
                else:
                    window.add(worker, planned.cores, planned.placed, planned.old)
            if window.full():
                window.flush(pool, slot, glossary, report, progress)
        window.flush(pool, slot, glossary, report, progress)
    finally:
        pool.close()


def _answer_unchanged(job: Job, todo: list[Path], report: RunReport, jobs: int | None) -> list[Path]:
    """Documents nothing changed, answered from hashes (a large run's over several processes, as
    `check` does); the others, to plan."""
    from workflow.store.spread import processes, spread

    rest = []
    for path, done in zip(todo, spread(functools.partial(unchanged, job), todo, processes(jobs, len(todo)))):
        if done is None:
            rest.append(path)
        else:
            report.documents.append(done)
    return rest


def worker_count(jobs: int | None, documents: int) -> int:
    """Planning processes: 1 for small runs and where the platform cannot fork (up to one per document)."""
    from workflow.store.spread import processes

    return processes(jobs, documents, least=PARALLEL_MIN, per_process=1)


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


class Window:
    """The sentences of the documents planned and not yet finished, per worker."""

    def __init__(self, workers: int) -> None:
        self.cores: list[list[str]] = [[] for _ in range(workers)]
        self.counts = [0] * workers  # per worker: its documents in the window (the first it has pending)
        self.distinct: dict[str, None] = {}
        self.documents = 0
        self.engine: EngineUse | None = None  # set once a window of the run needed the engine
        # English an exact match placed on a page in this run so far: retired copies of it have moved
        self.placed: set[tuple[str, str]] = set()
        self.memories: dict[str, dict[str, Memory]] = {}
        self.tm: LazyIndex | None = None

    def add(self, worker: int, cores: list[str], placed: list[tuple[str, str]], old: Memory | None) -> None:
        self.placed.update(placed)
        if old is not None:  # for engines that read hints: the memories each sentence's documents have
            for core in cores:
                self.memories.setdefault(core, {})[old.source] = old
        self.cores[worker] += cores
        self.counts[worker] += 1
        self.distinct.update(dict.fromkeys(cores))
        self.documents += 1

    def full(self) -> bool:
        return len(self.distinct) >= WINDOW_SENTENCES or self.documents >= WINDOW_DOCUMENTS

    def flush(self, pool: Local | Pool, slot: EngineSlot, glossary: Glossary, report: RunReport,
              progress: ProgressFactory | None) -> None:
        """One engine call for the window's sentences; its documents finished and written."""
        if not self.documents:
            return
        outputs = run_engine(list(self.distinct), slot, glossary, report, progress, Hinted(self.memories, self.tm))
        if outputs and self.engine is None:
            from workflow.translate.finish import EngineUse

            used = slot.get()
            self.engine = EngineUse(used.info, used.identity)

        def select(cores: list[str]) -> Outputs:
            return {core: outputs[core] for core in dict.fromkeys(cores)}

        done = pool.finish(select, self.cores, self.engine, sorted(self.placed), self.counts)
        report.documents += done.results
        report.glossary.add(done.stats)
        self.cores = [[] for _ in self.cores]
        self.counts = [0] * len(self.counts)
        self.distinct = {}
        self.memories = {}
        self.documents = 0


# -- the engine, once per window ------------------------------------------------------------------


@dataclass
class Hinted:
    """What the llm engine's hints are made of: the memories of each sentence's documents, the project memory."""

    memories: dict[str, dict[str, Memory]]
    tm: LazyIndex | None


def run_engine(cores: list[str], slot: EngineSlot, glossary: Glossary, report: RunReport,
               progress: ProgressFactory | None, hinted: Hinted | None = None) -> Outputs:
    """The window's sentences that need the engine (distinct), in one call."""
    if not cores:
        return {}
    from workflow.glossary.enforce import Enforcer, Prepared

    engine = slot.get()
    report.engine = engine.info.label
    enforcer = None if engine.identity else Enforcer(glossary)
    prepared = {core: enforcer.prepare(core) if enforcer else Prepared(core) for core in cores}
    inputs = list(dict.fromkeys(p.text for p in prepared.values()))
    report.engine_texts += len(inputs)
    if hinted is not None and getattr(engine, "uses_hints", False):
        from workflow.engines import hints as engine_hints

        engine_hints.give(engine, _hints(slot.settings, prepared, hinted))
    with progress(len(inputs)) if progress else nullcontext() as bar:
        translated = engine.translate(inputs, bar.update if bar is not None else None)
    for text, why in getattr(engine, "failures", {}).items():
        warning = f"no translation for {text!r}: {why}"
        if warning not in report.warnings:
            report.warnings.append(warning)
    if len(translated) != len(inputs):
        raise WorkflowError(f"engine {engine.info.label} returned {len(translated)} texts for {len(inputs)}.")
    by_text = dict(zip(inputs, translated))
    return {core: (p, by_text[p.text]) for core, p in prepared.items()}


def _hints(settings: Settings, prepared: dict[str, Prepared], hinted: Hinted) -> Any:
    """For engines that read them (llm): each text's glossary entries, and house-style examples:
    the translation memory's nearest reviewed matches, then the recent reviewed segments of the
    text's documents."""
    from workflow.engines import hints as engine_hints

    terms = {p.text: tuple((f"<x{t.number}/>" if not t.paired else f"<g{t.number}>", t.entry.zh, t.english)
                           for t in p.terms) for p in prepared.values() if p.terms}
    documents: dict[str, dict[str, Memory]] = {}
    for core, memories in hinted.memories.items():
        if core in prepared:
            documents.setdefault(prepared[core].text, {}).update(memories)
    by_text = {text: list(memories.values()) for text, memories in documents.items()}
    recent = engine_hints.RecentReviewed(by_text, settings.llm.examples)
    if hinted.tm is None:
        return engine_hints.Hints(terms=terms, examples=recent)
    nearest = engine_hints.Nearest(hinted.tm, settings.fuzzy_threshold, recent, settings.llm.examples)
    return engine_hints.Hints(terms=terms, examples=nearest)
