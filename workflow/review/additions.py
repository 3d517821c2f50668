"""An editor's new list items and table rows: recorded as the `after` of the item or row before them.

Every item of a list and every cell of a table translates one of the Chinese, so a new item
cannot be anyone's final. It is an addition attached to its neighbour, like an added paragraph,
but kept beside the record's final rather than in it (`Record.after`): the Markdown lines
that follow the neighbour's block inside the same list or table, without the container
prefix they stand behind (a quote's `> `, a nested list's indentation). `document.assemble`
puts them back below the neighbour's last line, behind that line's container prefix, so
`translate` writes them byte for byte; they follow the record when its Chinese changes or
moves, and go to the nearest surviving item of the same kind when it is deleted
(`document.carry.move_additions`).

`review` (`review.edits`) decides which English segments are such additions: those that
follow a record's own segments and start a new item at the list's own depth (a list
marker right behind the container prefix), or a new row of the table (another line).
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

from workflow.document.assemble import container_prefix, header_cell, line_prefix
from workflow.store.memory import Record
from workflow.text.segment import Segment, segment_body

ENTRY_KINDS = ("list-item", "table-cell")  # the kinds of records that may have an `after`
_LIST_MARKER = re.compile(r"(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")


class Unaligned(Exception):
    """An edit that cannot be attributed with certainty (defined here, where additions are decided too;
    `review.edits` exports it)."""

    def __init__(self, message: str, segment: Segment | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.segment = segment


def split_after(kind: str, after: str) -> list[tuple[str, str]]:
    """(kind, text) of the segments an `after` renders as, in the list or table of a record of `kind`."""
    if not after.strip():
        return []
    if kind != "table-cell":
        return [(s.kind, s.source) for s in segment_body(after)]
    width = after.count("|") + 1  # rows alone are no table: under a header at least as wide as any row
    head = "|" + " x |" * width + "\n|" + " --- |" * width + "\n"
    return [(s.kind, s.source) for s in segment_body(head + after) if s.start >= len(head)]


def outer_of(body: str, segment: Segment) -> str:
    return container_prefix(line_prefix(body, segment.start))


def starts_entry(kind: str, body: str, outer: str, previous: Segment, segment: Segment) -> bool:
    """`segment`, attributed to a record of `kind` after `previous`, begins a new item (row) of its list (table)."""
    if kind == "table-cell":
        return segment.line != previous.line
    if kind != "list-item":
        return False
    prefix = line_prefix(body, segment.start)
    return prefix.startswith(outer) and _LIST_MARKER.match(prefix[len(outer):]) is not None


def added_text(body: str, own: Sequence[Segment], added: Sequence[Segment], outer: str) -> tuple[str, int]:
    """The `after` that renders as the `added` segments below `own` (the lines between them included),
    and -1; or ("", k) when the k-th added segment's lines leave the container."""
    first = added[0]
    if own:
        newline = body.find("\n", own[-1].pieces[-1].end)
        start = len(body) if newline < 0 else newline + 1
    else:
        start = body.rfind("\n", 0, first.start) + 1
    newline = body.find("\n", added[-1].pieces[-1].end)
    end = len(body) if newline < 0 else newline
    lines = []
    offset = start
    for line in body[start:end].split("\n"):
        if line.startswith(outer):
            lines.append(line[len(outer):])
        elif not line.strip(" \t>") and line.rstrip() == outer.rstrip():
            lines.append("")
        else:
            return "", next((k for k, s in enumerate(added) if s.start >= offset), 0)
        offset += len(line) + 1
    return "\n".join(lines), -1


def added_flags(records: Sequence[Record], segments: Sequence[Segment], owners: Sequence[int],
           anchored: Sequence[bool | None], body: str) -> list[bool]:
    """For each English segment: does it belong to its owner's `after` (a new list item or table row)?

    Anchored segments are as their part was; the others follow their owner's own segments and begin
    a new item at the list's depth, or a new row (or follow such a segment)."""
    flags: list[bool] = []
    last: dict[int, int] = {}  # owner -> its latest segment so far
    first: dict[int, Segment] = {}
    outer: dict[int, str] = {}
    for j, (segment, owner) in enumerate(zip(segments, owners)):
        before = last.get(owner)
        first.setdefault(owner, segment)
        outer.setdefault(owner, outer_of(body, segment))
        flag = anchored[j]
        if flag is None:
            flag = before is not None and (flags[before] or (records[owner].kind in ENTRY_KINDS and starts_entry(
                records[owner].kind, body, outer[owner], segments[before], segment)))
        if before is not None and flags[before] and not flag:
            raise Unaligned("this paragraph follows an item the editor added, but belongs to the item before it. "
                            "Review in smaller steps", segment)
        if flag and anchored[j] is None and records[owner].kind == "table-cell" and segment.line == first[owner].line:
            raise Unaligned("a new table column (a cell added to a row) cannot be recorded: every cell translates "
                            "a cell of the Chinese. Add the column to the Chinese source", segment)
        flags.append(flag)
        last[owner] = j
    return flags


def new_afters(records: Sequence[Record], own: Mapping[int, list[Segment]], added: Mapping[int, list[Segment]],
               body: str) -> dict[int, str]:
    """Record index -> the `after` its added segments give, for records where it changed."""
    afters: dict[int, str] = {}
    for index in sorted(set(added) | {i for i, r in enumerate(records) if r.after}):
        new = added.get(index, [])
        mine = own.get(index, [])
        if new and mine and records[index].kind == "table-cell" and header_cell(body, mine[0]):
            raise Unaligned("a new table row is recorded only after a row of the table's body (as that row's "
                            "addition); this one comes right below the header row and its `| --- |` line. Move it "
                            "below the first row of the body, or add the row to the Chinese source", new[0])
        text, bad = added_text(body, mine, new, outer_of(body, (mine or new)[0])) if new else ("", -1)
        if bad >= 0:
            raise Unaligned("this added item leaves the list or table it was added to; keep its indentation "
                            "(and quote markers) as the items around it have them", new[bad])
        if text != records[index].after:
            afters[index] = text
    return afters
