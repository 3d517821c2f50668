"""Carrying an editor's English over to changed Chinese, never garbled.

The editor's old patch (machine -> final) is re-applied to the new machine English only
when the result is clean: every hunk applies, it holds no Chinese where the new machine
English or the editor's English has none, and every glossary term of the new Chinese
that the machine English renders is still rendered. Otherwise the page keeps the
editor's previous English (never the machine text, never a mix), flagged needs-review,
with the new machine English beside it in memory (`machine`). Either way the previous
Chinese and English are kept in `previous_source` / `previous_final` for the views.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from workflow.document.pairing import similarity
from workflow.glossary.qa import terms_in
from workflow.glossary.terms import Glossary, renders
from workflow.store.memory import Record
from workflow.text.diff import apply_patch, make_patch
from workflow.text.segment import segment_body
from workflow.text.typography import han_left

RE_APPLIED = "the Chinese changed; the earlier edit was re-applied to the new machine text"
DELETED = "the Chinese changed; the editor had deleted this segment, its new machine text is in memory"
APPROVED = "the Chinese changed since this segment was reviewed; the earlier English is kept in previous_final"
ADDED_FOLLOW = "the Chinese changed; the list items or table rows an editor added after it follow it: check they still belong"
KEPT = ("the Chinese changed and the earlier edit does not apply cleanly ({problem}); the editor's previous "
        "English is kept on the page and the new machine English is in memory: check it against the new Chinese")


def carry_over(record: Record, previous: Record | None, glossary: Glossary | None = None) -> Record:
    """The Chinese changed: the editor's work on `previous` carried to the new machine `record`.

    A segment the editor deleted stays deleted (needs-review). `previous_final` always holds
    the last English a person wrote or approved: a carried edit nobody reviewed yet keeps
    pointing at the editor's own text, not at the tool's derivation.
    """
    if previous is None or not previous.human:
        return record
    if not previous.own_english:  # only items added after it: its machine English was nobody's
        return dataclasses.replace(record, status="needs-review", markup=previous.markup, after=previous.after,
                                   reasons=record.reasons + (ADDED_FOLLOW,))
    own = previous.status == "reviewed" or not previous.previous_source
    base = dataclasses.replace(
        record, status="needs-review", match="carried", markup=previous.markup, after=previous.after,
        previous_source=previous.source if own else previous.previous_source,
        previous_final=previous.final if own else previous.previous_final,
    )
    if previous.final == "" and previous.machine:
        return dataclasses.replace(base, final="", patch=make_patch(record.machine, ""), reasons=record.reasons + (DELETED,))
    if not previous.patch:
        return dataclasses.replace(base, reasons=record.reasons + (APPROVED,))
    patched = apply_patch(previous.patch, record.machine)
    problem = unclean(patched, record, previous, glossary)
    if problem:
        return dataclasses.replace(base, final=previous.final, patch=make_patch(record.machine, previous.final),
                                   reasons=record.reasons + (KEPT.format(problem=problem),))
    assert patched is not None
    return dataclasses.replace(base, final=patched, patch=make_patch(record.machine, patched),
                               reasons=record.reasons + (RE_APPLIED,))


def unclean(patched: str | None, record: Record, previous: Record, glossary: Glossary | None) -> str:
    """Why the re-applied edit may not go on the page ("" when it may)."""
    if patched is None:
        return "a part of the edit no longer matches the machine English"
    left = han_left(patched)
    if left and (not han_left(record.machine) or not han_left(previous.final)):
        return f"it would mix Chinese into the English: {''.join(dict.fromkeys(left))}"
    for entry in terms_in(record.source, glossary, not record.kind.startswith("meta:")) if glossary else []:
        if renders(entry, record.machine) and not renders(entry, patched):
            return f"it would lose the glossary term {entry.zh} → {entry.en}"
    return ""


def superseded(previous: Record, record: Record) -> bool:
    """True when carrying over drops an older `previous_final` (the old record then retires with it)."""
    return bool(previous.previous_source) and (
        (record.previous_source, record.previous_final) != (previous.previous_source, previous.previous_final))


# -- an editor's additions whose paragraph went away -------------------------------------------

Depth = Callable[[Record, int], bool]  # (record, new index) -> do its added items stand at that segment's depth?

MOVED_ADDITION = ("an editor's addition moved here: the paragraph it was added to lost its Chinese; "
                  "check it still belongs")


STRANDED = ("its block became another kind (no longer a list item or table row) and nothing before it takes "
            "the items or rows an editor added after it")


def additions(record: Record) -> list[str]:
    """The paragraphs an editor added to a record's English (all but the one closest to its machine text)."""
    if "\n" not in record.final:
        return []
    parts = [s.source for s in segment_body(record.final)]
    if len(parts) < 2:
        return []
    own = max(range(len(parts)), key=lambda i: similarity(parts[i], record.machine))
    return [p for i, p in enumerate(parts) if i != own]


