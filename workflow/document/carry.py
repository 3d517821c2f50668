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

from workflow.glossary.qa import terms_in
from workflow.glossary.terms import Glossary, renders
from workflow.store.memory import Record
from workflow.text.diff import apply_patch, make_patch
from workflow.text.typography import han_left

RE_APPLIED = "the Chinese changed; the earlier edit was re-applied to the new machine text"
DELETED = "the Chinese changed; the editor had deleted this segment, its new machine text is in memory"
APPROVED = "the Chinese changed since this segment was reviewed; the earlier English is kept in previous_final"
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
    own = previous.status == "reviewed" or not previous.previous_source
    base = dataclasses.replace(
        record, status="needs-review", match="carried",
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
