"""The documents of a run, planned and finished in bounded windows, in this process or in `--jobs` workers.

A `Planner` holds the documents planned and waiting for the engine (at most a window's
worth), and nothing else: once finished and written they are released. The run asks it
to plan a chunk of paths (it answers each with a finished result, or the sentences the
document needs from the engine) and, once the engine has translated a window's
sentences, to finish the documents it holds. `Pool` gives the same two calls over
worker processes (forked, each a `Planner` of its own), so `--jobs N` runs exactly the
code `--jobs 1` runs, on a share of each chunk; the engine stays in the run's process.

A document whose Chinese, English file and memory header say nothing changed is
answered from the hashes alone (`unchanged`), before anything is parsed: the memory's
header (`store.memory_scan`) records the hashes, the glossary's identity, the status
counts and the engines of the machine segments.
"""

from __future__ import annotations

import functools
import os
import traceback
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from workflow.config import Settings
from workflow.errors import UnrecordedEdits, WorkflowError
from workflow.glossary.terms import Glossary
from workflow.store import memory_scan
from workflow.store.documents import fast_rel, shown
from workflow.store.files import atomic_write, read_bytes, sha256, write_error
from workflow.store.memory import SCHEMA, EngineInfo, Memory

if TYPE_CHECKING:  # imported when a document needs planning: an unchanged run never loads them
    from workflow.document.plan import Plan
    from workflow.glossary.tally import Stats
    from workflow.store.tm import LazyIndex
    from workflow.translate.finish import EngineUse, Outputs

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
MATCH_LEVELS = ("context", "exact", "fuzzy", "engine", "carried")  # as CAT tools count them
WRITERS = 2  # threads writing finished documents (fsync waits on the disk, not the CPU; ext4 commits them together)


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


@dataclass(frozen=True, kw_only=True)
class Job:
    """What every document of a run is planned and finished with."""

    settings: Settings
    glossary: Glossary
    info: EngineInfo | None  # the configured engine's identity, for model staleness
    force: bool
    dry_run: bool
    now: str
    tm: LazyIndex | None  # the project's translation memory, built before the run writes
    hints: bool = False  # the engine reads hints (llm): planned documents send their memory along

    @functools.cached_property
    def folders(self) -> Folders:
        """The folders' paths as strings, for the nothing-changed pass (computed once per run)."""
        settings = self.settings
        source = fast_rel(settings.source, settings.root)
        return Folders(os.fspath(settings.memory_root), os.fspath(settings.output), None if source is None else source + "/")


@dataclass(frozen=True)
class Folders:
    memory_root: str
    output: str
    source_shown: str | None  # the source folder as shown (project-relative, "/"-ended); None: outside the project


@dataclass
class Planned:
    """A document planned: its result when it is done, else the sentences it needs from the engine."""

    result: DocumentResult | None
    warnings: list[str] = field(default_factory=list)
    cores: list[str] = field(default_factory=list)
    placed: list[tuple[str, str]] = field(default_factory=list)  # (Chinese, English) an exact match put here
    old: Memory | None = None  # the document's memory, for an engine's hints (only when it reads them)


@dataclass
class Finished:
    results: list[DocumentResult]
    stats: Stats


def new_stats() -> Stats:
    from workflow.glossary.tally import Stats

    return Stats()


