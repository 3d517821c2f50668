"""One document: what is unchanged, what needs the engine, what carries an editor's work.

`plan_document` reads a source, its memory and its English file, and decides per
segment: reuse the recorded English (same Chinese, same glossary entries, same
model), re-translate (new or changed Chinese, or machine text from another model),
or keep the editor's English and flag it (glossary entries changed under it).
No engine is called here; nothing is written.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from workflow.config import Settings
from workflow.document.assemble import container_prefix, header_cell, line_prefix, plain_text
from workflow.document.carry import move_additions, move_stranded_afters
from workflow.document.pairing import pair
from workflow.document.reuse import Reuse, neighbours
from workflow.errors import InputError, UnrecordedEdits, WorkflowError
from workflow.glossary.terms import Glossary
from workflow.glossary.terms import stale as glossary_stale
from workflow.store import memory as memory_mod
from workflow.store.documents import fast_rel
from workflow.store.files import read_bytes, sha256
from workflow.store.memory import EngineInfo, Memory, Record, model_stale
from workflow.store.post import Post, parse
from workflow.text.chars import has_han
from workflow.text.code import CODE_KINDS, CodeOptions
from workflow.text.protect import Masked, mask
from workflow.text.segment import Segment, segment_body
from workflow.text.sentences import Unit, needs_engine, split

if TYPE_CHECKING:  # the index (numpy, rapidfuzz) is imported where a lookup needs it
    from workflow.store.tm import LazyIndex


@dataclass
class Work:
    """A segment that needs (re-)translation."""

    masked: Masked
    units: list[Unit]
    previous: Record | None  # the record it continues, for carrying an edit over
    relation: str  # new | changed | model | glossary
    matches: tuple[dict[str, Any], ...] = ()  # fuzzy suggestions from the translation memory


@dataclass(kw_only=True)
class Plan:
    source_path: Path
    source_rel: str  # inside the source folder
    shown: str  # project-relative source path
    output_path: Path
    memory_path: Path
    source_hash: str
    post: Post
    output_hash: str | None  # of the English file on disk now (None: absent)
    old: Memory | None
    segments: list[Segment] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    records: list[Record | None] = field(default_factory=list)
    work: dict[int, Work] = field(default_factory=dict)
    retired: list[Record] = field(default_factory=list)
    levels: dict[int, str] = field(default_factory=dict)  # match level of each segment kept or reused this run
    asked: list[int] = field(default_factory=list)  # segments whose fuzzy matches `suggest` looks up
    unchanged: bool = False
    refresh: bool = False  # unchanged, but memory should record the current glossary's identity
    output_rel: str = ""  # project-relative English path as memory records it, resolved when the plan is opened (not while files are written)

    @property
    def shown_output(self) -> str:
        return self.output_path.as_posix()


def source_rel(settings: Settings, path: Path) -> str:
    try:
        fast = fast_rel(path, settings.source) if path.is_absolute() else None
        rel = fast if fast is not None else path.resolve().relative_to(settings.source.resolve()).as_posix()
        rel.encode("utf-8")
        return rel
    except UnicodeEncodeError:  # memory, JSON and the terminal need text: the name's bytes are not UTF-8
        shown = settings.rel(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise InputError("the file name is not valid UTF-8. Rename the file.", path=shown) from None
    except (RuntimeError, OSError):
        raise InputError("cannot be read (a symbolic link loop?). Remove the link.", path=settings.rel(path)) from None
    except ValueError:
        if path.resolve().is_relative_to(settings.output.resolve()):  # an English path naming no document
            raise InputError("no such file. Check the path.", path=settings.rel(path)) from None
        raise WorkflowError(
            f"is not inside the source folder {settings.rel(settings.source)}/. Give paths under it.",
            path=settings.rel(path),
        ) from None


def read_source(settings: Settings, path: Path) -> tuple[str, str, bytes]:
    rel = source_rel(settings, path)
    data = read_bytes(path)
    if data is None:
        raise InputError("no such file. Check the path.", path=settings.rel(path))
    return rel, settings.rel(path), data


def open_plan(settings: Settings, path: Path) -> tuple[Plan, bytes | None]:
    """A document's files read (the Chinese parsed, its memory, its English file), nothing decided yet."""
    rel, shown, data = read_source(settings, path)
    post = parse(data, shown)
    output_path = settings.output / rel
    memory_path = memory_mod.memory_path(settings.memory_root, rel)
    old = memory_mod.load(memory_path, settings.rel(memory_path))
    english = read_bytes(output_path)
    plan = Plan(source_path=path, source_rel=rel, shown=shown, output_path=output_path, memory_path=memory_path, source_hash=sha256(data), post=post,
                output_hash=sha256(english) if english is not None else None, old=old, output_rel=settings.rel(output_path))
    return plan, english


