"""Records -> the English file: targets into the kept markup, front matter by policy."""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from workflow.config import FrontMatterPolicy
from workflow.glossary.terms import Glossary
from workflow.store.memory import Record
from workflow.store.post import Post, render_front_matter
from workflow.text.code import CODE_KINDS
from workflow.text.segment import Piece, Segment, markdown, replace_pieces


def body(source_body: str, segments: Sequence[Segment], texts: Sequence[str], markups: Sequence[str] = (),
         afters: Sequence[str] = ()) -> str:
    """The source body with each segment's pieces replaced by its text.

    An empty text (an editor deleted the segment) takes its whole lines with it when
    nothing else shares them, and one of the blank lines around it, so no empty
    paragraph, heading or list item is left behind; a table cell just becomes empty.
    A markup (an editor's heading level or list marker) replaces the block markers before
    the segment's first line. An after (an editor's new list items or table rows) goes
    after the segment's last line, each line behind the container prefix of its first line.
    """
    replacements: list[tuple[tuple[Piece, ...], str]] = []
    insertions: list[tuple[int, str]] = []
    for k, (s, t) in enumerate(zip(segments, texts)):
        markup = markups[k] if k < len(markups) else ""
        if s.pieces and markup and t != "":  # before the text: replace_pieces keeps the order of equal starts
            start = source_body.rfind("\n", 0, s.pieces[0].start) + 1
            replacements.append(((Piece(start, s.pieces[0].start),), markup))
        whole = None
        if s.pieces and t != s.source:
            whole = _whole_lines(source_body, s.pieces) if t == "" and s.kind not in CODE_KINDS else None
            replacements.append((whole or s.pieces, t))  # a code comment's text emptied: the code stays
        if s.pieces and k < len(afters) and afters[k]:
            insertions.append(_insertion(source_body, s.pieces, afters[k], whole))
    if not insertions:
        return replace_pieces(source_body, replacements)
    return _with_insertions(source_body, replacements, insertions)


def container_prefix(line_prefix: str) -> str:
    """The part of a line's prefix that belongs to the blocks around a list or table (quotes, indentation)."""
    return _CONTAINER.match(line_prefix).group(0)  # type: ignore[union-attr]  # `*`: always matches


_CONTAINER = re.compile(r"[ \t>]*")
_DELIMITER_ROW = re.compile(r"\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*")  # GFM's `| --- | :-: |`


def header_cell(text: str, segment: Segment) -> bool:
    """`segment` is a cell of a table's header row (the delimiter row follows its line): no row may be
    added after it, it would stand above the delimiter and break the table."""
    if segment.kind != "table-cell" or not segment.pieces:
        return False
    outer = container_prefix(line_prefix(text, segment.pieces[0].start))
    newline = text.find("\n", segment.pieces[-1].end)
    if newline < 0:
        return False
    end = text.find("\n", newline + 1)
    following = text[newline + 1:len(text) if end < 0 else end]
    return following.startswith(outer) and _DELIMITER_ROW.fullmatch(following[len(outer):]) is not None


def _insertion(text: str, pieces: tuple[Piece, ...], after: str, whole: tuple[Piece, ...] | None) -> tuple[int, str]:
    """(offset, text) that puts `after` below the segment's last line (where its lines were, when deleted)."""
    outer = container_prefix(line_prefix(text, pieces[0].start))
    lines = [outer + line if line else outer.rstrip() for line in after.split("\n")]
    if whole is not None:
        return whole[0].start, "".join(line + "\n" for line in lines)
    newline = text.find("\n", pieces[-1].end)
    return (len(text) if newline < 0 else newline), "".join("\n" + line for line in lines)


def _with_insertions(text: str, replacements: list[tuple[tuple[Piece, ...], str]],
                     insertions: list[tuple[int, str]]) -> str:
    """`replace_pieces`, chunk by chunk between the insertion offsets (which fall at line ends or starts)."""
    out: list[str] = []
    cursor = 0
    pending = sorted(replacements, key=lambda r: r[0][0].start)
    for at, added in sorted(insertions, key=lambda i: i[0]):
        at = max([at] + [p[-1].end for p, _ in pending if p[0].start < at])  # never inside a replaced span
        mine = [(p, t) for p, t in pending if p[0].start < at]
        pending = [r for r in pending if r not in mine]
        shifted = [(tuple(Piece(x.start - cursor, x.end - cursor) for x in p), t) for p, t in mine]
        out += [replace_pieces(text[cursor:at], shifted), added]
        cursor = at
    shifted = [(tuple(Piece(x.start - cursor, x.end - cursor) for x in p), t) for p, t in pending]
    out.append(replace_pieces(text[cursor:], shifted))
    return "".join(out)