class Planner:
    def __init__(self, job: Job) -> None:
        self.job = job
        self.pending: list[Plan] = []

    def plan(self, paths: Sequence[Path]) -> list[Planned]:
        start = len(self.pending)
        planned = [self._plan_one(path) for path in paths]
        if self.job.tm is not None and len(self.pending) > start:
            from workflow.document.plan import suggest

            suggest(self.pending[start:], self.job.tm, self.job.settings.fuzzy_threshold)
        return planned

    def finish(self, outputs: Outputs, engine: EngineUse | None, placed: Sequence[tuple[str, str]] = (),
               count: int | None = None) -> Finished:
        """The first `count` documents planned and pending (default: all), finished and written; the
        others (a chunk planned ahead, see `Pool`) stay pending for the next window."""
        from workflow.document.reuse import settle_moves
        from workflow.store.memory import Record
        from workflow.translate.finish import fingerprints, finish

        job, stats = self.job, new_stats()
        moved = [Record(id="", kind="", line=0, source_hash="", source=zh, machine=en, final=en, match="exact")
                 for zh, en in placed]
        window, self.pending = (self.pending, []) if count is None else (self.pending[:count], self.pending[count:])
        settle_moves([p.retired for p in window], moved, job.now)
        results = []
        printed = fingerprints(window, job.glossary)  # before any writer thread runs (see there)
        with ThreadPoolExecutor(WRITERS, thread_name_prefix="workflow-write") as writers:
            # Each document computed here, its files written in a writer thread: the fsyncs of
            # one document's writes wait on the disk while the next document is computed.
            writes: list[tuple[Plan, Future[None] | WorkflowError]] = []
            for plan in window:
                try:
                    writes.append((plan, writers.submit(finish(job.settings, plan, outputs, engine, job.glossary,
                                                               stats, job.now, printed))))
                except WorkflowError as exc:
                    writes.append((plan, exc))
            for plan, written in writes:
                try:
                    if isinstance(written, WorkflowError):
                        raise written
                    written.result()
                    results.append(result(job.settings, plan, "translated"))
                except WorkflowError as exc:
                    results.append(result(job.settings, plan, state_of(exc), exc))
        return Finished(results, stats)

    def _plan_one(self, path: Path) -> Planned:
        job, settings = self.job, self.job.settings
        try:
            plan = _plan(job, path)
        except WorkflowError as exc:
            return Planned(DocumentResult(source=settings.rel(path), output="", state=state_of(exc), message=str(exc),
                                          exit_code=exc.exit_code))
        warnings = list(plan.post.warnings)
        if plan.unchanged:
            if plan.refresh and plan.old is not None and not job.dry_run:  # memory learns the new glossary
                import dataclasses

                try:
                    atomic_write(plan.memory_path, dataclasses.replace(plan.old, glossary_hash=job.glossary.identity).to_bytes())
                except OSError as exc:
                    error = write_error(exc, settings.rel(plan.memory_path))
                    return Planned(result(settings, plan, "error", error), warnings)
            return Planned(result(settings, plan, "unchanged"), warnings)
        if job.dry_run:
            return Planned(result(settings, plan, "would-translate"), warnings)
        from workflow.document.plan import units_needing_engine

        self.pending.append(plan)
        cores = [plan.work[i].units[u].core for i, u in units_needing_engine(plan, settings.copy_untranslatable)]
        placed = [(r.source, r.final) for r in plan.records if r is not None and r.match == "exact"]
        return Planned(None, warnings, list(dict.fromkeys(cores)), placed, plan.old if job.hints else None)


def _plan(job: Job, path: Path) -> Plan:
    from workflow.document.plan import plan_document
    from workflow.review import record as review  # `translate --force` records the English file's edits first

    settings, glossary, info = job.settings, job.glossary, job.info
    try:
        return plan_document(settings, path, glossary, info, tm=job.tm)
    except UnrecordedEdits:
        if not job.force:
            raise
    if not review.has_memory(settings, path):
        return plan_document(settings, path, glossary, info, adopt=True, tm=job.tm)
    review.record_or_raise(settings, path)
    return plan_document(settings, path, glossary, info, tm=job.tm)


def unchanged(job: Job, path: Path) -> DocumentResult | None:
    """The result of a document that nothing changed, from hashes and the memory's header; None: plan it."""
    settings = job.settings
    rel = fast_rel(path, settings.source)
    if rel is None or job.force:  # --force plans every document (code-comments switched: docs/review.md)
        return None
    # The memory's header first: a document without memory (a first run) is planned without
    # its source being read here too.
    folders = job.folders  # paths as strings: this runs for every document of the project
    head = memory_scan.read_head(os.path.join(folders.memory_root, rel + ".json"))
    header = memory_scan.scan_head(head[0], head[2], job.info) if head is not None else None
    if header is None or header.output_hash_previous or not header.model_current or header.schema != SCHEMA:
        return None  # (an older schema: planned, and rewritten as the current one)
    data = read_bytes(path)
    if data is None or not quiet_source(data):
        return None
    if header.glossary_hash != job.glossary.identity or header.source_hash != sha256(data):
        return None
    english = read_bytes(os.path.join(folders.output, rel))
    if english is None or sha256(english) != header.output_hash:
        return None
    # shown as `shown()` shows them: `rel` is the real path's, inside the real source folder
    source = folders.source_shown + rel if folders.source_shown is not None else shown(settings, path)
    output = shown(settings, settings.output / rel)  # (an English file may be a link: shown resolved, as ever)
    return DocumentResult(source=source, output=output, state="unchanged", segments=header.counts["total"],
                          needs_review=header.counts["needs-review"])


