"""What an editor looks at: segments with their Chinese, machine and final English, and diffs.

`views` reads memory (never writes): every document's segments that are pending
(machine, needs-review) or edited. `html_report` renders them as one self-contained
page (inline CSS, no scripts or external resources, every text escaped).
`decide` records one segment's decision for `review --interactive` and writes memory
and English at once, so progress survives quitting at any point.
"""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from workflow.config import Settings
from workflow.document.output import output_bytes, write_pair
from workflow.errors import WorkflowError
from workflow.glossary.terms import Glossary
from workflow.glossary.terms import load as load_glossary
from workflow.review.finals import validate_final
from workflow.review.record import NotTranslated, load, record_edit, refuse_code_change
from workflow.store.documents import sources
from workflow.store.files import sha256
from workflow.store.memory import Record
from workflow.text.diff import DELETE, INSERT, diff


@dataclass(frozen=True, kw_only=True)
class SegmentView:
    id: str
    line: int
    kind: str
    status: str
    reasons: tuple[str, ...]
    source: str
    machine: str
    final: str
    previous_final: str
    reviewer: str
    hints: tuple[tuple[str, str], ...]  # glossary (zh, en) the Chinese matches
    previous_source: str = ""  # the Chinese it had before its last change
    matches: tuple[dict[str, Any], ...] = ()  # translation-memory suggestions (score, source, target, origin, status)
    key: str = ""  # of a lost English: what `workflow memory restore|dismiss` take
    after: str = ""  # list items or table rows the editor added after it (Markdown lines)

    @property
    def pending(self) -> bool:
        return self.status != "reviewed"

    @property
    def edited(self) -> bool:
        return self.final != self.machine


@dataclass(frozen=True, kw_only=True)
class DocumentView:
    source: str
    output: str
    segments: tuple[SegmentView, ...]  # pending or edited (all of them with `everything`)
    total: int
    reviewed: int
    unrecorded: bool  # the English file has edits `review` has not recorded yet
    current: bool  # memory describes the current Chinese
    lost: tuple[SegmentView, ...] = ()  # English a person wrote that is no longer on the page (check: lost-english)


def hints(glossary: Glossary, chinese: str) -> tuple[tuple[str, str], ...]:
    return tuple(dict.fromkeys((m.entry.zh, m.entry.en) for m in glossary.match(chinese)))


def view(record: Record, glossary: Glossary) -> SegmentView:
    return SegmentView(id=record.id, line=record.line, kind=record.kind, status=record.status, reasons=record.reasons, source=record.source,
                       machine=record.machine, final=record.final, previous_final=record.previous_final, reviewer=record.reviewer,
                       hints=hints(glossary, record.source), previous_source=record.previous_source,
                       matches=fuzzy(record), key=record.key, after=record.after)


def fuzzy(record: Record) -> tuple[dict[str, Any], ...]:
    """The record's translation-memory suggestions that carry an English (read defensively)."""
    return tuple(m for m in record.matches if isinstance(m, dict) and isinstance(m.get("target"), str))


def views(settings: Settings, paths: Iterable[Path] = (), *, everything: bool = False) -> list[DocumentView]:
    """Documents with their pending or edited segments (all segments with `everything`)."""
    glossary = load_glossary(settings.glossary, settings.root)
    found = []
    for source in sources(settings, paths):
        try:
            doc = load(settings, source)
        except NotTranslated:
            continue
        records = doc.records
        shown = [view(r, glossary) for r in records if everything or r.status != "reviewed" or r.edited or r.after]
        found.append(DocumentView(
            source=doc.plan.shown, output=settings.rel(doc.plan.output_path), segments=tuple(shown), total=len(records),
            reviewed=sum(1 for r in records if r.status == "reviewed"),
            unrecorded=not doc.memory.output_is_recorded(doc.plan.output_hash), current=doc.current,
            lost=tuple(view(r, glossary) for r in doc.memory.lost()),
        ))
    return found


def decide(settings: Settings, source: Path, record_id: str, *, final: str | None, reviewer: str, now: str) -> Record:
    """Accept one segment as it is (`final` None) or with a new final; write memory and English."""
    doc = load(settings, source)
    if not doc.current or not doc.memory.output_is_recorded(doc.plan.output_hash):
        raise WorkflowError("changed since the review started; run `workflow review` (or `translate`) and "
                            "start again.", path=settings.rel(doc.plan.output_path))
    records = doc.records
    index = next(i for i, r in enumerate(records) if r.id == record_id)
    record = records[index]
    if final is None or final == record.final:
        record = dataclasses.replace(record, status="reviewed", reviewer=reviewer, reviewed_at=now, reasons=())
    else:
        validate_final(record.kind, final, path=settings.rel(doc.plan.output_path), line=record.line)
        record = record_edit(record, final, reviewer, now)
    records[index] = record
    doc.plan.records = list(records)
    data = output_bytes(settings, doc.plan, load_glossary(settings.glossary, settings.root))
    refuse_code_change(settings, doc, data)
    memory = dataclasses.replace(doc.memory, segments=tuple(records), output_hash=sha256(data), output_hash_previous="")
    write_pair(doc.plan.memory_path, memory, doc.plan.output_path, data, doc.plan.output_hash)
    return record