def line_prefix(text: str, start: int) -> str:
    """What stands before offset `start` on its line (block markers, indentation)."""
    return text[text.rfind("\n", 0, start) + 1:start]


# What may stand before a deleted segment's first line: quote, list and ATX heading markers.
_BLOCK_PREFIX = re.compile(r"[ \t>]*(?:(?:[-+*]|\d{1,9}[.)])[ \t]+)?(?:#{1,6}[ \t]+)?")


def _whole_lines(text: str, pieces: tuple[Piece, ...]) -> tuple[Piece, ...] | None:
    start = text.rfind("\n", 0, pieces[0].start) + 1
    newline = text.find("\n", pieces[-1].end)
    end = len(text) if newline < 0 else newline + 1
    if not _BLOCK_PREFIX.fullmatch(text[start:pieces[0].start]) or text[pieces[-1].end:end].strip(" \t\n#"):
        return None
    # Between two blank lines (or a blank line and the start or end), one of them goes too.
    following = text.find("\n", end)
    after_blank = end >= len(text) or (following >= 0 and not text[end:following].strip())
    preceding = text.rfind("\n", 0, start - 1) + 1 if start > 0 else 0
    before_blank = start == 0 or not text[preceding:start].strip()
    if after_blank and before_blank:
        if end < len(text):
            end = following + 1
        else:
            start = preceding
    return (Piece(start, end),)


def front_matter_changes(
    post: Post,
    meta: Mapping[str, Record],
    policy: FrontMatterPolicy,
    glossary: Glossary,
    provenance: Mapping[str, Any],
    terms: Mapping[str, Mapping[str, str]] | None = None,
    lists: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """What the English front matter changes; new keys in the order they should appear.

    `meta` holds the records of translated (and derived) values by key; `terms`, per
    glossary-mapped key (`tags`, `categories`), the editors' own English for a Chinese value;
    `lists`, per such key, the values the editors added or removed (`apply_list`).
    """
    source = dict(post.front.metadata) if post.front else {}
    changes: dict[str, Any] = {}
    for key, record in meta.items():
        if source.get(key) != record.final:
            changes[key] = record.final
    for key, value in source.items():
        if policy.action(key) == "glossary":
            mapped = through_glossary(value, glossary, (terms or {}).get(key, {}))
            if isinstance(value, list) and key in (lists or {}):
                mapped = apply_list(value, mapped, (lists or {})[key])
            if mapped != value:
                changes[key] = mapped
    for key, value in policy.set:
        changes[key] = value
    changes[policy.provenance_key] = dict(provenance)
    return changes


def through_glossary(value: Any, glossary: Glossary, own: Mapping[str, str] | None = None) -> Any:
    """A front-matter value mapped term by term: the editors' English (`own`), else the glossary's."""
    if isinstance(value, str):
        if own and isinstance(own.get(value), str):
            return own[value]
        entry = glossary.lookup(value)
        return entry.en if entry else value
    if isinstance(value, list):
        return [through_glossary(v, glossary, own) for v in value]
    return value


def apply_list(value: list[Any], mapped: list[Any], override: Mapping[str, Any]) -> list[Any]:
    """The English of a glossary-mapped list (`mapped`, item by item from the Chinese `value`) with an
    editor's override: the Chinese values `removed` left out, each `added` [Chinese value it follows
    ("" at the start), English] put after that value, or at the end once the value is gone."""
    removed = override.get("removed", [])
    removed = removed if isinstance(removed, list) else []
    added = [a for a in override.get("added", []) if isinstance(a, list) and len(a) == 2] \
        if isinstance(override.get("added"), list) else []
    out = [en for after, en in added if after == ""]
    for zh, en in zip(value, mapped):
        if zh not in removed:
            out.append(en)
        out += [new for after, new in added if after == zh and after != ""]
    return out + [new for after, new in added if after != "" and after not in value]


def plain_text(inline: str) -> str:
    """Inline Markdown -> its visible text (for titles)."""
    tokens = markdown().parseInline(inline, {})
    parts: list[str] = []
    for child in tokens[0].children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return " ".join("".join(parts).split())


def render(post: Post, english_body: str, changes: Mapping[str, Any]) -> str:
    return render_front_matter(post.front, changes) + english_body
