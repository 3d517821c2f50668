"""`review`: the editors' corrections of the English, recorded as diffs in memory.

Editors edit `output_en/X.md` in any editor. `review` parses the file, attributes each
English paragraph to its recorded segment (`workflow.review.edits.attribute`) and the front-matter
values to their `meta:` records, and for every segment whose English changed records
the final text, the diff-match-patch patch from the machine text, status `reviewed`,
the reviewer and the time. `approve` also accepts the untouched machine segments.

Nothing is written unless it is certain that nothing is lost: the English the recorded
segments give (the very bytes `translate` would write) must be the editor's file. An
edit outside the translatable text (markup, code, front-matter keys that are not
translated) or an edit that cannot be attributed with certainty refuses the file with
the line to look at, and leaves it and its memory untouched. Memory and English are
written with `document.output.write_pair` (memory marked in flight, English, memory), so a
crash between the writes leaves files that the next run accepts.

When the Chinese changed since the English was written, segments are still aligned and
recorded, but there is no Chinese markup to render them in: the editor's file is kept as
it is (with the provenance updated) and `translate` then carries the edits over.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from workflow.config import Settings
from workflow.document.output import LISTS_KEY, TERMS_KEY, output_bytes, provenance, write_pair
from workflow.document.output import front_matter_lists as front_matter_lists_of
from workflow.document.output import front_matter_terms as front_matter_terms_of
from workflow.document.plan import Plan, code_options, meta_segments, open_plan, segment_ids
from workflow.errors import WorkflowError
from workflow.glossary.terms import Glossary
from workflow.glossary.terms import load as load_glossary
from workflow.review.edits import Attribution, Unaligned, attribute, split_final
from workflow.review.markup import ListEditUnclear, front_matter_lists, front_matter_terms, overrides
from workflow.review.results import Change, DocumentReview, Reviewer, untouched, utc_now
from workflow.store import memory as memory_mod
from workflow.store.documents import rel_to
from workflow.store.files import read_bytes, sha256
from workflow.store.memory import Memory, Record
from workflow.store.post import Post, encode_text, key_line, parse, render_front_matter
from workflow.text.diff import make_patch
from workflow.text.segment import Segment, code_keys, segment_body
from workflow.text.skeleton import code_difference

Cutter = Callable[[str], list[Segment]]  # an English body -> its segments, cut as its Chinese is


class UnalignedEdits(WorkflowError):
    """An English file holds edits that cannot be recorded with certainty; nothing was written."""

    exit_code = 1


def way_out(exc: UnalignedEdits) -> UnalignedEdits:
    """The refusal with the way out named: set the English aside and redo the edit in smaller steps."""
    hint = (f" To start again from memory (your file is kept next to the memory): "
            f"`workflow review --set-aside {exc.path}`, then redo the edit in smaller steps.")
    return UnalignedEdits(exc.message + hint, path=exc.path, line=exc.line)


class NotTranslated(WorkflowError):
    """There is nothing to review: no memory, or no English file."""

    exit_code = 1

    def __init__(self, message: str, *, path: str, english: bool) -> None:
        super().__init__(message, path=path)
        self.english = english  # an English file exists (translated by hand before the tool?)


def has_memory(settings: Settings, source: Path) -> bool:
    rel = rel_to(source, settings.source)
    return memory_mod.memory_path(settings.memory_root, rel).exists()


# -- one document ----------------------------------------------------------------------


@dataclass
class Document:
    """A source, its memory and its English file, read once."""

    plan: Plan  # segments of the current Chinese; records = memory's when `current`
    memory: Memory
    english: bytes | None
    current: bool  # the memory describes the current Chinese
    cut: Cutter = segment_body  # segments an English body as its Chinese is cut (code comments at their keys)

    @property
    def records(self) -> list[Record]:
        return list(self.memory.segments)


def load(settings: Settings, source: Path) -> Document:
    plan, english = open_plan(settings, source)
    memory, post = plan.old, plan.post
    out = settings.rel(plan.output_path)
    if memory is None:
        hint = ("run `workflow translate --force` to keep its text as the editor's version" if english is not None
                else "run `workflow translate` first")
        raise NotTranslated(f"has no memory yet: {hint}.", path=out, english=english is not None)
    if english is None:
        raise NotTranslated("is missing: `workflow translate` writes it again from memory.", path=out, english=False)
    code = code_options(settings)
    body = segment_body(post.body, code=code)
    plan.segments = body + meta_segments(settings, post, body)
    plan.ids = segment_ids(plan.segments)
    current = memory.source_hash == plan.source_hash and [r.source for r in memory.segments] == [
        s.source for s in plan.segments]
    if current:
        plan.records = list(memory.segments)
    return Document(plan, memory, english, current, english_cutter(settings, post.body))


def english_cutter(settings: Settings, chinese_body: str) -> Cutter:
    """English bodies are segmented where the Chinese has segments: a translated code comment holds no
    Chinese any more, so its place (code block, text of it) is what makes it a segment."""
    code = code_options(settings)
    keys = code_keys(chinese_body, code)
    return functools.partial(segment_body, code=code, keys=keys)


def record_or_raise(settings: Settings, source: Path) -> DocumentReview:
    """`translate --force`: record the English file's edits, or raise why not."""
    glossary = load_glossary(settings.glossary, settings.root)
    try:
        return review_document(settings, source, glossary, Reviewer(settings), False, utc_now())
    except UnalignedEdits as exc:
        raise way_out(exc) from None