def move_additions(records: list[Record | None], kept: dict[int, int], retired: Sequence[tuple[int, Record]],
                   count: int, same_depth: Depth) -> None:
    """Each retired record's added paragraphs onto the nearest surviving record of its kind (in place).

    `kept`: old index -> new index of the records kept as they were; `retired`: (old index,
    record); `count`: old records. The preceding neighbour takes them (after its English),
    else the following one (before it); with neither, they stay in retired, reported lost.
    Added list items (`after`) go to the preceding neighbour if it is a list item at their depth
    (`same_depth`: they follow an item of their list, not a nested one); added table rows never move
    (the cell before may be the header's); otherwise they stay in retired, reported lost.
    """
    for old_index, record in retired:
        if record.after.strip() and record.human:
            _move_after(records, kept, old_index, record, same_depth)
        added = additions(record) if record.human else []
        if not added:
            continue
        for step, after in ((-1, True), (1, False)):
            near = next((kept[i] for i in range(old_index + step, -1 if step < 0 else count, step) if i in kept), None)
            target = records[near] if near is not None else None
            if target is None or target.kind != record.kind or target.kind.startswith(("heading", "meta:", "table", "code-")):
                continue
            text = "\n\n".join(added)
            final = f"{target.final}\n\n{text}" if after else f"{text}\n\n{target.final}"
            assert near is not None
            records[near] = dataclasses.replace(
                target, final=final, patch=make_patch(target.machine, final), status="needs-review",
                reasons=tuple(dict.fromkeys(target.reasons + (MOVED_ADDITION,))))
            break


def _move_after(records: list[Record | None], kept: dict[int, int], old_index: int, record: Record,
                same_depth: Depth) -> bool:
    """`record`'s added items onto the nearest preceding kept list item, if it stands at their depth (in
    place); False: nothing takes them."""
    near = next((kept[i] for i in range(old_index - 1, -1, -1) if i in kept), None)
    target = records[near] if near is not None else None
    if near is None or target is None or target.kind != record.kind or record.kind != "list-item":
        return False
    if not same_depth(record, near):
        return False
    after = f"{target.after}\n{record.after}" if target.after else record.after
    records[near] = dataclasses.replace(target, after=after, status="needs-review",
                                        reasons=tuple(dict.fromkeys(target.reasons + (MOVED_ADDITION,))))
    return True


def move_stranded_afters(records: list[Record | None], kept: dict[int, int], stranded: Sequence[tuple[int, Record]],
                         retired: list[Record], same_depth: Depth) -> None:
    """The added items of records that became another kind of block in place (a list item made a heading):
    onto the item before (as for a deleted item), else into `retired` alone (final "": the English is
    on the page), reported lost. A heading or paragraph never takes list items or rows after it."""
    for old_index, record in stranded:
        if not _move_after(records, kept, old_index, record, same_depth):
            retired.append(dataclasses.replace(record, final="", reasons=record.reasons + (STRANDED,)))
