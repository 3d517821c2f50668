"""`check`: is every English translation current? The CI gate, and the data behind `status`.

A document is a Chinese source, its English file and its memory file. `check`
compares hashes first: the source's SHA-256 with the one its memory recorded, the
English file's with the one recorded. It reads further only where that is needed:

- a memory file is read through `memory_scan.scan`, which takes the recorded hashes
  and the status counts straight from the canonical layout `store.memory` writes; it is
  parsed in full only when it is not in that layout, or when a finding needs its
  segments (their lines, reasons, glossary fingerprints);
- a Chinese source is re-parsed as Markdown only when its hash changed, to align the
  recorded segments with the new ones (`document.pairing.pair`) and name each changed, new or
  removed paragraph by its line.

Glossary staleness needs every segment's fingerprint recomputed with the current
glossary, unless the memory records which glossary its fingerprints were computed
against (`glossary_hash`, see `glossary.identity`) and that is the current one. The
configured engine's identity is known without loading a model: for `argos`, the
installed package's metadata and cached model hash, read without argostranslate.

Nothing here writes, prints, or imports click or a machine-translation library.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from workflow.config import Settings
from workflow.errors import MemoryCorrupt, WorkflowError
from workflow.findings import Finding
from workflow.store import memory_scan
from workflow.store.documents import Roots, documents, join, recorded_lines
from workflow.store.files import sha256
from workflow.store.memory import Memory, Record, model_stale
from workflow.store.memory import parse as parse_memory

if TYPE_CHECKING:
    from workflow.glossary.terms import Entry, Glossary
    from workflow.store.memory import EngineInfo

JSON_SCHEMA = 1  # of the `--format json` report; bump on any incompatible change

# Every kind of finding, in the order a summary lists them.
FINDING_KINDS = ("missing", "stale", "glossary-stale", "model-stale", "unrecorded-edits", "unreviewed", "needs-review",
         "orphan", "corrupt-memory")
EXCERPT = 30  # characters of Chinese quoted in a detail
PARALLEL_MIN = 2000  # documents; below this a second process costs more than it saves


@dataclass(frozen=True, kw_only=True)
class DocumentStatus:
    """One row of `workflow status`."""

    source: str
    output: str
    state: str  # current | stale | unrecorded-edits | missing | corrupt-memory
    segments: int = 0
    reviewed: int = 0
    needs_review: int = 0
    machine: int = 0
    stale: int = 0  # segments `translate` would re-translate or flag: changed, new, glossary- or model-stale
    translated_at: str = ""
    engine: str = ""


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    documents: tuple[DocumentStatus, ...]
    notes: tuple[str, ...] = ()  # what was not checked, and why
    require_reviewed: bool = False

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def counts(self) -> dict[str, int]:
        """Findings per kind (every kind, zeros included)."""
        counts = dict.fromkeys(FINDING_KINDS, 0)
        for finding in self.findings:
            counts[finding.kind] += 1
        return counts

    def segments(self) -> dict[str, int]:
        totals = {"total": 0, "reviewed": 0, "needs-review": 0, "machine": 0, "stale": 0}
        for doc in self.documents:
            totals["total"] += doc.segments
            totals["reviewed"] += doc.reviewed
            totals["needs-review"] += doc.needs_review
            totals["machine"] += doc.machine
            totals["stale"] += doc.stale
        return totals


def check(settings: Settings, paths: Iterable[Path] = (), *, require_reviewed: bool = False,
          jobs: int | None = None) -> Report:
    """Every finding for the documents named by `paths` (all documents when none).

    `jobs`: processes to spread a large run over (default: one per CPU, from
    `PARALLEL_MIN` documents on, where the platform can fork). Raises WorkflowError
    for a path outside the source and output folders, a named file that does not
    exist, or a glossary that cannot be read (exit code 2).
    """
    rels = documents(settings, list(paths))
    jobs = _jobs(jobs, len(rels))
    if jobs > 1:
        parts = _in_parallel(settings, rels, require_reviewed, jobs)
    else:
        parts = [check_documents(settings, rels, require_reviewed)]
    findings = sorted((f for part in parts for f in part[0]),
                      key=lambda f: (f.path, f.line, FINDING_KINDS.index(f.kind), f.detail))
    statuses = [s for part in parts for s in part[1]]
    notes = list(dict.fromkeys(n for part in parts for n in part[2]))
    return Report(tuple(findings), tuple(statuses), tuple(notes), require_reviewed)


Part = tuple[list[Finding], list[DocumentStatus], list[str]]


def check_documents(settings: Settings, rels: list[str], require_reviewed: bool) -> Part:
    """Findings, statuses and notes of the documents `rels` (source-relative paths), in one process."""
    run = _Run(settings, require_reviewed)
    for rel in rels:
        run.document(rel)
    return run.findings, run.statuses, run.notes


def _jobs(jobs: int | None, documents: int) -> int:
    """Processes to use: 1 for small runs and where the platform cannot fork."""
    if jobs is None:
        if documents < PARALLEL_MIN:
            return 1
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    jobs = max(1, min(jobs, documents // 2))
    if jobs > 1:
        import multiprocessing

        if "fork" not in multiprocessing.get_all_start_methods():
            return 1
    return jobs


def _in_parallel(settings: Settings, rels: list[str], require_reviewed: bool, jobs: int) -> list[Part]:
    """Contiguous slices of the documents, one per process (forked: nothing is imported again)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = -(-len(rels) // jobs)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        futures = [pool.submit(check_documents, settings, rels[i:i + size], require_reviewed)
                   for i in range(0, len(rels), size)]
        return [future.result() for future in futures]