def review_document(settings: Settings, source: Path, glossary: Glossary, who: Reviewer, approve: bool,
                    now: str, *, checked: bool = False) -> DocumentReview:
    """Record one document's edits (`checked`: `untouched` already said None)."""
    done = None if approve or checked else untouched(settings, source, glossary=glossary)
    if done is not None:
        return done
    doc = load(settings, source)
    assert doc.english is not None
    out = settings.rel(doc.plan.output_path)
    english = parse(doc.english, out)
    recorded = doc.memory.output_is_recorded(doc.plan.output_hash)  # or a write that did not finish
    records, changes = (doc.records, []) if recorded else edits(doc, english, who, now)
    if approve:
        records, approved = approve_machine(records, english, who, now, doc.cut)
        changes += approved
    doc.plan.records = list(records)
    extra = doc.memory.extra
    if doc.current and not recorded:
        extra, term_changes = _front_terms(settings, doc, english, glossary)
        changes += term_changes
        doc.plan.old = dataclasses.replace(doc.memory, extra=extra)  # output_bytes reads the terms there
    if doc.current:
        data = output_bytes(settings, doc.plan, glossary)
        if not recorded:
            verify(settings, english, parse(data, out), out)
    else:
        data = _keep_editors_file(settings, doc, english, records)
    memory = dataclasses.replace(doc.memory, segments=tuple(records), output_hash=sha256(data), output_hash_previous="",
                                 extra=extra)
    state = "recorded" if any(c.action != "approved" for c in changes) else ("approved" if changes else "unchanged")
    if data != doc.english or memory.to_bytes() != doc.memory.to_bytes():
        write_pair(doc.plan.memory_path, memory, doc.plan.output_path, data, doc.plan.output_hash)
    reviewed = sum(1 for r in records if r.status == "reviewed")
    return DocumentReview(source=doc.plan.shown, output=out, state=state, reviewed=reviewed, total=len(records), changes=tuple(changes))


