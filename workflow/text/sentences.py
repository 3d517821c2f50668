"""Masked segment text -> sentence units for the engine, and back.

A Chinese paragraph is split after 。！？；… (and ASCII !? or `. `), with the
closing quotes and brackets that follow, never inside 《》“”（）【】「」, and at
every hard line break. Pure-markup placeholders at a sentence's edges (emphasis
delimiters, HTML tags, whole-sentence links) stay out of the engine's sight.
Joining the untouched units gives back the masked text exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workflow.text.chars import HAN
from workflow.text.protect import PLACEHOLDER, Masked

ENDERS = "。！？；…!?"
CLOSERS = "”’」』）)]】》\"'"
OPENERS = {"《": "》", "“": "”", "（": "）", "【": "】", "「": "」", "『": "』", "(": ")"}
EDGE_SPACE = " \t\n\u3000"
_ALNUM = re.compile(r"[^\W_]")  # a character str.isalnum() accepts (\w is those and the underscore)
# The characters _sentences acts on: a placeholder's `<`, brackets and quotes that open or close, end marks.
_NOTABLE = re.compile("[" + re.escape("<." + ENDERS + "".join(OPENERS) + "".join(OPENERS.values())) + "]")


@dataclass(frozen=True)
class Unit:
    """lead + core + trail + sep is a run of the masked text; only `core` goes to the engine."""

    lead: str
    core: str
    trail: str
    sep: str


def split(masked: Masked) -> list[Unit]:
    units: list[Unit] = []
    for chunk, sep in _chunks(masked.text, masked.breaks):
        for sentence, space in _sentences(chunk, masked.closers):
            units.append(_edges(sentence, space, masked))
        if units and sep:
            last = units[-1]
            units[-1] = Unit(last.lead, last.core, last.trail, last.sep + sep)
        elif sep:
            units.append(Unit("", "", "", sep))
    return units


def join(units: list[Unit], cores: list[str]) -> str:
    """Reassemble; a changed sentence that followed another with no space gets one."""
    out: list[str] = []
    for i, (unit, core) in enumerate(zip(units, cores)):
        out.append(unit.lead + core + unit.trail)
        sep = unit.sep
        changed = core != unit.core or (i + 1 < len(units) and cores[i + 1] != units[i + 1].core)
        if not sep and changed and i + 1 < len(units) and core and cores[i + 1]:
            sep = " "
        out.append(sep)
    return "".join(out)


def _chunks(text: str, breaks: frozenset[str]) -> list[tuple[str, str]]:
    """Split at hard-break placeholders: (text, the break and the whitespace after it)."""
    if not breaks:
        return [(text, "")]
    pattern = re.compile("(" + "|".join(re.escape(b) for b in sorted(breaks)) + r")([ \t]*)")
    chunks: list[tuple[str, str]] = []
    cursor = 0
    for m in pattern.finditer(text):
        chunks.append((text[cursor:m.start()], m.group(0)))
        cursor = m.end()
    chunks.append((text[cursor:], ""))
    return chunks


def _sentences(text: str, closers: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """(sentence, whitespace after it) pairs covering `text` exactly.

    Closing quotes and brackets after the end mark, and placeholders that close a
    construct (`**`, `</span>`), belong to the sentence they end.
    """
    out: list[tuple[str, str]] = []
    depth: list[str] = []
    start = i = 0
    n = len(text)
    while i < n:
        step = _NOTABLE.search(text, i)  # every other character only moves i on: skip to the next notable one
        if step is None:
            break
        i = step.start()
        ch = text[i]
        token = PLACEHOLDER.match(text, i) if ch == "<" else None
        if token is not None:  # never split inside a link's text
            if token.group(2) == "g" and not token.group(1):
                depth.append(f"</g{token.group(3)}>")
            elif depth and token.group(0) == depth[-1]:
                depth.pop()
            i = token.end()
            continue
        if ch in OPENERS:
            depth.append(OPENERS[ch])
        elif depth and ch == depth[-1]:
            depth.pop()
        if not depth and _ends_sentence(text, i):
            j = i + 1
            while j < n and text[j] in ENDERS:
                j += 1
            while j < n:
                closing = PLACEHOLDER.match(text, j)
                if closing is not None and closing.group(0) in closers:
                    j = closing.end()
                elif text[j] in CLOSERS:
                    j += 1
                else:
                    break
            k = j
            while k < n and text[k] in EDGE_SPACE:
                k += 1
            if k < n:  # something follows: a boundary
                out.append((text[start:j], text[j:k]))
                start = i = k
                continue
            i = n
            break
        i += 1
    out.append((text[start:n], ""))
    return [pair for pair in out if pair != ("", "")] or [("", "")]


def _ends_sentence(text: str, i: int) -> bool:
    ch = text[i]
    if ch in ENDERS:
        # `Yahoo！Japan`, `v1.0!beta`: an end mark glued to a Latin letter or digit is part of a name.
        return not (i + 1 < len(text) and text[i + 1].isascii() and text[i + 1].isalnum())
    return ch == "." and i + 1 < len(text) and text[i + 1] in EDGE_SPACE and i > 0 and not text[i - 1].isdigit()


def _edges(sentence: str, space: str, masked: Masked) -> Unit:
    lead_end = 0
    while True:
        m = PLACEHOLDER.match(sentence, lead_end)
        ws = len(sentence[lead_end:]) - len(sentence[lead_end:].lstrip(EDGE_SPACE))
        if ws:
            lead_end += ws
        elif m and m.group(0) in masked.markup:
            lead_end = m.end()
        else:
            break
    core_end = len(sentence)
    while core_end > lead_end:
        tail = sentence[lead_end:core_end]
        stripped = tail.rstrip(EDGE_SPACE)
        if len(stripped) < len(tail):
            core_end = lead_end + len(stripped)
            continue
        m = _last_placeholder(tail)
        if m is not None and m.end() == len(tail) and m.group(0) in masked.markup:
            core_end = lead_end + m.start()
            continue
        break
    core = sentence[lead_end:core_end]
    lead, trail = sentence[:lead_end], sentence[core_end:]
    core, lead, trail = _wrapping_pair(core, lead, trail)
    return Unit(lead, core, trail, space)


def _last_placeholder(text: str) -> re.Match[str] | None:
    if "<" not in text:
        return None
    last = None
    for m in PLACEHOLDER.finditer(text):
        last = m
    return last


def _wrapping_pair(core: str, lead: str, trail: str) -> tuple[str, str, str]:
    """`<gN>whole sentence</gN>`: keep the pair outside the engine."""
    m = PLACEHOLDER.match(core)
    if m and m.group(2) == "g" and not m.group(1):
        closing = f"</g{m.group(3)}>"
        if core.endswith(closing) and core.count(closing) == 1:
            return core[m.end():-len(closing)], lead + m.group(0), closing + trail
    return core, lead, trail


def needs_engine(core: str, copy_untranslatable: bool) -> bool:
    """Only text with Chinese characters goes to the engine (unless configured otherwise)."""
    text = PLACEHOLDER.sub("", core) if "<" in core else core
    if copy_untranslatable:
        return bool(HAN.search(text))
    return _ALNUM.search(text) is not None