def plan_document(
    settings: Settings, path: Path, glossary: Glossary, engine_info: EngineInfo | None, *, adopt: bool = False,
    tm: LazyIndex | None = None,
) -> Plan:
    """`adopt`: an English file without memory is not refused (`translate --force` keeps its text).
    `tm`: the project's translation memory, read only when a segment needs new text."""
    plan, _ = open_plan(settings, path)
    old, post = plan.old, plan.post
    if not (adopt and old is None):
        _refuse_unrecorded(settings, plan)
    # An English file at `output_hash_previous` is a write that did not finish: write it again.
    glossary_current = old is not None and old.glossary_hash == glossary.identity
    if old is not None and old.source_hash == plan.source_hash and plan.output_hash == old.output_hash and not any(
        (not glossary_current and glossary_stale(r, glossary)) or model_stale(r, engine_info) for r in old.segments
    ) and not code_cut_changed(settings, old, post):
        plan.unchanged = True
        # no segment affected: memory just learns the new glossary, or is migrated to the current schema
        plan.refresh = not glossary_current or old.schema != memory_mod.SCHEMA
        return plan
    env: dict[str, Any] = {}
    try:
        body = segment_body(post.body, env, code=code_options(settings))
    except InputError as exc:  # the text stages know lines of the body, not the file
        raise InputError(exc.message, path=post.path, line=(exc.line or 1) + post.body_line - 1) from None
    plan.segments = body + meta_segments(settings, post, body)
    plan.ids = segment_ids(plan.segments)
    _decide(plan, env, glossary, engine_info, settings, tm)
    return plan


def code_cut_changed(settings: Settings, old: Memory, post: Post) -> bool:
    """Memory's code segments are not those the settings give (`code-comments`/`code-strings` changed,
    or memory was written before code comments were segments): the document is planned again."""
    code = code_options(settings)
    wanted = {k for k, on in zip(CODE_KINDS, (code.comments, code.strings)) if on}
    recorded = [r for r in old.segments if r.kind in CODE_KINDS]
    if any(r.kind not in wanted for r in recorded):
        return True
    if not wanted or not has_han(post.body) or not ("```" in post.body or "~~~" in post.body or "\n    " in post.body
                                                    or "\n\t" in post.body):
        return False
    found = [s.source for s in segment_body(post.body, code=code) if s.kind in CODE_KINDS]
    return found != [r.source for r in recorded]


def code_options(settings: Settings) -> CodeOptions:
    """What of a code block is translated: `code-comments`, `code-strings` (text.code)."""
    return CodeOptions(comments=settings.code_comments, strings=settings.code_strings)


def meta_segments(settings: Settings, post: Post, body: list[Segment]) -> list[Segment]:
    """Front-matter values the policy translates, as segments without pieces.

    A post without a title gets one derived from its first heading (or a leading
    `#Title` line that lacks its space), else from its file name.
    """
    metadata = post.front.metadata if post.front else {}
    found = []
    for key, value in metadata.items():
        if settings.front_matter.action(key) == "translate" and isinstance(value, str) and value.strip():
            found.append(Segment(f"meta:{key}", post.front.inner_line if post.front else 1, value, (), True))
    if settings.front_matter.derive_title and "title" not in metadata:
        line, title = title_source(body, post.path)
        found.append(Segment("meta:title", line + post.body_line - 1, title, (), True))
    return found


