"""Markdown body -> translatable segments, each tied to exact character spans of the body.

markdown-it-py (CommonMark + tables + footnotes) finds the blocks that carry inline
text (headings, paragraphs — inside lists, blockquotes and footnotes too — and table
cells). Each segment records the *pieces* of the body its text comes from: one span
per source line. Everything outside the pieces (markers, indentation, `> `, `|`,
trailing spaces, blank lines, code, HTML blocks, link reference definitions) is never
touched, so replacing every piece with itself gives back the body byte for byte.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import Any, Iterator

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from workflow.errors import InputError
from workflow.text.code import DEFAULT, CodeOptions, Key, chinese_keys, code_spans

# Containers whose name qualifies the kind of a paragraph inside them.
CONTAINERS = {
    "blockquote_open": "blockquote",
    "list_item_open": "list-item",
    "footnote_reference_open": "footnote",
    "th_open": "table-cell",
    "td_open": "table-cell",
}
CLOSERS = {name.replace("_open", "_close"): kind for name, kind in CONTAINERS.items()}


@dataclass(frozen=True)
class Piece:
    """Half-open character span [start, end) of the body holding one line of a segment."""

    start: int
    end: int


@dataclass(frozen=True)
class Segment:
    """One translatable unit: a heading, paragraph, list-item paragraph, table cell, ..."""

    kind: str  # heading | paragraph | list-item | blockquote | footnote | table-cell | code-comment | code-string | meta
    line: int  # 1-based line in the body (callers add the front-matter offset)
    source: str  # exact text: the pieces joined by "\n"
    pieces: tuple[Piece, ...]  # empty for front-matter values
    single_line: bool  # headings and table cells cannot hold a line break

    @property
    def start(self) -> int:
        return self.pieces[0].start if self.pieces else -1


# markdown-it stops parsing, silently, below this many open blocks (CommonMark's preset: 20,
# which a list nested ten levels reaches); deeper documents are refused (`too_deep`).
MAX_NESTING = 100


def new_parser() -> MarkdownIt:
    """The one parser configuration: CommonMark + tables + footnotes."""
    return MarkdownIt("commonmark", {"maxNesting": MAX_NESTING}).enable("table").use(footnote_plugin)


def too_deep(tokens: list[Token]) -> int | None:
    """The 1-based body line where nesting reaches the parser's limit (the rest would be lost), or None."""
    for token in tokens:
        if token.level >= MAX_NESTING - 1:
            return token.map[0] + 1 if token.map else 1
    return None


@functools.cache
def markdown() -> MarkdownIt:
    """The shared parser instance (parse, skeleton check, review)."""
    return new_parser()


@functools.cache
def blocks() -> MarkdownIt:
    """The parser without its inline pass: segmentation needs the blocks (an inline token's content
    and lines, the link reference definitions), never the inline tokens, which masking finds in
    each segment itself (`text.protect`). Same block tokens as `markdown()`, half the work on prose,
    except with footnote definitions, which `segment_body` parses fully."""
    return new_parser().disable("inline")


def parse_tokens(body: str) -> list[Token]:
    return markdown().parse(body, {})


def line_offsets(body: str) -> list[int]:
    """Offset of the first character of every line (plus one past the end)."""
    # each line begins one past the end of the one before it; the last "line" ends at len(body) + 1
    return [0, *itertools.accumulate(len(line) + 1 for line in body.split("\n"))]


def segment_body(body: str, env: dict[str, Any] | None = None, *, code: CodeOptions = DEFAULT,
                 keys: frozenset[Key] | None = None) -> list[Segment]:
    """All translatable segments of `body`, in document order.

    `env` receives markdown-it's environment (the link reference definitions). `code`: which
    texts of code blocks are segments (`text.code`): those holding Chinese, or, for an English
    body, those at the `keys` its Chinese has them (`code_keys`).
    """
    env = env if env is not None else {}
    tokens = blocks().parse(body, env)
    if env.get("footnotes"):  # the footnotes' order and kinds come from the inline pass (footnote_tail)
        env.clear()
        tokens = markdown().parse(body, env)
    deep = too_deep(tokens)
    if deep is not None:
        raise InputError(f"lists or block quotes nest deeper than a Markdown parser follows ({MAX_NESTING // 2} levels); "
                         "the text below that would be lost. Flatten the nesting.", line=deep)
    lines = body.split("\n")
    offsets = line_offsets(body)
    found: list[Segment] = []
    cell_cursor: dict[int, int] = {}  # table row -> column after the last located cell
    for token, kind, single in _inline_blocks(tokens):
        pieces = _locate(token, kind, lines, offsets, cell_cursor)
        if pieces is None:
            continue  # text markdown-it rewrote (tab expansion): kept verbatim, never lost
        text = "\n".join(body[p.start:p.end] for p in pieces)
        if text != token.content or not text.strip():
            continue
        found.append(Segment(kind, token.map[0] + 1 if token.map else 1, text, pieces, single))
    if code.any:
        spans = list(code_spans(tokens, body, lines, offsets, code))
        wanted = chinese_keys(iter(spans)) if keys is None else keys
        found += [Segment(span.kind, span.row + 1, span.text, (Piece(span.start, span.end),), True)
                  for key, span in spans if key in wanted]
    found.sort(key=lambda s: s.start)
    return _without_overlaps(found)


