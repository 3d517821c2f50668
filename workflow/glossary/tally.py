"""A run's glossary counts: a module of its own, so that a run in which nothing changed (which
reports them, all zero) does not import the enforcer (and, with the copy and argos engines,
the Markdown parser it uses; the pseudo and llm engines import the parser themselves)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Stats:
    """Per run: terms sent through enforcement that came out as the glossary says
    (`enforced`, repairs included), of those the ones fixed after the engine
    (`repaired`), and the ones missing from the English (`missed`)."""

    enforced: int = 0
    repaired: int = 0
    missed: int = 0
    missed_terms: list[str] = field(default_factory=list)

    def add(self, other: Stats) -> None:
        self.enforced += other.enforced
        self.repaired += other.repaired
        self.missed += other.missed
        self.missed_terms += other.missed_terms