def quiet_source(data: bytes) -> bool:
    """UTF-8 without carriage returns: parsing it would give no warning (encoding, mixed newlines)."""
    if b"\r" in data or data[:2] in UTF16_BOMS:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def state_of(exc: WorkflowError) -> str:
    return "refused" if exc.exit_code == 1 else "error"


def result(settings: Settings, plan: Plan, state: str, exc: WorkflowError | None = None) -> DocumentResult:
    from workflow.document.plan import match_levels

    records = [r for r in plan.records if r is not None] if not plan.unchanged else list(plan.old.segments if plan.old else [])
    return DocumentResult(
        source=plan.shown,
        output=settings.rel(plan.output_path),  # after the write: a link the write replaced is the file itself now
        state=state,
        segments=len(plan.segments) if not plan.unchanged else len(records),
        translated=len(plan.work) if state != "unchanged" else 0,
        needs_review=sum(1 for r in records if r.status == "needs-review"),
        matches=match_levels(plan, MATCH_LEVELS) if state != "unchanged" else {},
        message=str(exc) if exc else "",
        exit_code=exc.exit_code if exc else 0,
    )


class Local:
    """One `Planner` in this process, with the interface of `Pool` (`--jobs 1`)."""

    size = 1

    def __init__(self, job: Job) -> None:
        self._planner = Planner(job)
        self._asked: deque[Sequence[Path]] = deque()

    def submit(self, paths: Sequence[Path]) -> None:
        """Planned when `answers` asks for them (in this process, nothing runs ahead)."""
        self._asked.append(paths)

    def answers(self) -> list[tuple[int, Planned]]:
        return [(0, planned) for planned in self._planner.plan(self._asked.popleft())]

    def finish(self, outputs: Callable[[list[str]], Outputs], cores: list[list[str]],
               engine: EngineUse | None, placed: Sequence[tuple[str, str]], counts: Sequence[int]) -> Finished:
        return self._planner.finish(outputs(cores[0]), engine, placed, counts[0])

    def close(self) -> None:
        pass


# -- worker processes ------------------------------------------------------------------------------


