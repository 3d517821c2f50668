"""The findings of `workflow check`, one function per kind: each takes what it looks at and
returns its findings (it records nothing and reads nothing). docs/check.md describes each kind.

A new kind: its name in `FINDING_KINDS` (the order a summary lists them), a function here,
its call in `report.check`, a section in docs/check.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from workflow.findings import Finding

if TYPE_CHECKING:  # types only: `check` of a current project never imports the Markdown parser
    from workflow.report.reader import Doc
    from workflow.store.memory import EngineInfo, Memory, Record
    from workflow.text.segment import Segment

FINDING_KINDS = ("missing", "stale", "glossary-stale", "model-stale", "unrecorded-edits", "unreviewed",
                 "needs-review", "lost-english", "orphan", "corrupt-memory")
EXCERPT = 30  # characters of Chinese quoted in a detail


def finding(path: str, line: int, kind: str, detail: str, severity: str = "error") -> Finding:
    return Finding(path, max(line, 1), kind, detail, severity)


def orphan(doc: Doc, has_memory: bool) -> list[Finding]:
    """An English file or a memory whose Chinese source is gone."""
    found = []
    if doc.out_data is not None:
        found.append(finding(doc.output, 1, "orphan", f"no Chinese source {doc.source}. Delete the English file, "
                             "or restore the source (git)."))
    if has_memory:
        found.append(finding(doc.memory, 1, "orphan", f"memory of a deleted source {doc.source}. Restore the "
                             "source (git), or delete the memory once nothing in it is wanted (a renamed article: run "
                             "`workflow translate` first, which reuses its English)."))
    return found


def missing(doc: Doc) -> Finding:
    """A source without memory: never translated, or an English file workflow did not write."""
    if doc.out_data is None:
        detail = f"no English translation. Run `workflow translate {doc.source}`."
    else:
        detail = (f"{doc.output} has no memory ({doc.memory}): workflow did not write it, or its memory was "
                  "deleted. Restore the memory from git, or run `workflow translate --force` to adopt the English.")
    return finding(doc.source, 1, "missing", detail)


def english_deleted(doc: Doc) -> Finding:
    return finding(doc.source, 1, "missing", f"the English file {doc.output} was deleted. "
                   f"Run `workflow translate {doc.source}` to write it again.")


def unrecorded_edits(doc: Doc) -> Finding:
    return finding(doc.output, 1, "unrecorded-edits", "the English has edits that memory does not know. "
                   f"Run `workflow review {doc.output}` to record them.")


def corrupt_memory(doc: Doc, line: int, message: str) -> Finding:
    return finding(doc.memory, line or 1, "corrupt-memory", message)


def glossary_stale(doc: Doc, record: Record, line: int) -> Finding:
    """A segment whose glossary entries changed since its English was made."""
    if record.human:
        detail = (f"glossary entries for this {what(record.kind)} changed since it was reviewed: "
                  f"{excerpt(record.source)}. `workflow translate` flags it for review.")
    else:
        detail = (f"glossary entries for this {what(record.kind)} changed: {excerpt(record.source)}. "
                  "Run `workflow translate` to re-translate it.")
    return finding(doc.source, line, "glossary-stale", detail)


def model_stale(doc: Doc, old: Sequence[tuple[Record, int]], info: EngineInfo) -> list[Finding]:
    """One finding per document for its machine segments (with their lines) of another engine or model."""
    if not old:
        return []
    used = sorted({label(r.engine, r.model, r.model_hash) for r, _ in old})
    configured = label(info.name, info.model, info.model_hash)
    return [finding(doc.source, old[0][1], "model-stale",
                    f"{len(old)} machine-translated segment(s) come from {', '.join(used)}, not the configured "
                    f"{configured}. Run `workflow translate` to re-translate them (reviewed segments are kept).")]


def review(doc: Doc, memory: Memory, lines: dict[str, int], require_reviewed: bool) -> list[Finding]:
    """needs-review per flagged segment; unreviewed per document (an error only with --require-reviewed)."""
    severity = "error" if require_reviewed else "warning"
    found = []
    for record in (r for r in memory.segments if r.status == "needs-review"):
        reasons = "; ".join(record.reasons) or "flagged for review"
        found.append(finding(doc.output, lines.get(record.id, record.line), "needs-review",
                             f"{reasons}. Check the English, then `workflow review {doc.output}`.", severity))
    machine = [r for r in memory.segments if r.status == "machine"]
    if machine and require_reviewed:
        first = min(lines.get(r.id, r.line) for r in machine)
        found.append(finding(doc.output, first, "unreviewed",
                             f"{len(machine)} of {len(memory.segments)} segments are machine translation nobody "
                             f"reviewed. Check the English, then `workflow review --approve {doc.output}`."))
    return found


def stranded_english(doc: Doc, records: list[Record]) -> Finding:
    """A deleted or renamed source's memory whose English of a person no other page holds."""
    return finding(doc.memory, 1, "lost-english",
                   f"the memory of {doc.source}, whose Chinese is gone, holds {len(records)} "
                   f"{'segment' if len(records) == 1 else 'segments'} of English a person wrote that no page "
                   f"holds, the first: {excerpt(records[0].final)}. If the article was renamed, run `workflow "
                   f"translate` first (exact matches bring the English over; fuzzy ones are offered in `workflow "
                   f"review --show`); `workflow memory export` keeps a copy. Delete this memory only when none of "
                   f"it is wanted.")