def title_source(body: list[Segment], path: str) -> tuple[int, str]:
    """(line, Chinese text) a title is derived from."""
    headings = [s for s in body if s.kind.startswith("heading")]
    first = [s for s in headings if s.kind == "heading-1"][:1]
    if not first and body and body[0].source.startswith("#"):
        return body[0].line, _title(body[0].source.lstrip("#").strip())
    for segment in first or headings[:1]:
        return segment.line, _title(segment.source)
    stem = Path(path).stem
    words = stem.split("-")
    while words and words[0].isdigit():
        words = words[1:]
    return 1, " ".join(w.capitalize() for w in words) or stem


def _title(heading: str) -> str:
    """A heading's visible text: Markdown escapes resolved, a trailing `{#id}` attribute dropped."""
    return plain_text(re.sub(r"\s*\{#[^{}]*\}\s*$", "", heading))


def segment_ids(segments: list[Segment]) -> list[str]:
    """Stable ids: a hash of the Chinese, numbered when it repeats; `meta:<key>` for front matter."""
    seen: Counter[str] = Counter()
    ids = []
    for segment in segments:
        base = segment.kind if segment.kind.startswith("meta:") else "s" + hashlib.sha256(segment.source.encode()).hexdigest()[:12]
        seen[base] += 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return ids


def _refuse_unrecorded(settings: Settings, plan: Plan) -> None:
    if plan.output_hash is None:
        return
    out = settings.rel(plan.output_path)
    if plan.old is None:
        raise UnrecordedEdits(
            f"exists but has no memory ({settings.rel(plan.memory_path)}): workflow did not write it. "
            "Move it away, or run `workflow translate --force` to keep its text as the editor's version.",
            path=out,
        )
    if not plan.old.output_is_recorded(plan.output_hash):
        raise UnrecordedEdits(
            f"has edits that are not recorded yet. Run `workflow review {out}` first "
            "(or `workflow translate --force`, which records them).",
            path=out,
        )


def _decide(plan: Plan, env: dict[str, Any], glossary: Glossary, info: EngineInfo | None, settings: Settings,
            tm: LazyIndex | None) -> None:
    old = list(plan.old.segments) if plan.old else []
    old_retired = list(plan.old.retired) if plan.old else []
    sources = [s.source for s in plan.segments]
    pairing = pair([r.source for r in old], sources)
    reuse = Reuse(settings, plan.shown, old, old_retired, tm, glossary, info)
    plan.records = [None] * len(plan.segments)
    stranded: list[tuple[int, Record]] = []  # (old index, record) whose block changed kind in place
    for index, (segment, (old_index, relation)) in enumerate(zip(plan.segments, pairing.matches)):
        previous = old[old_index] if old_index is not None else None
        if previous is not None and old_index is not None and previous.after.strip() and (
                previous.kind != segment.kind or header_cell(plan.post.body, segment)):
            stranded.append((old_index, previous))  # added items follow an item (a row a body row), not a heading
            previous = dataclasses.replace(previous, after="")
        line = line_of(plan, segment)
        if relation == "same" and previous is not None:
            stale = glossary_stale(previous, glossary)  # same Chinese: previous.source is segment.source
            if stale and previous.human:
                plan.levels[index] = "context"
                plan.records[index] = _flag_glossary(previous, glossary.fingerprint(segment.source), segment,
                                                     plan.ids[index])
                continue
            if stale:
                relation = "glossary"
            elif model_stale(previous, info):
                relation = "model"
            else:
                same = neighbours(sources, index) == neighbours([r.source for r in old], old_index or 0)
                plan.levels[index] = "context" if same else "exact"  # the record itself is kept as it was
                plan.records[index] = dataclasses.replace(previous, id=plan.ids[index], kind=segment.kind, line=line)
                continue
        if relation == "new" or (relation == "changed" and previous is not None and not previous.human):
            found = reuse.exact(segment.source, plan.ids[index], segment.kind, line,
                                header_cell(plan.post.body, segment))
            if found is not None:
                plan.records[index], plan.levels[index] = found, "exact"
                continue
        masked = mask(segment.source, env, markdown_inline=bool(segment.pieces))
        units = split(masked)
        plan.work[index] = Work(masked, units, previous, relation)
    # looked up by `suggest`, with other documents' (one pre-filter pass for many)
    plan.asked = [i for i, work in plan.work.items() if needs_engine_any(work.units, settings)] if tm is not None else []
    kept = {o: n for n, (o, rel) in enumerate(pairing.matches) if o is not None and plan.records[n] is not None}
    back = {id(r) for r in reuse.used}  # English put back on the page is no longer retired
    # (nor are its additions: they moved with it, so they are not moved to a neighbour too)
    depth = _same_depth(plan)
    move_additions(plan.records, kept, [(i, old[i]) for i in pairing.retired if id(old[i]) not in back], len(old), depth)
    plan.retired = [r for r in [old[i] for i in pairing.retired if old[i].human] + old_retired if id(r) not in back]
    move_stranded_afters(plan.records, kept, stranded, plan.retired, depth)


