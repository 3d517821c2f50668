"""Glossary enforcement that survives neural MT: placeholders, then verification.

Before the engine: every glossary match in a sentence is replaced by an atomic
placeholder (`<x1001/>`, numbered from 1001 so it never meets the segment's own
placeholders). NMT copies such tokens through; it cannot paraphrase "Nova" into
"new star" or pick "launch" where the glossary says "boot". After the engine: each
placeholder becomes the glossary English. A dropped one is a *missed* term (the
segment is flagged); a duplicated one is *repaired* (the extra copy removed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from workflow.glossary import Entry, Glossary
from workflow.protect import PLACEHOLDER, canonical

FIRST = 1001


@dataclass(frozen=True)
class Prepared:
    text: str  # what the engine sees
    terms: tuple[tuple[str, Entry], ...] = ()  # placeholder -> entry


@dataclass
class Stats:
    enforced: int = 0
    repaired: int = 0
    missed: int = 0
    missed_terms: list[str] = field(default_factory=list)

    def add(self, other: Stats) -> None:
        self.enforced += other.enforced
        self.repaired += other.repaired
        self.missed += other.missed
        self.missed_terms += other.missed_terms


class Enforcer:
    def __init__(self, glossary: Glossary) -> None:
        self.glossary = glossary

    def prepare(self, core: str) -> Prepared:
        protected = [(m.start(), m.end()) for m in PLACEHOLDER.finditer(core)]
        parts: list[str] = []
        terms: list[tuple[str, Entry]] = []
        cursor = 0
        for match in self.glossary.match(core):
            if any(a < match.end and match.start < b for a, b in protected):
                continue
            token = f"<x{FIRST + len(terms)}/>"
            parts += [core[cursor:match.start], token]
            terms.append((token, match.entry))
            cursor = match.end
        parts.append(core[cursor:])
        return Prepared("".join(parts), tuple(terms))

    def finish(self, translated: str, prepared: Prepared, stats: Stats) -> tuple[str, list[str]]:
        """Glossary placeholders -> English. Returns the text and the problems found."""
        text = canonical(translated)
        problems: list[str] = []
        for token, entry in prepared.terms:
            count = text.count(token)
            if count == 0:
                stats.missed += 1
                stats.missed_terms.append(entry.zh)
                problems.append(f"glossary term {entry.zh} → {entry.en} lost by the engine")
                continue
            if count > 1:
                stats.repaired += 1
                problems.append(f"glossary term {entry.zh} → {entry.en} duplicated by the engine; extra removed")
                first = text.index(token) + len(token)
                text = text[:first] + text[first:].replace(token, "")
            stats.enforced += 1
            text = text.replace(token, entry.en)
        return re.sub(r"[ \t]{2,}", " ", text), problems
