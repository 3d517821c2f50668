"""English found for a segment before any engine call: the match levels of a CAT tool.

- *context*: same Chinese, same neighbours as in the document's memory: kept as it was;
- *exact*: same (normalised) Chinese elsewhere: in this document (a moved or swapped
  paragraph, a retired record) or anywhere in the project's translation memory (another
  document, a renamed file, an imported TMX/PO file). Reused without an engine call, its
  status per `exact-match-status` (same document: reviewed; another: needs-review);
- *fuzzy*: similar Chinese (`fuzzy-threshold`): the closest English is offered beside the
  machine text in `matches`, never applied.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from workflow.config import Settings
from workflow.glossary.terms import Glossary
from workflow.glossary.terms import stale as glossary_stale
from workflow.store.files import sha256
from workflow.store.memory import TOOL_REVIEWER, EngineInfo, Record, model_stale
from workflow.store.tm_key import normalise

if TYPE_CHECKING:  # the index (numpy, rapidfuzz) is imported where a lookup needs it
    from workflow.store.tm import LazyIndex, Unit
from workflow.text.diff import make_patch

MOVED = "moved within the document: the English it had is kept; check it fits here"


def neighbours(sources: Sequence[str], index: int) -> tuple[str, str]:
    """Hashes of the Chinese before and after a segment: its context."""
    def at(i: int) -> str:
        return hashlib.sha256(sources[i].encode()).hexdigest()[:12] if 0 <= i < len(sources) else ""
    return at(index - 1), at(index + 1)


class Reuse:
    """Exact and fuzzy lookups for one document: its own records first, then the project's memory."""

    def __init__(self, settings: Settings, shown: str, old: Sequence[Record], retired: Sequence[Record],
                 tm: LazyIndex | None, glossary: Glossary, info: EngineInfo | None) -> None:
        self.settings, self.shown, self.tm, self.glossary, self.info = settings, shown, tm, glossary, info
        self.own: dict[str, Record] = {}
        for record in (*old, *retired):  # live records before retired ones, a person's before the tool's
            key = normalise(record.source)
            if self._usable(record) and (key not in self.own or (record.human and not self.own[key].human)):
                self.own[key] = record
        self.used: list[Record] = []  # own records whose English was put back on the page

    def _usable(self, record: Record) -> bool:
        return bool(record.final.strip()) and not model_stale(record, self.info) and (
            record.human or not glossary_stale(record, self.glossary))

    def exact(self, source: str, id_: str, kind: str, line: int, header: bool = False) -> Record | None:
        """The segment's record from an exact match, or None (then the engine translates it). `header`: the
        segment is a table's header cell, which takes no added rows (they would break the table)."""
        own = self.own.get(normalise(source)) if self.own else None
        if own is not None:
            # added items follow an item, not another kind of block; added rows a body row
            keeps_after = not own.after or (own.kind == kind and not header)
            if keeps_after:
                self.used.append(own)  # else it stays retired with its `after`, reported lost
            record = dataclasses.replace(own, id=id_, kind=kind, line=line, match="exact", matches=(),
                                         after=own.after if keeps_after else "")
            if self.settings.exact_same_document == "needs-review" or glossary_stale(own, self.glossary):
                return _flag(record, MOVED)
            return record
        unit = self.tm.get().exact(source) if self.tm is not None else None
        if unit is None or unit.origin == self.shown:
            return None
        return self._from_unit(unit, source, id_, kind, line)

    def _from_unit(self, unit: Unit, source: str, id_: str, kind: str, line: int) -> Record:
        machine = unit.machine or unit.target
        record = Record(id=id_, kind=kind, line=line, source_hash=sha256(source), source=source, machine=machine,
                        final=unit.target, patch=make_patch(machine, unit.target), match="exact",
                        glossary=self.glossary.fingerprint(source), status="reviewed", reviewer=unit.reviewer,
                        reviewed_at=unit.reviewed_at)
        if unit.status == "reviewed" and self.settings.exact_other_document == "reviewed":
            return record
        return _flag(dataclasses.replace(record, reviewer="", reviewed_at=""),
                     f"exact match from {unit.origin} ({unit.status}): check it fits here")


def _flag(record: Record, reason: str) -> Record:
    return dataclasses.replace(record, status="needs-review", reasons=tuple(dict.fromkeys(record.reasons + (reason,))))


def settle_moves(retired_lists: Sequence[list[Record]], records: Sequence[Record | None], now: str) -> None:
    """Retired English that an exact match put on another page in this run is decided: `moved` (in place).

    A paragraph moved to another file retires in its old document and reappears in the new
    one through the translation memory; its English is on a page, so it is not lost.
    """
    placed = {(normalise(r.source), r.final) for r in records if r is not None and r.match == "exact"}
    if not placed:
        return
    for retired in retired_lists:
        for i, record in enumerate(retired):
            if record.awaits_decision and not record.after.strip() and (normalise(record.source), record.final) in placed:
                # (its added items or rows did not come along: they await a decision)
                retired[i] = dataclasses.replace(record, decision="moved", decided_by=TOOL_REVIEWER, decided_at=now)
