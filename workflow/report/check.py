"""`check`: is every English translation current? The CI gate, and the data behind `status`.

A document is a Chinese source, its English file and its memory file. `check`
compares hashes first: the source's SHA-256 with the one its memory recorded, the
English file's with the one recorded. It reads further only where that is needed:

The parts: `report.context` (the engine's identity and the glossary, once per run),
`report.reader` (what is read of a document, and no more), `report.kinds` (one function
per finding kind, returning findings) and this module, which puts them together.

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

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from workflow.config import Settings
from workflow.errors import MemoryCorrupt, WorkflowError
from workflow.findings import Finding
from workflow.report import kinds
from workflow.report.context import Context
from workflow.report.kinds import FINDING_KINDS
from workflow.report.reader import Doc, MemoryFile, read_document
from workflow.store.documents import documents, recorded_lines
from workflow.store.files import sha256
from workflow.store.memory import Memory, Record, model_stale
from workflow.store.memory_scan import Header
from workflow.store.spread import processes, spread

JSON_SCHEMA = 1  # of the `--format json` report; bump on any incompatible change


@dataclass(kw_only=True, slots=True)  # not frozen: a frozen init costs 4 us, one per document
class DocumentStatus:
    """One row of `workflow status` (treat as read-only)."""

    source: str
    output: str
    state: str  # current | stale | unrecorded-edits | missing | corrupt-memory
    segments: int = 0
    reviewed: int = 0
    needs_review: int = 0
    machine: int = 0
    stale: int = 0  # segments `translate` would re-translate or flag: changed, new, glossary- or model-stale
    lost: int = 0  # English a person wrote that is no longer on the page, awaiting restore or dismiss
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
    `store.spread.MIN_ITEMS` documents on, where the platform can fork). Raises WorkflowError
    for a path outside the source and output folders, a named file that does not
    exist, or a glossary that cannot be read (exit code 2).
    """
    rels = documents(settings, list(paths))
    jobs = processes(jobs, len(rels))
    ctx = Context.load(settings, require_reviewed)
    if jobs > 1:  # the forked processes inherit the context (engine identity, glossary read once)
        try:
            ctx.entries()  # read before the fork, not once per process
        except WorkflowError:
            pass  # raised again where a document needs the glossary, as in one process
    answers = spread(functools.partial(_check_one, ctx), rels, jobs)
    findings = sorted((f for found, _, _ in answers for f in found),
                      key=lambda f: (f.path, f.line, FINDING_KINDS.index(f.kind), f.detail))
    statuses = [status for _, status, _ in answers if status is not None]
    notes = list(dict.fromkeys([*ctx.notes, *(n for _, _, new in answers for n in new)]))
    return Report(tuple(findings), tuple(statuses), tuple(notes), require_reviewed)


def _check_one(ctx: Context, rel: str) -> tuple[list[Finding], DocumentStatus | None, list[str]]:
    """`check_document` and the notes it added (a forked process's notes travel back this way)."""
    before = len(ctx.notes)
    found, status = check_document(ctx, rel)
    return found, status, ctx.notes[before:]


# -- one document ------------------------------------------------------------------------------


def check_document(ctx: Context, rel: str) -> tuple[list[Finding], DocumentStatus | None]:
    """The findings of one document and its row of `status` (None for an orphan)."""
    doc = read_document(ctx, rel)
    mem = MemoryFile.open(ctx, doc)
    if doc.data is None:
        return kinds.orphan(doc, mem is not None) + _orphan_lost(ctx, doc, mem), None
    if mem is None:
        return [kinds.missing(doc)], DocumentStatus(source=doc.source, output=doc.output, state="missing")
    found: list[Finding] = []
    try:
        header = mem.header()  # most documents need only the memory's header: its first few kilobytes
        state = "current"
        if doc.out_data is None:
            found.append(kinds.english_deleted(doc))
            state = "missing"
        elif not header.records_output(sha256(doc.out_data)):
            found.append(kinds.unrecorded_edits(doc))
            state = "unrecorded-edits"
        changed = header.source_hash != sha256(doc.data)
        stale = 0
        if changed or _needs_segments(ctx, header):
            more, stale = (_changed_source if changed else _unchanged_source)(ctx, doc, doc.data, mem.memory())
            found += more
        if header.unsettled:
            found += _lost_english(ctx, doc, mem.memory())
    except MemoryCorrupt as exc:
        found.append(kinds.corrupt_memory(doc, exc.line or 1, exc.message))
        return found, DocumentStatus(source=doc.source, output=doc.output, state="corrupt-memory")
    if (changed or stale) and state == "current":
        state = "stale"
    counts = header.counts
    return found, DocumentStatus(
        source=doc.source, output=doc.output, state=state, segments=counts["total"], reviewed=counts["reviewed"],
        needs_review=counts["needs-review"], machine=counts["machine"], stale=stale, lost=header.lost,
        translated_at=header.translated_at, engine=header.engine)


