"""The one finding type every check reports (`workflow check`, `glossary check`, `glossary lint`).

It sits at the top of the package, beside the errors, so the glossary's checks and the
CI gate share it without the glossary importing the gate.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One problem: `path:line: kind: detail`. `path` is the file a person should open."""

    path: str
    line: int
    kind: str
    detail: str
    severity: str = "error"  # error: fails the check | warning: reported only | info: not a problem

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}: {self.detail}"
