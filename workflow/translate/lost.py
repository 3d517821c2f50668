"""`workflow memory restore|dismiss`: a person decides on English that is no longer on the page.

`check` reports each retired English a person wrote or approved (`lost-english`) until
someone decides. `restore` puts it back on a segment of the current document: after the
English of the nearest surviving paragraph of its kind (or `--onto ID`), as an added
paragraph, or instead of that segment's English with `replace` (the English it replaces,
if a person wrote it, is then retired and reported in its turn: nothing goes unnoticed).
`dismiss` records that it may go, with the reviewer and the time. Both leave the retired
record in memory with its decision.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from workflow.config import Settings
from workflow.document.assemble import header_cell
from workflow.document.output import lock_path, output_bytes, write_pair
from workflow.document.plan import source_rel
from workflow.errors import WorkflowError
from workflow.glossary.terms import load as load_glossary
from workflow.review.record import load
from workflow.review.results import Reviewer, utc_now
from workflow.store import files
from workflow.store import memory as memory_mod
from workflow.store.documents import inside, rel_to
from workflow.store.files import sha256
from workflow.store.memory import Memory, Record
from workflow.text.diff import make_patch

SINGLE_LINE = ("heading", "table", "meta:", "code-")


class Refused(WorkflowError):
    """The decision cannot be recorded now (exit 1): the message says what to run first."""

    exit_code = 1


@dataclass(frozen=True, kw_only=True)
class Decision:
    source: str
    key: str
    action: str  # restored | dismissed
    onto: str = ""  # the segment id it was restored onto
    line: int = 0
    reviewer: str = ""


def lost_record(memory: Memory, key: str, shown: str) -> Record:
    for record in memory.lost():
        if record.key == key:
            return record
    keys = ", ".join(r.key for r in memory.lost()) or "none"
    raise WorkflowError(f"no lost English with key {key!r} (lost here: {keys}). `workflow check` names them.",
                        path=shown)


def as_source(settings: Settings, path: Path) -> Path:
    """The Chinese source a path names: an English file's path names its document's source, as in `review`."""
    if inside(path, settings.output) and not inside(path, settings.memory_root):
        return settings.source / rel_to(path, settings.output)
    return path


def dismiss(settings: Settings, source: Path, key: str, reviewer: str | None = None, now: str = "") -> Decision:
    """Record that a lost English may go: memory only, the English file is untouched.

    Works for a deleted or renamed source too: its memory is all that is left of it."""
    source = as_source(settings, source)
    shown = settings.rel(source)
    path = memory_mod.memory_path(settings.memory_root, source_rel(settings, source))
    who = Reviewer(settings, reviewer)()
    with files.locked(lock_path(path)):  # as every write of a document's memory
        old = memory_mod.load(path, settings.rel(path))
        if old is None:
            raise WorkflowError("has no memory: nothing to dismiss.", path=shown)
        record = lost_record(old, key, shown)
        decided = dataclasses.replace(record, decision="dismissed", decided_by=who, decided_at=now or utc_now())
        memory = dataclasses.replace(old, retired=tuple(decided if r is record else r for r in old.retired))
        files.atomic_write(path, memory.to_bytes())
    return Decision(source=shown, key=key, action="dismissed", reviewer=who)


def restore(settings: Settings, source: Path, key: str, *, onto: str | None = None, replace: bool = False,
            reviewer: str | None = None, now: str = "") -> Decision:
    """Put a lost English back on a segment of the current document (needs-review), and record it."""
    source = as_source(settings, source)
    doc = load(settings, source)
    shown = settings.rel(source)
    if not doc.current or not doc.memory.output_is_recorded(doc.plan.output_hash):
        raise Refused("the Chinese or the English changed since memory recorded them. Run `workflow review` "
                      "and `workflow translate` first, then restore.", path=shown)
    record = lost_record(doc.memory, key, shown)
    who = Reviewer(settings, reviewer)()
    stamp = now or utc_now()
    records = list(doc.memory.segments)
    headers = {i for i, s in enumerate(doc.plan.segments) if header_cell(doc.plan.post.body, s)}
    # its own English already on the page (or none): only its added items or rows come back
    rows_only = not replace and (not record.final.strip() or not record.own_english
                                 or record.final in {r.final for r in records})
    index = _target(records, record, onto, rows_only or replace, shown, headers if record.after.strip() else set())
    target = records[index]
    if record.after.strip() and target.kind != record.kind:
        raise WorkflowError(f"the lost {record.kind} has list items or table rows an editor added after it; they can "
                            f"only follow another {record.kind}. Name one with --onto ID (`workflow review --show "
                            f"{shown}` lists the ids).", path=shown)
    if record.after.strip() and index in headers:
        rows = [records[i].id for i, s in enumerate(doc.plan.segments) if s.kind == "table-cell" and i not in headers]
        raise WorkflowError(f"segment {target.id} is a cell of a table's header row: rows added after it would stand "
                            "above the `| --- |` line and break the table. Name a cell of a body row with --onto "
                            f"({', '.join(rows[-3:]) or 'none here'}).", path=shown)
    final = target.final if rows_only or not record.final.strip() else record.final if replace else (
        f"{target.final}\n\n{record.final}" if target.final.strip() else record.final)
    after = "\n".join(part for part in (target.after, record.after) if part.strip())
    reason = f"restored English of a deleted or changed paragraph (its Chinese was: {record.source[:40]}); check it fits here"
    records[index] = dataclasses.replace(target, final=final, patch=make_patch(target.machine, final), after=after,
                                         status="needs-review", reasons=tuple(dict.fromkeys(target.reasons + (reason,))))
    retired = [dataclasses.replace(r, decision="restored", decided_by=who, decided_at=stamp) if r is record else r
               for r in doc.memory.retired]
    if replace and target.human and target.final.strip():
        retired.append(target)  # the English it replaces is reported lost in its turn
    plan = doc.plan
    plan.records = list(records)
    glossary = load_glossary(settings.glossary, settings.root)
    data = output_bytes(settings, plan, glossary)
    memory = dataclasses.replace(doc.memory, segments=tuple(records), retired=tuple(retired), output_hash=sha256(data))
    write_pair(plan.memory_path, memory, plan.output_path, data, plan.output_hash)
    return Decision(source=shown, key=key, action="restored", onto=target.id, line=target.line, reviewer=who)


def _target(records: list[Record], lost: Record, onto: str | None, holds: bool, shown: str, headers: set[int]) -> int:
    """The segment to restore onto: `onto`, else the nearest segment of the lost one's kind (by line), not
    a header cell (`headers`) for added rows. `holds`: a one-line segment may take it (it replaces that
    segment's English, or only added items or rows come back)."""
    if onto is not None:
        for i, r in enumerate(records):
            if r.id == onto:
                if not holds and r.kind.startswith(SINGLE_LINE):
                    raise WorkflowError(f"segment {onto} is a {r.kind}: it holds one line. Use --replace, or "
                                        "choose a paragraph.", path=shown)
                return i
        raise WorkflowError(f"no segment {onto!r} in this document's memory.", path=shown)
    fits = [i for i, r in enumerate(records) if r.kind == lost.kind and i not in headers
            and (holds or not r.kind.startswith(SINGLE_LINE))]
    fits = fits or [i for i, r in enumerate(records) if not r.kind.startswith(SINGLE_LINE)]
    if not fits:
        raise WorkflowError("no paragraph to restore onto; name one with --onto ID.", path=shown)
    return min(fits, key=lambda i: (abs(records[i].line - lost.line), records[i].line > lost.line))


# -- exchange ---------------------------------------------------------------------------------


def export_memory(settings: Settings, fmt: str) -> tuple[bytes, int]:
    """The project's translation memory as TMX or PO bytes, and the number of units."""
    from workflow import __version__
    from workflow.store import tm_exchange
    from workflow.store.tm import memory_units

    units = tm_exchange.export_units(memory_units(settings.memory_root, settings.rel(settings.memory_root)))
    writer = tm_exchange.to_tmx if fmt == "tmx" else tm_exchange.to_po
    return writer(units, __version__), len(units)


def import_memory(settings: Settings, path: Path) -> tuple[str, int]:
    """A TMX or PO file into `output_en/.workflow/tm/`: (the store's shown path, its units)."""
    from workflow.store import tm_exchange

    full = settings.resolve(path)
    pairs = tm_exchange.read_file(full, settings.rel(full))
    if not pairs:
        raise WorkflowError("holds no Chinese-English units (a zh and an en variant per unit).", path=settings.rel(full))
    shown = settings.rel(full)
    origin = shown if not (Path(shown).is_absolute() or shown.startswith("..")) else full.name
    stored, count = tm_exchange.write_store(settings.memory_root, origin, pairs)
    return settings.rel(stored), count