def edits(doc: Document, english: Post, who: Reviewer, now: str) -> tuple[list[Record], list[Change]]:
    """The memory's records with the English file's edits recorded, and what changed."""
    records = doc.records
    new = new_finals(records, english, doc.cut)
    lines = edited_lines(records, english, doc.cut)
    changes: list[Change] = []
    for index, final in sorted(new.items()):
        record = records[index]
        action = "deleted" if final == "" else "edited"
        records[index] = record_edit(record, final, who(), now)
        changes.append(Change(record.id, lines.get(index, 0), record.kind, action))
    for index, after in sorted(after_edits(records, english, doc.cut).items()):
        record = records[index]
        records[index] = dataclasses.replace(record, after=after)  # the item's own English is not approved by it
        if index not in new:
            changes.append(Change(record.id, lines.get(index, 0), record.kind, "added"))
    if doc.current:
        for index, markup in sorted(markup_edits(doc, records, english).items()):
            record = records[index]
            records[index] = dataclasses.replace(record, markup=markup, status="reviewed", reviewer=who(),
                                                 reviewed_at=now)
            if index not in new:
                changes.append(Change(record.id, lines.get(index, 0), record.kind, "markup"))
    return records, changes


def _front_terms(settings: Settings, doc: Document, english: Post, glossary: Glossary) -> tuple[dict[str, Any], list[Change]]:
    """Memory's header with the editors' English for `tags`/`categories` values and the values they added or
    removed, and what changed."""
    old, old_lists = front_matter_terms_of(doc.memory), front_matter_lists_of(doc.memory)
    chinese = doc.plan.post.front.metadata if doc.plan.post.front else {}
    mine = english.front.metadata if english.front else {}
    raw = english.front.raw if english.front else ""
    try:
        terms = front_matter_terms(settings.front_matter, chinese, mine, glossary, old, old_lists)
        lists = front_matter_lists(settings.front_matter, chinese, mine, glossary, old, old_lists)
    except ListEditUnclear as exc:
        raise UnalignedEdits(f"front matter: `{exc.key}` has values both changed and added or removed at one place; "
                             "cannot tell which value became which. Review in two steps (add or remove, review, then "
                             "edit). Nothing was recorded for this file.", path=english.path,
                             line=key_line(raw, exc.key)) from None
    extra = {k: v for k, v in doc.memory.extra.items() if k not in (TERMS_KEY, LISTS_KEY)}
    if terms:
        extra[TERMS_KEY] = terms
    if lists:
        extra[LISTS_KEY] = lists
    changed = sorted(k for k in set(terms) | set(old) | set(lists) | set(old_lists)
                     if terms.get(k) != old.get(k) or lists.get(k) != old_lists.get(k))
    return extra, [Change(f"meta:{k}", key_line(raw, k), f"meta:{k}", "edited") for k in changed]


def markup_edits(doc: Document, records: Sequence[Record], english: Post) -> dict[int, str]:
    """Record index -> the heading level or list marker the editor changed it to (see review.markup)."""
    body_index, alignment, segments = _body_alignment(records, english, doc.cut)
    chinese = [doc.plan.segments[i] for i in body_index]
    own = [(s, o) for s, o, extra in zip(segments, alignment.owners, alignment.extras) if not extra]
    found = overrides([records[i] for i in body_index], doc.plan.post.body, chinese, english.body, [s for s, _ in own],
                      [o for _, o in own])
    return {body_index[k]: markup for k, markup in found.items()}


def _body_alignment(records: Sequence[Record], english: Post, cut: Cutter,
                    trust_position: bool = False) -> tuple[list[int], Attribution, list[Segment]]:
    body_index = [i for i, r in enumerate(records) if not r.kind.startswith("meta:")]
    segments = cut(english.body)
    try:
        found = attribute([records[i] for i in body_index], english.body, segments, trust_position=trust_position)
        return body_index, found, segments
    except Unaligned as exc:
        line = exc.segment.line + english.body_line - 1 if exc.segment else None
        raise UnalignedEdits(f"{exc.message}. Nothing was recorded for this file.", path=english.path, line=line) from None