class Pool:
    """`Planner`s in forked worker processes; a chunk is split into contiguous shares, answers kept in order.

    A chunk can be submitted once the answers of the one before are read (the workers plan it
    while the run gathers those and has a window translated): a worker answers in the order it
    was asked, and this process only sends to a worker that has nothing left to send (a request
    after its answers, a finish after reading the answers of the chunk it was planning), so
    neither waits on a full pipe while the other does; the answers read before a finish are kept
    until `answers` asks for them. A worker whose planning ahead fails keeps serving: the window
    is finished by every worker, and the failure is the error of the run when its chunk's answers
    are asked for (as when the chunk was planned after the window).
    """

    def __init__(self, job: Job, jobs: int) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.size = jobs
        self._conns: list[Connection] = []
        self._procs: list[Any] = []
        self._asked: deque[int] = deque()  # per chunk submitted and not yet answered: the workers it went to
        self._unread = [0] * jobs  # per worker: plan answers sent and not yet received
        self._finishing = [False] * jobs  # per worker: a finish sent and its answer not yet received
        self._sending = [False] * jobs  # per worker: a message being sent (interrupted: the worker has half of it)
        self._kept: list[deque[Message]] = [deque() for _ in range(jobs)]  # received before a finish's
        for _ in range(jobs):
            parent, child = context.Pipe()
            proc = context.Process(target=_serve, args=(job, child), daemon=True)
            proc.start()
            child.close()
            self._conns.append(parent)
            self._procs.append(proc)

    def submit(self, paths: Sequence[Path]) -> None:
        """Each worker asked to plan its contiguous share of `paths`; `answers` reads them."""
        share = -(-len(paths) // self.size) or 1
        parts = [list(paths[i:i + share]) for i in range(0, len(paths), share)]
        for k, part in enumerate(parts):
            self._send(k, ("plan", part))
            self._unread[k] += 1
        self._asked.append(len(parts))

    def answers(self) -> list[tuple[int, Planned]]:
        """(worker, answer) per path of the oldest chunk submitted and not yet answered, in its order."""
        found = []
        for k in range(self._asked.popleft()):
            if self._kept[k]:
                planned = _value(self._kept[k].popleft())
            else:
                message = _receive(self._conns[k])
                self._unread[k] -= 1  # (after the answer is in: interrupted before, the worker may still be sending)
                planned = _value(message)
            found += [(k, one) for one in planned]
        return found

    def finish(self, outputs: Callable[[list[str]], Outputs], cores: list[list[str]],
               engine: EngineUse | None, placed: Sequence[tuple[str, str]], counts: Sequence[int]) -> Finished:
        """`cores[k]`: the sentences the first `counts[k]` pending documents of worker k need (the
        window's); `outputs` selects their translations."""
        # A chunk asked before this finish is answered first, and read (every worker's) before any
        # finish is sent: a worker blocked sending a large answer while this process blocks sending
        # a large finish would wait for each other forever (a pipe holds only so much).
        for k, conn in enumerate(self._conns):
            while self._unread[k]:
                self._kept[k].append(_receive(conn))
                self._unread[k] -= 1
        alive = [k for k in range(self.size) if not any(kind == "died" for kind, _ in self._kept[k])]
        for k in alive:
            self._send(k, ("finish", outputs(cores[k]), engine, list(placed), counts[k]))
            self._finishing[k] = True
        total = Finished([], new_stats())
        for k in alive:  # (a worker that died: the run's error when its chunk is asked for, below)
            message = _receive(self._conns[k])
            self._finishing[k] = False
            part: Finished = _value(message)
            total.results += part.results
            total.stats.add(part.stats)
        return total

    def close(self) -> None:
        """Workers stopped. One with a plan answer still unread (the run failed, or was interrupted,
        while it planned ahead) may be blocked sending it and would never read a stop, and one
        interrupted while receiving a message would read the stop as the rest of it: it is
        terminated (what it may write while planning, with `--force`, is written atomically, as
        a crash leaves it for the next run). One still finishing a window (another worker failed)
        is let finish its writes: its answer is read, then it is stopped."""
        for k, conn in enumerate(self._conns):
            if self._unread[k] or self._sending[k]:  # (a message half sent: the worker waits for the rest)
                self._procs[k].terminate()
                continue
            if self._finishing[k]:
                _receive(conn)
                self._finishing[k] = False
            try:
                conn.send(("stop",))
            except (BrokenPipeError, OSError):
                pass
        for proc in self._procs:
            proc.join(timeout=10)
        for conn in self._conns:
            conn.close()

    def _send(self, k: int, message: tuple[Any, ...]) -> None:
        self._sending[k] = True
        _send(self._conns[k], message)
        self._sending[k] = False


Message = tuple[str, Any]  # a worker's answer: ("ok", value), ("error", its traceback), or ("died", None)
DIED = ("a translate worker stopped without answering (killed, or out of memory?). Nothing it had not finished was "
        "written; run `workflow translate --jobs 1` again.")


def _send(conn: Connection, message: tuple[Any, ...]) -> None:
    try:
        conn.send(message)
    except (BrokenPipeError, ConnectionResetError):
        raise WorkflowError(DIED) from None


def _receive(conn: Connection) -> Message:
    try:
        kind, value = conn.recv()
    except (EOFError, OSError):
        return ("died", None)
    return (kind, value)


def _value(message: Message) -> Any:
    """A worker's answer; a worker that failed or died is an error of the run, worded for people."""
    kind, value = message
    if kind == "died":
        raise WorkflowError(DIED)
    if kind == "error":
        cause = str(value).strip().splitlines()[-1] if str(value).strip() else "unknown"
        raise WorkflowError(f"a translate worker failed: {cause}. This is a bug; run `workflow translate --jobs 1` "
                            "to see which document causes it, and report it.")
    return value


def _serve(job: Job, conn: Connection) -> None:
    import signal

    # Ctrl-C reaches every process of the group: the run's process stops the workers (`Pool.close`),
    # letting a window's writes finish, and none prints a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    planner = Planner(job)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the run's process is gone
            return
        try:
            if message[0] == "plan":
                conn.send(("ok", planner.plan(message[1])))
            elif message[0] == "finish":
                conn.send(("ok", planner.finish(message[1], message[2], message[3], message[4])))
            else:
                return
        except BaseException:  # noqa: BLE001 - the run's process reports it
            try:
                conn.send(("error", traceback.format_exc()))
            except OSError:  # the run's process is gone: nobody to tell
                return
            if message[0] != "plan":
                return  # (a chunk planned ahead: the window before it is still to be finished here)
