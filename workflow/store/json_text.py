"""`json.dumps(value, ensure_ascii=False, indent=1)`, the same text, written without the generator
chain of the standard library's indenting encoder (with `indent`, `json` encodes in Python, a
generator call per value): memory files are written in this form at every run.

Strings go through `json`'s own C string encoder, numbers through the same `repr` rules as
`json`; anything this writer does not know (a non-string key, another type) is handed to
`json.dumps` itself, indented to its place, so the text is always what `json.dumps` writes
(compared by Hypothesis in tests/test_fast_paths.py).
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # the C encoder `json` uses with ensure_ascii=False
from typing import Any

_INFINITY = float("inf")


def dumps(value: Any) -> str:
    """`json.dumps(value, ensure_ascii=False, indent=1)`."""
    return _dump(value, "\n")


def _dump(value: Any, newline: str) -> str:
    """`value` at the indentation `newline` (a line end and the spaces of the current level)."""
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    inner = newline + " "
    if isinstance(value, dict):
        if not value:
            return "{}"
        parts = []
        for key, item in value.items():
            if type(key) is not str:  # noqa: E721 - exactly str: json converts other keys (and subclasses) itself
                return _standard(value, newline)
            # a string value written here: most of a memory file (a call per value costs as much again)
            parts.append(encode_basestring(key) + ": " + (encode_basestring(item) if type(item) is str  # noqa: E721
                                                          else _dump(item, inner)))
        return "{" + inner + ("," + inner).join(parts) + newline + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[" + inner + ("," + inner).join([_dump(item, inner) for item in value]) + newline + "]"
    return _standard(value, newline)


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == _INFINITY:
        return "Infinity"
    if value == -_INFINITY:
        return "-Infinity"
    return float.__repr__(value)


def _standard(value: Any, newline: str) -> str:
    """What `json.dumps` writes for `value`, moved to this level (its strings hold no raw line end)."""
    return json.dumps(value, ensure_ascii=False, indent=1).replace("\n", newline)
