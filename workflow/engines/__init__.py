"""Translation engines behind one Protocol, loaded lazily by name.

`translate(texts)` receives every sentence of the run that needs the engine, with
placeholders (`<x1/>`, `<g2>…</g2>`) in it, and returns one translation per text in
the same order. Engines never see Markdown and never touch the disk outside their
model directory. Heavy libraries (CTranslate2, Argos) are imported only inside the
engine modules that need them, and only when `load_engine` is called for them.
"""

from __future__ import annotations

import importlib
from typing import Callable, Protocol

from workflow.config import ENGINES, Settings
from workflow.store.memory import EngineInfo

Progress = Callable[[int], None]

class Engine(Protocol):
    #: True when the output is the input (copy): no typography, no Markdown escaping.
    identity: bool

    @property
    def info(self) -> EngineInfo: ...

    def translate(self, texts: list[str], progress: Progress | None = None) -> list[str]: ...


def load_engine(settings: Settings) -> Engine:
    module_name, _, class_name = ENGINES[settings.engine].partition(":")
    module = importlib.import_module(module_name)
    engine: Engine = getattr(module, class_name)(settings)
    return engine