def edited_lines(records: Sequence[Record], english: Post, cut: Cutter) -> dict[int, int]:
    """Record index -> its line in the English file as the editor left it, by attributing its paragraphs
    (front-matter values: their key's line). `store.documents.recorded_lines` is the cheap map for an
    English file that is as memory recorded it."""
    lines: dict[int, int] = {}
    try:
        body_index, alignment, segments = _body_alignment(records, english, cut)
    except UnalignedEdits:
        body_index, alignment, segments = [], Attribution({}, ()), []
    for segment, owner in zip(segments, alignment.owners):
        lines.setdefault(body_index[owner], segment.line + english.body_line - 1)
    following = english.body_line + english.body.count("\n")
    for index in reversed(body_index):  # a deleted segment: where the next one starts now
        following = lines.setdefault(index, following)
    raw = english.front.raw if english.front else ""
    for index, record in enumerate(records):
        if record.kind.startswith("meta:"):
            lines[index] = key_line(raw, record.kind.split(":", 1)[1])
    return lines


def after_edits(records: Sequence[Record], english: Post, cut: Cutter, trust_position: bool = False) -> dict[int, str]:
    """Record index -> the list items or table rows the editor added after it now (where they changed)."""
    body_index, alignment, _ = _body_alignment(records, english, cut, trust_position)
    return {body_index[k]: text for k, text in alignment.afters.items()}


def new_finals(records: Sequence[Record], english: Post, cut: Cutter, trust_position: bool = False) -> dict[int, str]:
    """Record index -> the final the English file now holds, for records whose English changed."""
    body_index, alignment, _ = _body_alignment(records, english, cut, trust_position)
    finals = {body_index[k]: text for k, text in alignment.finals.items()}
    metadata = english.front.metadata if english.front else {}
    for index, record in enumerate(records):
        if not record.kind.startswith("meta:"):
            continue
        key = record.kind.split(":", 1)[1]
        value = metadata.get(key)
        if not isinstance(value, str):
            what = "was removed" if value is None else "is not text"
            raise UnalignedEdits(f"front-matter key `{key}` {what}; it holds the English of the Chinese `{key}`. "
                                 "Put it back as text. Nothing was recorded for this file.", path=english.path, line=1)
        if value != record.final:
            finals[index] = value
    return finals


def record_edit(record: Record, final: str, reviewer: str, now: str) -> Record:
    parts = len(split_final(record.kind, final)) if not record.kind.startswith("meta:") else 1
    notes = ("deleted by the editor",) if final == "" else (
        (f"holds {parts} paragraphs: the editor split it or added text",) if parts > 1 else ())
    return dataclasses.replace(record, final=final, patch=make_patch(record.machine, final), status="reviewed",
                               reviewer=reviewer, reviewed_at=now, reasons=notes)


def approve_machine(records: Sequence[Record], english: Post, who: Reviewer, now: str,
                    cut: Cutter) -> tuple[list[Record], list[Change]]:
    """Machine segments accepted as they are (needs-review ones still need a person's look)."""
    out: list[Record] = []
    changes: list[Change] = []
    lines = edited_lines(records, english, cut) if any(r.status == "machine" for r in records) else {}
    for index, record in enumerate(records):
        if record.status == "machine":
            changes.append(Change(record.id, lines.get(index, 0), record.kind, "approved"))
            record = dataclasses.replace(record, status="reviewed", reviewer=who(), reviewed_at=now, reasons=())
        out.append(record)
    return out, changes


# -- nothing lost: the recorded segments must give back the editor's file -----------------------


def verify(settings: Settings, english: Post, expected: Post, shown: str, *, adopting: bool = False) -> None:
    """Raise UnalignedEdits unless `expected` (what memory gives) holds everything of `english`."""
    problem = _front_matter_difference(settings, english, expected, adopting)
    if problem:
        raise UnalignedEdits(f"front matter: {problem}. The English front matter follows the Chinese except "
                             "for translated values; make this change in the Chinese source, or undo it. "
                             "Nothing was recorded for this file.", path=shown, line=1)
    if english.body == expected.body:
        return
    mine, theirs = _normalized(english.body), _normalized(expected.body)
    if [t for _, t in mine] == [t for _, t in theirs]:
        return  # blank lines and trailing spaces only
    k = next((k for k, (a, b) in enumerate(zip(mine, theirs)) if a[1] != b[1]), min(len(mine), len(theirs)))
    line = mine[k][0] + english.body_line - 1 if k < len(mine) else english.body_line + english.body.count("\n")
    found = mine[k][1] if k < len(mine) else "(end of file)"
    wanted = theirs[k][1] if k < len(theirs) else "(end of file)"
    raise UnalignedEdits(
        f"this edit is outside the translatable text or changes the structure in a way that cannot be "
        f"recorded (found {_short(found)!r}, the recorded segments give {_short(wanted)!r}). Undo it, or make "
        "the change in the Chinese source. Nothing was recorded for this file.", path=shown, line=line)


