"""`glossary check`: QA of the English against the glossary, from memory; writes nothing.

For every segment recorded in `output_en/.workflow/`: each glossary entry matched
in the segment's Chinese (outside code, URLs and other protected markup) must be
rendered in its final English as `glossary.renders` accepts; no Chinese character
may be left in the English (except inside a `keep` entry's English); and a segment
whose glossary entries changed since it was translated is reported glossary-stale.
Findings point at the English file and the segment's line in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from markdown_it.token import Token

from workflow.config import Settings
from workflow.errors import InputError, WorkflowError
from workflow.findings import Finding
from workflow.glossary.terms import Entry, Glossary, fold, renders, stale
from workflow.store import memory as memory_mod
from workflow.store.documents import recorded_lines
from workflow.store.files import read_bytes
from workflow.store.memory import Memory, Record
from workflow.store.post import Post, parse
from workflow.text.chars import HAN
from workflow.text.segment import markdown as parser

URL = re.compile(r"(?:https?|ftp)://[!-~]+")


@dataclass
class CheckReport:
    findings: list[Finding] = field(default_factory=list)
    documents: int = 0
    segments: int = 0


def check(settings: Settings, glossary: Glossary, paths: Sequence[Path] = ()) -> CheckReport:
    report = CheckReport()
    wanted = [_project_path(settings, p) for p in paths]
    memories = list(_memories(settings))
    chosen = [m for m in memories if not wanted or any(_under(m, w) for w in wanted)]
    for given, shown in zip(paths, wanted):
        if not any(_under(m, shown) for m in memories):
            raise InputError("has no translation memory: nothing translated there yet. Run `workflow translate` first.",
                             path=str(given))
    keep_han = [e for e in glossary.entries if e.kind == "keep" and HAN.search(e.en)]
    for memory in chosen:
        lines = _Lines(settings, memory)
        report.documents += 1
        for record in memory.segments:
            report.segments += 1
            report.findings += [Finding(memory.output, lines.of(record), kind, detail)
                                for kind, detail in segment_problems(record, glossary, keep_han)]
    report.findings.sort(key=lambda f: (f.path, f.line))  # stable: a segment's own findings stay in order
    return report


def segment_problems(record: Record, glossary: Glossary, keep_han: Sequence[Entry] = ()) -> list[tuple[str, str]]:
    """(kind, detail) of each glossary problem of one recorded segment."""
    problems: list[tuple[str, str]] = []
    markdown = not record.kind.startswith("meta:")
    english = visible(record.final, markdown)
    deleted = record.final == "" and record.status == "reviewed"  # an editor left this Chinese out on purpose
    for entry in [] if deleted else terms_in(record.source, glossary, markdown):
        if not renders(entry, english):
            problems.append(("glossary-term", f"{entry.zh} must be rendered {entry.en!r} ({entry.kind}, "
                             f"{entry.where}); the English does not have it"))
    left = english
    for entry in keep_han:
        left = left.replace(entry.en, " ")
    runs = re.findall(f"(?:{HAN.pattern})+", left)
    if runs:
        problems.append(("han-left", f"Chinese left in the English: {', '.join(dict.fromkeys(runs))}"))
    if stale(record, glossary):
        problems.append(("glossary-stale", "glossary entries for this Chinese changed since it was translated; "
                         "run `workflow translate` (an editor's segment is then flagged for review)"))
    return problems


def terms_in(chinese: str, glossary: Glossary, markdown: bool = True) -> list[Entry]:
    """The distinct entries matched in a segment's visible Chinese, in order."""
    found: dict[str, Entry] = {}
    for match in glossary.match(visible(chinese, markdown)):
        found.setdefault(match.entry.key, match.entry)
    return list(found.values())


def visible(text: str, markdown: bool = True) -> str:
    """What a reader sees of a segment's inline Markdown: text, link text and image alt text;
    no code spans, raw HTML, URLs or emphasis markers."""
    if markdown:
        tokens = parser().parseInline(text, {})
        text = "".join(_visible_token(t) for t in (tokens[0].children or []) if tokens)
    return fold(URL.sub(" ", text))


def _visible_token(token: Token) -> str:
    if token.type == "text":
        return token.content
    if token.type == "image":
        return " " + "".join(_visible_token(t) for t in token.children or []) + " "
    if token.type in ("softbreak", "hardbreak"):
        return "\n"
    if token.type in ("code_inline", "html_inline", "link_open", "link_close", "footnote_ref"):
        return " "
    return ""  # emphasis and strike-through markers


# -- where things are ------------------------------------------------------------------------


def _memories(settings: Settings) -> Iterable[Memory]:
    root = settings.memory_root
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*.json")):
        memory = memory_mod.load(path, settings.rel(path))
        if memory is not None:
            yield memory


def _project_path(settings: Settings, path: Path) -> str:
    full = settings.resolve(path)
    return settings.rel(full).rstrip("/")


def _under(memory: Memory, wanted: str) -> bool:
    return any(p == wanted or p.startswith(wanted + "/") or wanted in (".", "")
               for p in (memory.output, memory.source))


class _Lines:
    """A segment's line in the English file, by the one line map (`store.documents.recorded_lines`)."""

    def __init__(self, settings: Settings, memory: Memory) -> None:
        source = read_bytes(settings.root / memory.source) or b""
        english = read_bytes(settings.root / memory.output) or b""
        self.lines = recorded_lines(memory, source, english, memory.source, memory.output)

    def of(self, record: Record) -> int:
        return max(1, self.lines.get(record.id, record.line))


def _post(path: Path, shown: str) -> Post | None:
    data = read_bytes(path)
    if data is None:
        return None
    try:
        return parse(data, shown)
    except WorkflowError:
        return None
