"""English typography for machine output, and Markdown-safety of translated text.

Applied to what an engine produced (never to copied text): full-width punctuation
-> ASCII with English spacing, 、-> comma, 《》-> quotes, full-width letters and
digits -> ASCII, one space between words. `escape_markdown` then makes sure the
English cannot create Markdown structure that the Chinese did not have.
"""

from __future__ import annotations

import re
import unicodedata

from workflow.text.chars import HAN
from workflow.text.protect import PLACEHOLDER

# Punctuation that takes a space after it in English (and none before).
SPACED = {"，": ",", "。": ".", "：": ":", "；": ";", "！": "!", "？": "?", "、": ","}
PAIRED = {"（": " (", "）": ") ", "《": ' "', "》": '" ', "“": ' "', "”": '" ', "‘": " '", "’": "' ",
          "【": " [", "】": "] ", "「": ' "', "」": '" ', "『": ' "', "』": '" '}
OTHER = {"……": "\u2026", "——": " — ", "～": "~", "·": " · ", "\u3000": " "}  # … stays one mark until the end


def english(text: str) -> str:
    """Full-width punctuation and spacing of machine output -> English conventions.

    Works run by run between placeholders and adds no space next to one: a space
    inside `**` or `[` would change the Markdown, so only spaces the engine wrote
    there survive.
    """
    out: list[str] = []
    cursor = 0
    for m in PLACEHOLDER.finditer(text):
        out += [_run(text[cursor:m.start()]), m.group(0)]
        cursor = m.end()
    out.append(_run(text[cursor:]))
    return re.sub(r"[ \t]{2,}", " ", "".join(out)).strip(" ")


def _run(text: str) -> str:
    if not text:
        return text
    lead = " " if text[0] in " \t\u3000" else ""
    trail = " " if text[-1] in " \t\u3000" else ""
    body = _convert(text).strip(" ")
    return lead + body + trail if body else (lead or trail)


def _convert(text: str) -> str:
    text = text.translate(_PUNCTUATION)
    for zh in _PAIRS:
        if zh in text:
            text = text.replace(zh, OTHER[zh])
    text = _ELLIPSIS.sub("\u2026", text)  # an engine's `...` is an ellipsis too
    text = _REPEATED.sub(r"\1", text)  # 。。 -> .
    text = _BLANKS.sub(" ", text)
    text = _SPACE_BEFORE.sub(r"\1", text)
    text = _SPACE_AFTER.sub(r"\1", text)
    return _inside_quotes(text).replace("\u2026", "...")


def _inside_quotes(text: str) -> str:
    """No space just inside a pair of straight double quotes: `" cloud "` -> `"cloud"`, pairing the
    quotes in order (the text between a closing and the next opening quote keeps its spaces)."""
    parts = text.split('"')
    if len(parts) % 2 == 0:  # an unpaired quote: which are opening is unknown
        return text
    parts[1::2] = [p.strip(" ") for p in parts[1::2]]
    return '"'.join(parts)


def _punctuation() -> dict[int, str]:
    """One `str.translate` table: full-width ASCII variants (Ａ１＃) -> ASCII, then the marks above.

    The marks are single characters none of whose replacements is another mark, so one pass
    applies them all; the two-character marks of `OTHER` are replaced after (`_PAIRS`)."""
    table = {code: unicodedata.normalize("NFKC", chr(code)) for code in range(0xFF01, 0xFF5F)
             if chr(code) not in SPACED and chr(code) not in PAIRED and chr(code) != "～"}
    table.update({ord(zh): en + " " for zh, en in SPACED.items()})
    table.update({ord(zh): en for zh, en in PAIRED.items()})
    table.update({ord(zh): en for zh, en in OTHER.items() if len(zh) == 1})
    return table


_PUNCTUATION = _punctuation()
_PAIRS = tuple(zh for zh in OTHER if len(zh) > 1)
_ELLIPSIS = re.compile(r"\.{3,}")
_REPEATED = re.compile(r"([.!?,;:])\1+")
_BLANKS = re.compile(r"[ \t]+")
_SPACE_BEFORE = re.compile(r" ([,.;:!?)\]\u2026])")
_SPACE_AFTER = re.compile(r"([(\[]) ")


def han_left(text: str) -> list[str]:
    """Chinese characters left in English text (outside placeholders)."""
    return HAN.findall(PLACEHOLDER.sub("", text))


# -- Markdown safety -------------------------------------------------------------------------

BLOCK_START = re.compile(r"^([ \t]*)(#{1,6}(?=[ \t]|$)|[-+*](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$)|>|=+[ \t]*$|-+[ \t]*$|`{3,}|~{3,}|\|)")
INLINE_SPECIAL = re.compile(r"([*`\[\]<]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def escape_inline(text: str) -> str:
    """Backslash-escape characters the engine wrote that Markdown would read as markup.

    Placeholders (the real markup) are left alone.
    """
    out: list[str] = []
    cursor = 0
    for m in PLACEHOLDER.finditer(text):
        out.append(INLINE_SPECIAL.sub(r"\\\1", text[cursor:m.start()]))
        out.append(m.group(0))
        cursor = m.end()
    out.append(INLINE_SPECIAL.sub(r"\\\1", text[cursor:]))
    return "".join(out)


def escape_block_starts(text: str, single_line: bool) -> str:
    """Translated lines must not begin a new block: `1. x`, `# x`, `- x`, `> x`, `===`."""
    if single_line:
        text = " ".join(part.strip() for part in text.split("\n"))
    lines = text.split("\n")
    return "\n".join(BLOCK_START.sub(_escape_marker, line, count=1) for line in lines)


def _escape_marker(m: re.Match[str]) -> str:
    indent, marker = m.group(1), m.group(2)
    if marker[0].isdigit():
        return indent + marker[:-1] + "\\" + marker[-1]
    return indent + "\\" + marker


def escape_pipes(text: str) -> str:
    """A table cell's text must not contain an unescaped `|`."""
    out: list[str] = []
    cursor = 0
    for m in PLACEHOLDER.finditer(text):
        out.append(re.sub(r"(?<!\\)\|", r"\\|", text[cursor:m.start()]))
        out.append(m.group(0))
        cursor = m.end()
    out.append(re.sub(r"(?<!\\)\|", r"\\|", text[cursor:]))
    return "".join(out)
