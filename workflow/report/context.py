"""What one `check` run knows once, for every document: the settings, the configured engine's
identity (read without loading a model), and the glossary with its fingerprint cache.

The glossary is read only when a memory does not record the current one (`glossary_hash`),
and compiled for matching only when a fingerprint must be recomputed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workflow.config import Settings
from workflow.store.documents import Roots
from workflow.store.memory import EngineInfo, Memory, Record

if TYPE_CHECKING:
    from workflow.glossary.terms import Entry, Glossary


@dataclass(kw_only=True)
class Context:
    settings: Settings
    require_reviewed: bool = False
    info: EngineInfo | None = None  # None: the model translate would use is unknown here
    notes: list[str] = field(default_factory=list)
    roots: Roots = field(init=False)
    shown: dict[str, str] = field(init=False)  # source | output | memory -> the folder as shown
    _glossary: Glossary | None = field(default=None, init=False)
    _entries: list[Entry] | None = field(default=None, init=False)
    _identity: str = field(default="", init=False)
    _live: Counter[str] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.roots = Roots(s)
        self.shown = {k: s.rel(p) for k, p in (("source", s.source), ("output", s.output), ("memory", s.memory_root))}

    @classmethod
    def load(cls, settings: Settings, require_reviewed: bool) -> Context:
        """The context of a run: the engine's identity is found here (a note says when it cannot be)."""
        notes: list[str] = []
        return cls(settings=settings, require_reviewed=require_reviewed, info=engine_info(settings, notes), notes=notes)

    def glossary(self) -> Glossary:
        """The current glossary, compiled for matching; it caches fingerprints by text."""
        if self._glossary is None:
            from workflow.glossary.terms import Glossary

            self._glossary = Glossary(self.entries())
        return self._glossary

    def entries(self) -> list[Entry]:
        """The glossary's entries, read once; a conflict fails the run as it fails `translate`."""
        if self._entries is None:
            from workflow.glossary import terms as glossary

            entries: list[Entry] = []
            for path in glossary.glossary_files(self.settings.glossary):
                entries += glossary.read_file(path, glossary.shown_path(path, self.settings.root))
            if glossary.first_conflict(entries):
                glossary.load(self.settings.glossary, self.settings.root)  # raises GlossaryConflict, worded for people
            self._entries = entries
            self._identity = glossary.identity(entries)
        return self._entries

    def glossary_current(self, recorded: str) -> bool:
        """True when a memory records the current glossary: none of its segments can be glossary-stale."""
        if not recorded:
            return False
        self.entries()
        return recorded == self._identity

    def on_some_page(self, english: str, *, besides: Memory | None = None) -> bool:
        """True when some document's live segment holds `english`; `besides`: some document other than
        that memory's own. The memories are read once per run, and only when asked: a project with
        no retired English of a person never reads the other memories."""
        if self._live is None:
            from workflow.store.tm import live_english

            self._live = live_english(self.settings.memory_root)
        own = besides is not None and any(r.final == english for r in besides.segments)
        return self._live[english] > own

    def glossary_stale(self, record: Record) -> bool:
        from workflow.glossary.terms import stale  # the glossary is imported only when a fingerprint is needed

        return stale(record, self.glossary())


def engine_info(settings: Settings, notes: list[str]) -> EngineInfo | None:
    """The configured engine's identity; for argos, from the installed package without argostranslate."""
    from workflow.engines import load_engine

    if settings.engine == "argos":
        from workflow.engines.argos_packages import light_identity

        name = settings.argos.package
        identity = light_identity(name)
        if identity is None:
            notes.append(
                f"model-stale not checked: the argos package `{name}` is not installed here, so the model "
                "`workflow translate` would use is unknown. `workflow translate` re-translates machine "
                "segments of an older model.")
            return None
        return EngineInfo("argos", model=name, version=identity[0], model_hash=identity[1])
    return load_engine(settings).info