# -- the HTML report ---------------------------------------------------------------------------

CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1b1f24;background:#fff}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2.5rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;width:100%;table-layout:fixed}
th,td{border:1px solid #d0d7de;padding:.4rem .6rem;vertical-align:top;text-align:left;white-space:pre-wrap;
overflow-wrap:anywhere}
th{background:#f6f8fa}th.meta,td.meta{width:9rem;white-space:normal}
del{background:#ffebe9;color:#82071e;text-decoration:line-through}
ins{background:#dafbe1;color:#116329;text-decoration:none}ins.after{display:block;margin-top:.3rem}
.badge{display:inline-block;border-radius:1em;padding:0 .5em;font-size:.8em;background:#eaeef2}
.status-machine .badge{background:#fff8c5}.status-needs-review .badge{background:#ffebe9}
.status-reviewed .badge{background:#dafbe1}
.reason,.hint,.tm{font-size:.8em;color:#57606a;display:block}.tm b{color:#0550ae}
.lost{border-left:4px solid #cf222e;padding-left:.6rem}
.summary{color:#57606a}
"""


def html_report(documents: Sequence[DocumentView], title: str = "Translation review") -> str:
    total = sum(d.total for d in documents)
    reviewed = sum(d.reviewed for d in documents)
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        f"<h1>{html.escape(title)}</h1>\n",
        f"<p class=\"summary\">{len(documents)} documents, {reviewed}/{total} segments reviewed. "
        "Machine English: deletions marked <del>like this</del>; final English: insertions marked "
        "<ins>like this</ins>.</p>\n",
    ]
    for doc in documents:
        parts.append(_document(doc))
    parts.append("</body>\n</html>\n")
    return "".join(parts)


def _document(doc: DocumentView) -> str:
    e = html.escape
    head = f"<h2>{e(doc.source)} → {e(doc.output)}</h2>\n<p class=\"summary\">{doc.reviewed}/{doc.total} reviewed"
    if doc.unrecorded:
        head += "; the English file has edits that are not recorded yet (run <code>workflow review</code>)"
    head += "</p>\n"
    head += _lost(doc)
    if not doc.segments:
        return head + "<p>Nothing pending.</p>\n"
    rows = ["<table>\n<thead><tr><th class=\"meta\">segment</th><th>Chinese</th><th>Machine English</th>"
            "<th>Final English</th></tr></thead>\n<tbody>\n"]
    for s in doc.segments:
        ops = diff(s.machine, s.final)
        machine = "".join(f"<del>{e(t)}</del>" if op == DELETE else e(t) for op, t in ops if op != INSERT)
        final = "".join(f"<ins>{e(t)}</ins>" if op == INSERT else e(t) for op, t in ops if op != DELETE)
        if not s.final:
            final = "<em>(deleted by the editor)</em>"
        if s.after:
            final += f"<ins class=\"after\">{e(s.after.strip(chr(10)))}</ins>"
        notes = "".join(f"<span class=\"reason\">{e(r)}</span>" for r in s.reasons)
        glossary = "".join(f"<span class=\"hint\">{e(zh)} → {e(en)}</span>" for zh, en in s.hints)
        glossary += _beside(s)
        rows.append(
            f"<tr class=\"status-{e(s.status)}\" id=\"{e(s.id)}\"><td class=\"meta\">line {s.line}<br>"
            f"<span class=\"badge\">{e(s.status)}</span>{notes}</td><td lang=\"zh\">{e(s.source)}{glossary}</td>"
            f"<td>{machine}</td><td>{final}</td></tr>\n")
    rows.append("</tbody>\n</table>\n")
    return head + "".join(rows)


def _beside(s: SegmentView) -> str:
    """The previous Chinese and English, and the translation memory's suggestions, under the Chinese."""
    e = html.escape
    out = ""
    if s.previous_source:
        out += (f"<span class=\"tm\">previous Chinese: {e(s.previous_source)}</span>"
                f"<span class=\"tm\">previous English: {e(s.previous_final)}</span>")
    for m in s.matches:
        out += (f"<span class=\"tm\"><b>{int(m.get('score', 0))}% match</b> ({e(str(m.get('origin', '')))}, "
                f"{e(str(m.get('status', '')))}): {e(str(m.get('target', '')))}</span>")
    return out


def _lost(doc: DocumentView) -> str:
    if not doc.lost:
        return ""
    e = html.escape
    items = "".join(f"<li><code>{e(s.key)}</code> (was line {s.line}): {e(s.final)}"
                    f"<span class=\"hint\" lang=\"zh\">{e(s.source)}</span></li>\n" for s in doc.lost)
    return (f"<div class=\"lost\"><p>English no longer on the page ({len(doc.lost)}): "
            f"<code>workflow memory restore|dismiss {e(doc.source)} KEY</code></p>\n<ul>\n{items}</ul></div>\n")
