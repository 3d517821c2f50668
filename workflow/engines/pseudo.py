"""`pseudo`: a visible, deterministic transformation of each sentence, for structure tests.

Latin letters get accents and every Chinese character becomes two Latin letters, so
the output is obviously "translated", still letters where the source had letters
(Markdown's emphasis rules see the same kind of character) and keeps placeholders.
"""

from __future__ import annotations

from workflow.config import Settings
from workflow.engines import Progress
from workflow.store.memory import EngineInfo
from workflow.text.chars import is_han
from workflow.text.protect import PLACEHOLDER

ACCENTS = str.maketrans("aceinouyACEINOUY", "áçéîñöüýÁÇÉÎÑÖÜÝ")


def pseudo(text: str) -> str:
    out: list[str] = []
    cursor = 0
    for m in PLACEHOLDER.finditer(text):
        out.append(_letters(text[cursor:m.start()]))
        out.append(m.group(0))
        cursor = m.end()
    out.append(_letters(text[cursor:]))
    return "".join(out)


def _letters(text: str) -> str:
    chars = []
    for ch in text.translate(ACCENTS):
        if is_han(ch):
            code = ord(ch) - 0x4E00
            chars.append(chr(0x61 + code % 26) + chr(0x61 + (code // 26) % 26))
        else:
            chars.append(ch)
    return "".join(chars)


class PseudoEngine:
    identity = False

    def __init__(self, settings: Settings | None = None) -> None:
        self.info = EngineInfo("pseudo", version="1")

    def translate(self, texts: list[str], progress: Progress | None = None) -> list[str]:
        out = [pseudo(t) for t in texts]
        if progress:
            progress(len(texts))
        return out