def code_keys(body: str, code: CodeOptions = DEFAULT) -> frozenset[Key]:
    """Where a Chinese body's code blocks have segments: an English body is segmented at the same keys."""
    if not code.any:
        return frozenset()
    tokens = markdown().parse(body, {})
    return chinese_keys(code_spans(tokens, body, body.split("\n"), line_offsets(body), code))


def _without_overlaps(segments: list[Segment]) -> list[Segment]:
    kept: list[Segment] = []
    for seg in segments:
        if kept and seg.start < kept[-1].pieces[-1].end:
            continue
        kept.append(seg)
    return kept


def _inline_blocks(tokens: list[Token]) -> Iterator[tuple[Token, str, bool]]:
    """(inline token, kind, single_line): ATX headings and table cells hold one line only."""
    stack: list[str] = []
    heading: Token | None = None
    for token in tokens:
        if token.type in CONTAINERS:
            stack.append(CONTAINERS[token.type])
        elif token.type in CLOSERS and stack:
            stack.pop()
        elif token.type == "heading_open":
            heading = token
        elif token.type == "heading_close":
            heading = None
        elif token.type == "inline" and token.map is not None:
            if stack and stack[-1] == "table-cell":
                yield token, "table-cell", True
            elif heading is not None:
                yield token, f"heading-{heading.tag[1:]}", heading.markup.startswith("#")
            else:
                yield token, stack[-1] if stack else "paragraph", False


def _locate(
    token: Token, kind: str, lines: list[str], offsets: list[int], cell_cursor: dict[int, int]
) -> tuple[Piece, ...] | None:
    assert token.map is not None
    first = token.map[0]
    content_lines = token.content.split("\n")
    if kind == "table-cell":
        return _locate_cell(token, lines, offsets, cell_cursor)
    if kind.startswith("heading") and len(content_lines) == 1 and _is_atx(lines[first]):
        return _locate_atx(token.content, first, lines, offsets)
    # Paragraph-like content: every line is a suffix of its source line
    # (the last one once trailing whitespace is stripped).
    pieces = []
    for i, text in enumerate(content_lines):
        row = first + i
        if row >= len(lines):
            return None
        source = lines[row]
        if i == len(content_lines) - 1:
            source = source.rstrip()
        if not source.endswith(text):
            return None
        end = offsets[row] + len(source)
        pieces.append(Piece(end - len(text), end))
    return tuple(pieces)


def _is_atx(line: str) -> bool:
    stripped = line.lstrip(" ")
    return stripped.startswith("#") and len(line) - len(stripped) < 4


def _locate_atx(content: str, row: int, lines: list[str], offsets: list[int]) -> tuple[Piece, ...] | None:
    line = lines[row]
    col = len(line) - len(line.lstrip(" "))
    while col < len(line) and line[col] == "#":
        col += 1
    at = line.find(content, col)
    if at < 0:
        return None
    return (Piece(offsets[row] + at, offsets[row] + at + len(content)),)


def _locate_cell(
    token: Token, lines: list[str], offsets: list[int], cell_cursor: dict[int, int]
) -> tuple[Piece, ...] | None:
    """Cells of a row are found left to right, each after the previous one."""
    assert token.map is not None
    row = token.map[0]
    at = lines[row].find(token.content, cell_cursor.get(row, 0)) if token.content else -1
    if at < 0:
        return None
    cell_cursor[row] = at + len(token.content)
    return (Piece(offsets[row] + at, offsets[row] + at + len(token.content)),)


def replace_pieces(body: str, replacements: list[tuple[tuple[Piece, ...], str]]) -> str:
    """Put new text into the pieces of each segment; everything else stays byte for byte.

    A replacement with as many lines as pieces fills them line by line (so the
    container prefixes between them are kept). With fewer lines, the surplus source
    lines are dropped together with their prefixes; with more, the extra lines
    reuse the last piece's line prefix (list markers blanked).
    """
    out: list[str] = []
    cursor = 0
    for pieces, text in sorted(replacements, key=lambda r: r[0][0].start):
        out.append(body[cursor:pieces[0].start])
        out.append(_fill(body, pieces, text.split("\n")))
        cursor = pieces[-1].end
    out.append(body[cursor:])
    return "".join(out)


def _fill(body: str, pieces: tuple[Piece, ...], new_lines: list[str]) -> str:
    parts = [new_lines[0]]
    for i, line in enumerate(new_lines[1:], start=1):
        piece = pieces[min(i, len(pieces) - 1)]
        if i < len(pieces):
            prefix = body[pieces[i - 1].end:piece.start]  # "\n" + the container prefix
        else:
            prefix = "\n" + _continuation(body, pieces[-1] if len(pieces) > 1 else pieces[0])
        parts.append(prefix + line if line else prefix.rstrip(" \t"))  # a blank line gets no trailing blanks
    return "".join(parts)


def _continuation(body: str, piece: Piece) -> str:
    line_start = body.rfind("\n", 0, piece.start) + 1
    prefix = body[line_start:piece.start]
    blanked = []
    for ch in prefix:
        blanked.append(ch if ch in "> \t" else " ")
    return "".join(blanked)