def _lost_english(ctx: Context, doc: Doc, memory: Memory) -> list[Finding]:
    """Retired English of a person that no page holds: awaiting a decision, or marked moved by the tool
    to a page that does not hold it (a move settles only when the English really is on a page). A lost
    record's added items or rows (`after`) are on no page, whatever its own English is."""
    return [kinds.lost_english(doc, r) for r in memory.unsettled()
            if not memory.holds_after(r) or not ctx.on_some_page(r.final)]


def _orphan_lost(ctx: Context, doc: Doc, mem: MemoryFile | None) -> list[Finding]:
    """A deleted or renamed source's memory may still hold a person's English: its retired English
    is reported until decided, and the orphan finding counts its live English that no page holds."""
    if mem is None:
        return []
    try:
        memory = mem.memory()
    except MemoryCorrupt:
        return []  # the orphan finding already asks for the file to be deleted or its source restored
    stranded = [r for r in memory.segments if r.human and r.final.strip() and not ctx.on_some_page(r.final, besides=memory)]
    return _lost_english(ctx, doc, memory) + ([kinds.stranded_english(doc, stranded)] if stranded else [])


def _needs_segments(ctx: Context, header: Header) -> bool:
    """Whether an unchanged source's findings need the memory's segments, or its header says it all."""
    return (not ctx.glossary_current(header.glossary_hash) or not header.model_current
            or header.counts["needs-review"] > 0 or (ctx.require_reviewed and header.counts["machine"] > 0))


def _unchanged_source(ctx: Context, doc: Doc, data: bytes, memory: Memory) -> tuple[list[Finding], int]:
    """Glossary-stale, model-stale and review findings; the number of stale segments."""
    found: list[Finding] = []
    if not ctx.glossary_current(memory.glossary_hash):
        found += [kinds.glossary_stale(doc, r, r.line) for r in memory.segments if ctx.glossary_stale(r)]
    stale = len(found)
    old = _model_stale(ctx, [(r, r.line) for r in memory.segments])
    found += kinds.model_stale(doc, old, ctx.info) if ctx.info is not None else []
    if kinds.needs_review_lines(memory, ctx.require_reviewed):
        lines = recorded_lines(memory, data, doc.out_data or b"", doc.source, doc.output)
        found += kinds.review(doc, memory, lines, ctx.require_reviewed)
    return found, stale + len(old)


def _model_stale(ctx: Context, records: list[tuple[Record, int]]) -> list[tuple[Record, int]]:
    return [(r, line) for r, line in records if model_stale(r, ctx.info)] if ctx.info is not None else []


def _changed_source(ctx: Context, doc: Doc, data: bytes, memory: Memory) -> tuple[list[Finding], int]:
    """Name each changed, new or removed paragraph by its line in the new Chinese; the number of stale ones."""
    from workflow.document.pairing import pair
    from workflow.document.plan import code_options, meta_segments
    from workflow.store.post import parse as parse_post
    from workflow.text.segment import segment_body

    try:
        post = parse_post(data, doc.source)
        body = segment_body(post.body, {}, code=code_options(ctx.settings))
        segments = body + meta_segments(ctx.settings, post, body)
    except WorkflowError as exc:
        return [kinds.unreadable_source(doc, exc.line or 1, exc.message)], 1
    old = memory.segments
    pairing = pair([r.source for r in old], [s.source for s in segments])
    lines = [s.line + (post.body_line - 1 if s.pieces else 0) for s in segments]
    check_glossary = not ctx.glossary_current(memory.glossary_hash)
    found: list[Finding] = []
    same: list[tuple[Record, int]] = []
    for segment, line, (index, relation) in zip(segments, lines, pairing.matches):
        if relation == "same" and index is not None:
            if check_glossary and ctx.glossary_stale(old[index]):
                found.append(kinds.glossary_stale(doc, old[index], line))
            same.append((old[index], line))
        else:
            found.append(kinds.changed_segment(doc, segment, line, relation))
    count = len(found)
    for index in pairing.retired:  # at the first paragraph that followed it, or at the end
        after = [line for (i, _), line, s in zip(pairing.matches, lines, segments) if s.pieces and (i or 0) > index]
        found.append(kinds.removed_segment(doc, old[index], after[0] if after else max(lines, default=1)))
    models = _model_stale(ctx, same)
    found += kinds.model_stale(doc, models, ctx.info) if ctx.info is not None else []
    count += len(models)
    if not count and not pairing.retired:
        found.append(kinds.changed_outside_text(doc))
    return found, count