def _same_depth(plan: Plan) -> Callable[[Record, int], bool]:
    """Do a record's added items stand, in the English on disk (what memory recorded), behind the container
    prefix (quotes, indentation) of new segment `near`? Unknown (not found, or at two depths): no.
    The English is read only when asked (an item with added items lost its Chinese)."""
    english: list[str] = []
    read = False

    def same(record: Record, near: int) -> bool:
        nonlocal english, read
        if not read:
            read, data = True, read_bytes(plan.output_path)
            try:
                english = parse(data, plan.shown_output).body.split("\n") if data is not None else []
            except WorkflowError:
                english = []
        first = next((line for line in record.after.split("\n") if line.strip()), "")
        outers = {line[:-len(first)] for line in english if first and line.endswith(first)
                  and container_prefix(line[:-len(first)]) == line[:-len(first)]}
        segment = plan.segments[near]
        return bool(segment.pieces) and outers == {container_prefix(line_prefix(plan.post.body, segment.start))}

    return same


def suggest(plans: Sequence[Plan], tm: LazyIndex | None, threshold: int) -> None:
    """The translation memory's fuzzy matches of every segment the plans send to the engine (`asked`),
    looked up together: the index pre-filters a batch in one numpy pass, whose fixed cost would
    otherwise be paid per segment. Each goes into its `Work.matches`."""
    asked = [(plan, index) for plan in plans for index in plan.asked]
    if tm is None or not asked:
        return
    found = tm.get().fuzzy_many([plan.segments[index].source for plan, index in asked], threshold)
    for (plan, index), matches in zip(asked, found):
        plan.work[index].matches = tuple(unit.suggestion(score) for score, unit in matches)
    for plan in plans:
        plan.asked = []


def match_levels(plan: Plan, levels: tuple[str, ...]) -> dict[str, int]:
    """Segments per match level: planned ones (context, exact) and those the run made (their `match`)."""
    counts = dict.fromkeys(levels, 0)
    for index, record in enumerate(plan.records):
        level = plan.levels.get(index) or (record.match if record is not None and index in plan.work else "")
        if level in counts:
            counts[level] += 1
    return counts


def needs_engine_any(units: list[Unit], settings: Settings) -> bool:
    return any(needs_engine(u.core, settings.copy_untranslatable) for u in units)


def _flag_glossary(previous: Record, fingerprint: str, segment: Segment, id_: str) -> Record:
    reason = "glossary entries for this Chinese changed since it was reviewed; check the English"
    return dataclasses.replace(
        previous, id=id_, kind=segment.kind, glossary=fingerprint, status="needs-review",
        reasons=tuple(dict.fromkeys(previous.reasons + (reason,))),
    )


def line_of(plan: Plan, segment: Segment) -> int:
    """The segment's line in the file (front matter included)."""
    return segment.line + (plan.post.body_line - 1 if segment.pieces else 0)


def units_needing_engine(plan: Plan, copy_untranslatable: bool) -> list[tuple[int, int]]:
    """(segment index, unit index) of every sentence the engine must translate."""
    return [
        (index, u)
        for index, work in plan.work.items()
        for u, unit in enumerate(work.units)
        if needs_engine(unit.core, copy_untranslatable)
    ]

