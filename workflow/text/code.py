"""Chinese inside code blocks: the comments (and, when asked, string literals) a lexer finds.

Pygments, the maintained lexer library, reads each fenced or indented code block whose
language is known: the fence's info string names the lexer (`get_lexer_by_name`); a block
without one is read only when Pygments is certain of its language (a `#!` line that names
it). A block of an unknown language is left alone. Of every comment the *text* is the
span (one span per line of it): the comment markers (`#`, `//`, `/*`, `*/`, `--`, ...)
and the blanks around it stay code. Everything else of the block is code, byte for byte.

Spans are numbered per block (`Key`: block ordinal, span ordinal). The Chinese has a
segment for each span that holds Han characters; the English is segmented at the same keys
(its text has no Chinese any more), so review reads an English file the way the Chinese was
cut. `masked` is the code with every span's text taken out: Chinese and English must give
the same (the skeleton check), so a translation that ends a comment early or breaks its line
changes the code and is refused.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import Iterator

from markdown_it.token import Token
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name, guess_lexer
from pygments.token import Comment, String, _TokenType
from pygments.util import ClassNotFound

from workflow.text.chars import has_han

CODE_KINDS = ("code-comment", "code-string")
CODE_BLOCKS = ("fence", "code_block")
NOT_TEXT = (Comment.Preproc, Comment.PreprocFile, Comment.Hashbang, String.Escape, String.Interpol, String.Affix)
# What stands around a comment's text once the lexer found the comment (never used to find one).
_OPEN = re.compile(r"^[ \t]*(?:#+|//+|/\*+|\*+|--+|;+|%+|<!--|'|REM\b|::)?[ \t]*", re.IGNORECASE)
_CLOSE = re.compile(r"[ \t]*(?:\*+/|-->)?[ \t]*\r?\n?$")
_QUOTES = "\"'`"

Key = tuple[int, int]


@dataclass(frozen=True)
class CodeOptions:
    """What of a code block is translated (`code-comments`, `code-strings` in [tool.workflow])."""

    comments: bool = True
    strings: bool = False

    @property
    def any(self) -> bool:
        return self.comments or self.strings


DEFAULT = CodeOptions()


@dataclass(frozen=True)
class Span:
    kind: str  # code-comment | code-string
    row: int  # 0-based body line
    start: int  # body offsets, half-open
    end: int
    text: str


@functools.lru_cache(maxsize=256)
def _lexer_by_name(name: str) -> Lexer | None:
    try:
        return get_lexer_by_name(name)
    except ClassNotFound:
        return None


def lexer_for(token: Token) -> Lexer | None:
    """The block's lexer: by the fence's info string, else only a certain guess (a `#!` line), else None."""
    name = token.info.split()[0] if token.type == "fence" and token.info.strip() else ""
    if name:
        return _lexer_by_name(name.lower())
    if not token.content.startswith("#!"):
        return None
    try:
        guessed = guess_lexer(token.content)
    except ClassNotFound:
        return None
    return guessed if guessed.analyse_text(token.content) >= 1.0 else None


def block_spans(token: Token, lines: list[str], offsets: list[int], options: CodeOptions) -> list[Span] | None:
    """Every comment (and string) text of a code block, in body offsets; None: the block is left alone."""
    if token.type not in CODE_BLOCKS or token.map is None or not options.any:
        return None
    lexer = lexer_for(token)
    if lexer is None:
        return None
    first = token.map[0] + (1 if token.type == "fence" else 0)
    content = token.content
    rows = content.split("\n")
    starts, body_starts, at = [], [], 0
    for i, text in enumerate(rows):
        row = first + i
        if i == len(rows) - 1 and text == "":
            break
        if row >= len(lines) or not lines[row].endswith(text):
            return None  # markdown-it rewrote the line (tabs): left alone
        starts.append(at)
        body_starts.append(offsets[row] + len(lines[row]) - len(text))
        at += len(text) + 1
    spans = []
    for kind, index, value in _runs(lexer, content, options):
        for line_at, line in _lines(index, value):
            inner = _inner(kind, line)
            if inner is None:
                continue
            lo, hi = inner
            i = bisect.bisect_right(starts, line_at + lo) - 1
            base = body_starts[i] + line_at - starts[i]
            spans.append(Span(kind, first + i, base + lo, base + hi, line[lo:hi]))
    return spans


def _runs(lexer: Lexer, content: str, options: CodeOptions) -> Iterator[tuple[str, int, str]]:
    """Runs of adjacent comment (or string) tokens: (kind, content offset, text)."""
    run: tuple[str, int, str] | None = None
    for index, ttype, value in lexer.get_tokens_unprocessed(content):
        kind = _kind(ttype, options)
        if run is not None and kind == run[0] and index == run[1] + len(run[2]):
            run = (kind, run[1], run[2] + value)
            continue
        if run is not None:
            yield run
        run = (kind, index, value) if kind else None
    if run is not None:
        yield run


def _kind(ttype: _TokenType, options: CodeOptions) -> str:
    if any(ttype in t for t in NOT_TEXT):
        return ""
    if options.comments and ttype in Comment:
        return "code-comment"
    if options.strings and ttype in String:
        return "code-string"
    return ""


def _lines(index: int, value: str) -> Iterator[tuple[int, str]]:
    at = index
    for line in value.split("\n"):
        yield at, line
        at += len(line) + 1


def _inner(kind: str, line: str) -> tuple[int, int] | None:
    """The text of one line of a comment or string, without markers, quotes and blanks around it."""
    if kind == "code-comment":
        lo = _OPEN.match(line).end()  # type: ignore[union-attr]
        close = _CLOSE.search(line, lo)
        hi = close.start() if close else len(line)
    else:
        lo, hi = 0, len(line)
        while lo < hi and line[lo] in _QUOTES + " \t":
            lo += 1
        while hi > lo and line[hi - 1] in _QUOTES + " \t\r":
            hi -= 1
    return (lo, hi) if hi > lo else None


def code_spans(tokens: list[Token], body: str, lines: list[str], offsets: list[int],
               options: CodeOptions) -> Iterator[tuple[Key, Span]]:
    """(key, span) of every code block's texts, in document order."""
    ordinal = 0
    for token in tokens:
        if token.type in CODE_BLOCKS:
            spans = block_spans(token, lines, offsets, options) or []
            for k, span in enumerate(spans):
                yield (ordinal, k), span
            ordinal += 1


def chinese_keys(spans: Iterator[tuple[Key, Span]]) -> frozenset[Key]:
    """The keys of the spans that hold Chinese: the ones that are segments."""
    return frozenset(key for key, span in spans if has_han(span.text))


def masked(token: Token, options: CodeOptions) -> tuple[str, tuple[str, ...]]:
    """A code block's code with each text span replaced by `\\0`, and the texts (for the skeleton check)."""
    lines = token.content.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    fake = Token(token.type, token.tag, token.nesting, content=token.content, info=token.info,
                 map=[-1 if token.type == "fence" else 0, len(lines)])
    spans = block_spans(fake, lines, offsets, options)
    if not spans:
        return token.content, ()
    out, cursor = [], 0
    for span in spans:
        out.append(token.content[cursor:span.start] + "\0")
        cursor = span.end
    out.append(token.content[cursor:])
    return "".join(out), tuple(s.text for s in spans)