def refuse_code_change(settings: Settings, doc: Document, data: bytes) -> None:
    """An English (from a CAT tool or the interactive editor) that ends a code comment or breaks its line
    would change the code around it: refused, nothing written."""
    out = settings.rel(doc.plan.output_path)
    problem = code_difference(doc.plan.post.body, parse(data, out).body, code_options(settings))
    if problem:
        raise UnalignedEdits(f"{problem}: a comment's English may not end the comment (`*/`, `-->`) or break its "
                             "line. Write it without them. Nothing was recorded for this file.", path=out)


def _front_matter_difference(settings: Settings, english: Post, expected: Post, adopting: bool) -> str:
    mine = dict(english.front.metadata) if english.front else {}
    theirs = dict(expected.front.metadata) if expected.front else {}
    key = settings.front_matter.provenance_key
    mine.pop(key, None)
    theirs.pop(key, None)
    changed = sorted(k for k in mine if k not in theirs or theirs[k] != mine[k])
    removed = [] if adopting else sorted(k for k in theirs if k not in mine)
    if changed:
        return "`" + "`, `".join(changed) + "` differ from what the Chinese front matter gives"
    if removed:
        return "`" + "`, `".join(removed) + "` were removed"
    return ""


def _normalized(body: str) -> list[tuple[int, str]]:
    """(line number, text) with trailing blanks dropped and runs of blank lines collapsed."""
    out: list[tuple[int, str]] = []
    for number, line in enumerate(body.split("\n"), start=1):
        text = line.rstrip()
        if text or (out and out[-1][1]):
            out.append((number, text))
    while out and not out[-1][1]:
        out.pop()
    return out


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _keep_editors_file(settings: Settings, doc: Document, english: Post, records: Sequence[Record]) -> bytes:
    """The Chinese changed since: the editor's file as it is, with the provenance brought up to date."""
    summary = provenance(doc.plan, records)
    summary["source_hash"] = doc.memory.source_hash
    text = render_front_matter(english.front, {settings.front_matter.provenance_key: summary}) + english.body
    return encode_text(text, english.encoding, english.newline)


# -- translate --force on an English file without memory ---------------------------------------


def adopt(settings: Settings, plan: Plan, glossary: Glossary, now: str) -> None:
    """Fresh machine records take the English file's text as the editor's version, or raise."""
    data = read_bytes(plan.output_path)
    assert data is not None
    shown = settings.rel(plan.output_path)
    english = parse(data, shown)
    who = Reviewer(settings)
    records = [r for r in plan.records if r is not None]
    metadata: Mapping[str, Any] = english.front.metadata if english.front else {}
    present = [r for r in records if not r.kind.startswith("meta:") or r.kind.split(":", 1)[1] in metadata]
    cut = english_cutter(settings, plan.post.body)
    finals = new_finals(present, english, cut, trust_position=True)
    changed = {present[i].id: final for i, final in finals.items()}
    added = {present[i].id: after for i, after in after_edits(present, english, cut, trust_position=True).items()}
    plan.records = [record_edit(r, changed[r.id], who(), now) if r.id in changed else r for r in records]
    plan.records = [dataclasses.replace(r, after=added[r.id]) if r is not None and r.id in added else r
                    for r in plan.records]
    verify(settings, english, parse(output_bytes(settings, plan, glossary), shown), shown, adopting=True)