# -- one run, one document at a time --------------------------------------------------------


def _read(path: str) -> bytes | None:
    """The file's bytes, or None when it does not exist (os-level calls: a file object costs more here)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)
        if len(data) <= size:  # the whole file in one read (the usual case)
            return data
        chunks = [data]
        while chunks[-1]:  # it grew since fstat
            chunks.append(os.read(fd, 1 << 20))
    except IsADirectoryError:
        return None
    finally:
        os.close(fd)
    return b"".join(chunks)


@dataclass
class _Doc:
    """What is known about one document while it is checked."""

    rel: str
    source: str  # shown paths
    output: str
    memory: str
    data: bytes  # the Chinese
    out_data: bytes | None


class _Run:
    def __init__(self, settings: Settings, require_reviewed: bool) -> None:
        self.settings = settings
        self.require_reviewed = require_reviewed
        self.findings: list[Finding] = []
        self.statuses: list[DocumentStatus] = []
        self.notes: list[str] = []
        self.roots = Roots(settings)
        self.shown = {k: settings.rel(p) for k, p in
                      (("source", settings.source), ("output", settings.output), ("memory", settings.memory_root))}
        self.info = self._engine_info()
        self._glossary: Glossary | None = None
        self._glossary_entries: list[Entry] | None = None
        self._glossary_hash = ""

    # -- context, loaded once ---------------------------------------------------------------

    def _engine_info(self) -> EngineInfo | None:
        from workflow.engines import load_engine
        from workflow.store.memory import EngineInfo

        if self.settings.engine == "argos":  # the installed package's metadata and cached hash: no argostranslate
            from workflow.engines.argos_packages import light_identity

            name = self.settings.argos.package
            identity = light_identity(name)
            if identity is None:
                self.notes.append(
                    f"model-stale not checked: the argos package `{name}` is not installed here, so the model "
                    "`workflow translate` would use is unknown. `workflow translate` re-translates machine "
                    "segments of an older model.")
                return None
            return EngineInfo("argos", model=name, version=identity[0], model_hash=identity[1])
        return load_engine(self.settings).info

    def glossary(self) -> Glossary:
        """The current glossary, compiled for matching (only when a fingerprint must be recomputed)."""
        if self._glossary is None:
            from workflow.glossary.terms import Glossary

            self._glossary = Glossary(self._entries())
        return self._glossary

    def _entries(self) -> list[Entry]:
        """The glossary's entries, read once; a conflict fails the run as it fails `translate`."""
        if self._glossary_entries is None:
            from workflow.glossary import terms as glossary

            entries: list[Entry] = []
            for path in glossary.glossary_files(self.settings.glossary):
                entries += glossary.read_file(path, glossary.shown_path(path, self.settings.root))
            if glossary.first_conflict(entries):
                glossary.load(self.settings.glossary, self.settings.root)  # raises GlossaryConflict, worded for people
            self._glossary_entries = entries
            self._glossary_hash = glossary.identity(entries)
        return self._glossary_entries

    def glossary_current(self, recorded: str) -> bool:
        """True when a memory records the current glossary: none of its segments can be glossary-stale."""
        if not recorded:
            return False
        self._entries()
        return recorded == self._glossary_hash

    def glossary_stale(self, record: Record) -> bool:
        from workflow.glossary.terms import stale  # the glossary is imported only when a fingerprint is needed

        return stale(record, self.glossary())  # the glossary caches fingerprints by text

    def add(self, path: str, line: int, kind: str, detail: str, severity: str = "error") -> None:
        self.findings.append(Finding(path, max(line, 1), kind, detail, severity))

    # -- a document ------------------------------------------------------------------------

    def document(self, rel: str) -> None:
        source_path = join(self.roots.source, rel)
        data = _read(source_path)
        doc = _Doc(rel, f"{self.shown['source']}/{rel}", f"{self.shown['output']}/{rel}",
                   f"{self.shown['memory']}/{rel}.json", data or b"", _read(join(self.roots.output, rel)))
        mem_path = join(self.roots.memory, rel) + ".json"
        head = memory_scan.read_head(mem_path)
        if data is None:
            self._orphan(doc, head is not None)
            return
        if head is None:
            self._missing(doc)
            return
        # Most documents need only the memory's header: its first few kilobytes.
        header = memory_scan.scan_head(head[0], head[2], self.info)
        mem_data = head[0] if head[1] <= len(head[0]) else None
        memory: Memory | None = None
        try:
            if header is None:
                mem_data = mem_data if mem_data is not None else (_read(mem_path) or b"")
                header = memory_scan.scan(mem_data, self.info)
            if header is None:
                memory = parse_memory(mem_data or b"", doc.memory)
                header = memory_scan.Header.of(memory, self.info)
            self._current(doc, header, lambda: mem_data if mem_data is not None else (_read(mem_path) or b""), memory)
        except MemoryCorrupt as exc:
            self.add(doc.memory, exc.line or 1, "corrupt-memory", exc.message)
            self.statuses.append(DocumentStatus(source=doc.source, output=doc.output, state="corrupt-memory"))

    def _orphan(self, doc: _Doc, has_memory: bool) -> None:
        if doc.out_data is not None:
            self.add(doc.output, 1, "orphan", f"no Chinese source {doc.source}. Delete the English file, "
                     "or restore the source (git).")
        if has_memory:
            self.add(doc.memory, 1, "orphan", f"memory of a deleted source {doc.source}. Delete it, "
                     "or restore the source (git).")

    def _missing(self, doc: _Doc) -> None:
        if doc.out_data is None:
            detail = f"no English translation. Run `workflow translate {doc.source}`."
        else:
            detail = (f"{doc.output} has no memory ({doc.memory}): workflow did not write it, or its memory was "
                      "deleted. Restore the memory from git, or run `workflow translate --force` to adopt the English.")
        self.add(doc.source, 1, "missing", detail)
        self.statuses.append(DocumentStatus(source=doc.source, output=doc.output, state="missing"))

    def _current(self, doc: _Doc, header: memory_scan.Header, mem_data: Callable[[], bytes],
                 memory: Memory | None) -> None:
        state = "current"
        if doc.out_data is None:
            self.add(doc.source, 1, "missing", f"the English file {doc.output} was deleted. "
                     f"Run `workflow translate {doc.source}` to write it again.")
            state = "missing"
        elif not header.records_output(sha256(doc.out_data)):
            self.add(doc.output, 1, "unrecorded-edits", "the English has edits that memory does not know. "
                     f"Run `workflow review {doc.output}` to record them.")
            state = "unrecorded-edits"
        changed = header.source_hash != sha256(doc.data)
        needs = (changed or not self.glossary_current(header.glossary_hash) or not header.model_current
                 or header.counts["needs-review"] > 0 or (self.require_reviewed and header.counts["machine"] > 0))
        stale = 0
        if needs:
            memory = memory or parse_memory(mem_data(), doc.memory)
            stale = self._stale(doc, memory) if changed else self._segments(doc, memory)
        if changed and state == "current":
            state = "stale"
        elif stale and state == "current":
            state = "stale"
        counts = header.counts
        self.statuses.append(DocumentStatus(
            source=doc.source, output=doc.output, state=state, segments=counts["total"], reviewed=counts["reviewed"], needs_review=counts["needs-review"],
            machine=counts["machine"], stale=stale, translated_at=header.translated_at, engine=header.engine))

    # -- segments of an unchanged source -----------------------------------------------------

    def _segments(self, doc: _Doc, memory: Memory) -> int:
        """Glossary-stale, model-stale and review findings; the number of stale segments."""
        stale = 0
        check_glossary = not self.glossary_current(memory.glossary_hash)
        for record in memory.segments:
            stale += self._record_stale(doc, record, record.line, check_glossary)
        stale += self._model(doc, [(r, r.line) for r in memory.segments])
        self._review(doc, memory)
        return stale

    def _record_stale(self, doc: _Doc, record: Record, line: int, check_glossary: bool) -> int:
        if not check_glossary or not self.glossary_stale(record):
            return 0
        if record.human:
            detail = (f"glossary entries for this {_what(record.kind)} changed since it was reviewed: "
                      f"{_excerpt(record.source)}. `workflow translate` flags it for review.")
        else:
            detail = (f"glossary entries for this {_what(record.kind)} changed: {_excerpt(record.source)}. "
                      "Run `workflow translate` to re-translate it.")
        self.add(doc.source, line, "glossary-stale", detail)
        return 1

    def _model(self, doc: _Doc, records: list[tuple[Record, int]]) -> int:
        """One finding per document: the machine segments of another engine or model."""
        old = [(r, line) for r, line in records if model_stale(r, self.info)]
        if not old or self.info is None:
            return 0
        used = sorted({_label(r.engine, r.model, r.model_hash) for r, _ in old})
        configured = _label(self.info.name, self.info.model, self.info.model_hash)
        self.add(doc.source, old[0][1], "model-stale",
                 f"{len(old)} machine-translated segment(s) come from {', '.join(used)}, not the configured "
                 f"{configured}. Run `workflow translate` to re-translate them (reviewed segments are kept).")
        return len(old)

    def _review(self, doc: _Doc, memory: Memory) -> None:
        """needs-review per flagged segment; unreviewed per document (with --require-reviewed)."""
        severity = "error" if self.require_reviewed else "warning"
        flagged = [r for r in memory.segments if r.status == "needs-review"]
        machine = [r for r in memory.segments if r.status == "machine"]
        if not flagged and not (machine and self.require_reviewed):
            return
        lines = recorded_lines(memory, doc.data, doc.out_data or b"", doc.source, doc.output)
        for record in flagged:
            reasons = "; ".join(record.reasons) or "flagged for review"
            self.add(doc.output, lines.get(record.id, record.line), "needs-review",
                     f"{reasons}. Check the English, then `workflow review {doc.output}`.", severity)
        if machine and self.require_reviewed:
            first = min(lines.get(r.id, r.line) for r in machine)
            self.add(doc.output, first, "unreviewed",
                     f"{len(machine)} of {len(memory.segments)} segments are machine translation nobody reviewed. "
                     f"Check the English, then `workflow review --approve {doc.output}`.")

    # -- segments of a changed source ------------------------------------------------------

    def _stale(self, doc: _Doc, memory: Memory) -> int:
        """Name each changed, new or removed paragraph by its line in the new Chinese."""
        from workflow.document.pairing import pair
        from workflow.document.plan import meta_segments
        from workflow.store.post import parse as parse_post
        from workflow.text.segment import segment_body

        try:
            post = parse_post(doc.data, doc.source)
            body = segment_body(post.body, {})
            segments = body + meta_segments(self.settings, post, body)
        except WorkflowError as exc:
            self.add(doc.source, exc.line or 1, "stale", f"the Chinese changed since it was translated, and it "
                     f"cannot be read: {exc.message}")
            return 1
        old = memory.segments
        pairing = pair([r.source for r in old], [s.source for s in segments])
        lines = [s.line + (post.body_line - 1 if s.pieces else 0) for s in segments]
        count = 0
        check_glossary = not self.glossary_current(memory.glossary_hash)
        same: list[tuple[Record, int]] = []
        for segment, line, (index, relation) in zip(segments, lines, pairing.matches):
            if relation == "same" and index is not None:
                count += self._record_stale(doc, old[index], line, check_glossary)
                same.append((old[index], line))
                continue
            what = _what(segment.kind)
            detail = (f"{what} changed since it was translated: {_excerpt(segment.source)}" if relation == "changed"
                      else f"new {what}: {_excerpt(segment.source)}")
            self.add(doc.source, line, "stale", detail + ". Run `workflow translate`.")
            count += 1
        for index in pairing.retired:  # at the first paragraph that followed it, or at the end
            after = [line for (i, _), line, s in zip(pairing.matches, lines, segments) if s.pieces and (i or 0) > index]
            line = after[0] if after else max(lines, default=1)
            self.add(doc.source, line, "stale", f"{_what(old[index].kind)} removed since it was translated "
                     f"(was line {old[index].line}): {_excerpt(old[index].source)}. Run `workflow translate`.")
        count += self._model(doc, same)
        if not count and not pairing.retired:
            self.add(doc.source, 1, "stale", "the Chinese changed outside the translated text (markup, code, links "
                     "or front matter the English copies). Run `workflow translate`.")
        return count


def _what(kind: str) -> str:
    if kind.startswith("meta:"):
        return f"front-matter {kind[5:]}"
    if kind.startswith("heading"):
        return "heading"
    return kind.replace("-", " ")


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return f"«{flat[:EXCERPT]}…»" if len(flat) > EXCERPT else f"«{flat}»"


def _label(engine: str, model: str, model_hash: str) -> str:
    return " ".join(p for p in (engine, model, f"({model_hash})" if model_hash else "") if p) or "no engine"