def lost_english(doc: Doc, record: Record) -> Finding:
    """English a person wrote or approved that is no longer on the page, until someone decides."""
    return finding(doc.source, record.line, "lost-english",
                   f"English a person wrote is no longer on the page: {excerpt(record.final)} (for the Chinese "
                   f"{excerpt(record.source)}, deleted or changed). Put it back with `workflow memory restore "
                   f"{doc.source} {record.key}`, or record that it may go with `workflow memory dismiss "
                   f"{doc.source} {record.key}`.")


def needs_review_lines(memory: Memory, require_reviewed: bool) -> bool:
    """Whether `review` will report anything (so the English line map is worth computing)."""
    statuses = {r.status for r in memory.segments}
    return "needs-review" in statuses or ("machine" in statuses and require_reviewed)


def unreadable_source(doc: Doc, line: int, message: str) -> Finding:
    return finding(doc.source, line or 1, "stale", f"the Chinese changed since it was translated, and it "
                   f"cannot be read: {message}")


def changed_segment(doc: Doc, segment: Segment, line: int, relation: str) -> Finding:
    """A paragraph (or front-matter value) of the new Chinese that is changed or new."""
    kind = what(segment.kind)
    detail = (f"{kind} changed since it was translated: {excerpt(segment.source)}" if relation == "changed"
              else f"new {kind}: {excerpt(segment.source)}")
    return finding(doc.source, line, "stale", detail + ". Run `workflow translate`.")


def removed_segment(doc: Doc, record: Record, line: int) -> Finding:
    return finding(doc.source, line, "stale", f"{what(record.kind)} removed since it was translated "
                   f"(was line {record.line}): {excerpt(record.source)}. Run `workflow translate`.")


def changed_outside_text(doc: Doc) -> Finding:
    return finding(doc.source, 1, "stale", "the Chinese changed outside the translated text (markup, code, links "
                   "or front matter the English copies). Run `workflow translate`.")


def what(kind: str) -> str:
    if kind.startswith("meta:"):
        return f"front-matter {kind[5:]}"
    if kind.startswith("heading"):
        return "heading"
    return kind.replace("-", " ")


def excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return f"«{flat[:EXCERPT]}…»" if len(flat) > EXCERPT else f"«{flat}»"


def label(engine: str, model: str, model_hash: str) -> str:
    return " ".join(p for p in (engine, model, f"({model_hash})" if model_hash else "") if p) or "no engine"
