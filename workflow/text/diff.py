"""The one diff of machine English against final English (diff-match-patch, semantic cleanup).

The same diff is what the recorded patch encodes (`make_patch`), what `review show`
displays (`diff`), what `stats` measures (`distance`) and which replacements it counts.
"""

from __future__ import annotations

from diff_match_patch import diff_match_patch

DELETE, EQUAL, INSERT = -1, 0, 1

_DMP = diff_match_patch()  # holds only its settings; its methods keep no state between calls


def diff(machine: str, final: str) -> list[tuple[int, str]]:
    """(op, text) from machine to final: DELETE, EQUAL or INSERT and the text."""
    ops = _DMP.diff_main(machine, final)
    _DMP.diff_cleanupSemantic(ops)
    return [(int(op), str(text)) for op, text in ops]


def distance(ops: list[tuple[int, str]]) -> int:
    """Characters inserted, deleted or substituted (Levenshtein over the diff)."""
    return int(_DMP.diff_levenshtein(ops)) if ops else 0


def make_patch(machine: str, final: str) -> str:
    """diff-match-patch patch text from machine English to final English ("" when equal)."""
    if machine == final:
        return ""
    ops = _DMP.diff_main(machine, final)
    _DMP.diff_cleanupSemantic(ops)
    return str(_DMP.patch_toText(_DMP.patch_make(machine, ops)))


def apply_patch(patch: str, machine: str) -> str | None:
    """The editor's patch applied to new machine text; None when any hunk fails."""
    result, applied = _DMP.patch_apply(_DMP.patch_fromText(patch), machine)
    return str(result) if all(applied) else None
