"""Paired bilingual view: each Chinese block followed by its English, for reviewers and readers.

Each top-level block of the Chinese (a paragraph, a heading, a whole list or table)
is followed by the same block with its segments' recorded English put into its
markup, exactly as `translate` renders the English file. So an editor's split stays
under its Chinese, a paragraph the editor left out shows only in Chinese, and a block
that reads the same in both (an image, code, a rule) is written once. The English
front matter is kept and says which view this is.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflow.config import Settings
from workflow.document import assemble
from workflow.document.plan import code_options, source_rel
from workflow.errors import InputError, WorkflowError
from workflow.store import memory as memory_mod
from workflow.store.documents import sources
from workflow.store.files import atomic_write, confined, read_bytes, sha256, write_error
from workflow.store.post import encode_text, parse, render_front_matter
from workflow.text.segment import Piece, Segment, line_offsets, parse_tokens, segment_body


@dataclass(frozen=True, kw_only=True)
class Written:
    source: str
    english: str
    bilingual: str
    state: str  # written | unchanged | error
    message: str = ""
    exit_code: int = 0


def block_spans(body: str) -> list[tuple[int, int]]:
    """Character spans of the top-level blocks of a Markdown body (final newline excluded)."""
    offsets = line_offsets(body)
    spans: list[tuple[int, int]] = []
    for token in parse_tokens(body):
        if token.level != 0 or token.map is None or token.nesting < 0:
            continue
        a, b = token.map
        if spans and offsets[a] < spans[-1][1]:
            continue  # inside the previous block
        end = min(offsets[b] - 1, len(body))
        while end > offsets[a] and body[end - 1] == "\n":  # a list's map takes the blank line after it
            end -= 1
        spans.append((offsets[a], end))
    return spans


def interleave(body: str, segments: Sequence[Segment], finals: Sequence[str], markups: Sequence[str] = (),
               afters: Sequence[str] = ()) -> str:
    """Each block of `body`, then the block with the segments' `finals` in it (once when equal), and the
    editors' `markups` (a heading's level, a list marker) and `afters` (added items, rows) as `translate`
    writes them."""
    out: list[str] = []
    previous = 0
    for start, end in block_spans(body) + [(len(body), len(body))]:
        gap = body[previous:start]  # link reference definitions are no block: kept as they are
        previous = end
        if gap.strip():
            out.append(gap.strip("\n"))
        if start == end == len(body):
            break
        inside = [k for k, s in enumerate(segments) if s.pieces and start <= s.start and s.pieces[-1].end <= end]
        shifted = [dataclasses.replace(segments[k], pieces=tuple(Piece(p.start - start, p.end - start)
                                                                 for p in segments[k].pieces)) for k in inside]
        chinese = body[start:end]
        english = assemble.body(chinese, shifted, [finals[k] for k in inside], [_at(markups, k) for k in inside],
                                [_at(afters, k) for k in inside]).strip("\n")
        out += [chinese] if english in (chinese, "") else [chinese, english]
    return "\n\n".join(part for part in out if part.strip()) + "\n"


def _at(values: Sequence[str], k: int) -> str:
    return values[k] if k < len(values) else ""


def bilingual_path(settings: Settings, rel: str) -> Path:
    return settings.output / settings.bilingual / rel


def publish(settings: Settings, paths: Iterable[Path] = ()) -> list[Written]:
    """Write `output_en/<bilingual>/<path>` for every source whose English is current."""
    results = []
    for path in sources(settings, paths):
        try:
            results.append(_publish_one(settings, path))
        except WorkflowError as exc:
            results.append(Written(source=settings.rel(path), english="", bilingual="", state="error", message=str(exc), exit_code=exc.exit_code))
    return results


def _publish_one(settings: Settings, path: Path) -> Written:
    rel = source_rel(settings, path)
    shown = settings.rel(path)
    data = path.read_bytes()
    memory_path = memory_mod.memory_path(settings.memory_root, rel)
    memory = memory_mod.load(memory_path, settings.rel(memory_path))
    english_path = settings.output / rel
    english = read_bytes(english_path)
    if memory is None or english is None:
        raise InputError("has no English yet. Run `workflow translate` first.", path=shown)
    if memory.source_hash != sha256(data):
        raise InputError("changed since it was translated. Run `workflow translate` first.", path=shown)
    source = parse(data, shown)
    segments = segment_body(source.body, code=code_options(settings))
    records = [r for r in memory.segments if not r.kind.startswith("meta:")]
    if len(records) != len(segments):
        raise InputError(f"its memory holds {len(records)} segments for {len(segments)} in the Chinese. "
                         "Run `workflow translate` first.", path=shown)
    target = parse(english, settings.rel(english_path))
    # `lang` stays one language tag (site generators put it in <html lang>); `languages` lists both, in order.
    meta: dict[str, Any] = {"lang": settings.target_lang, "languages": [settings.source_lang, settings.target_lang],
                            "bilingual": True}
    body = interleave(source.body, segments, [r.final for r in records], [r.markup for r in records],
                      [r.after for r in records])
    text = render_front_matter(target.front, meta) + rebase_links(body, posixpath.dirname(rel), settings.bilingual)
    out = bilingual_path(settings, rel)
    confined(out, settings.output, settings.rel(out))
    encoded = encode_text(text, target.encoding, target.newline)
    state = "unchanged" if read_bytes(out) == encoded else "written"
    if state == "written":
        try:
            atomic_write(out, encoded)
        except OSError as exc:
            raise write_error(exc, settings.rel(out)) from None
    return Written(source=shown, english=settings.rel(english_path), bilingual=settings.rel(out), state=state)


# -- relative links: the bilingual page lies deeper than the English page ---------------------

INLINE_LINK = re.compile(r"(!?\[(?:[^\]\\]|\\.)*\]\(\s*<?)([^)\s>]+)")
REFERENCE = re.compile(r"^( {0,3}\[[^\]]+\]:[ \t]*<?)(\S+?)(?=>|\s|$)", re.MULTILINE)
HTML_ATTRIBUTE = re.compile(r"(\b(?:src|href)=[\"'])([^\"']+)")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
ABSOLUTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|/|#|<[gx]\d)")


def rebase_links(body: str, folder: str, bilingual: str) -> str:
    """Relative links and images of a page at `output/<folder>/` rewritten for the same page at
    `output/<bilingual>/<folder>/`, so they reach the same files; code blocks are left alone."""

    def rebase(url: str) -> str:
        if ABSOLUTE.match(url):
            return url
        target = posixpath.normpath(posixpath.join(folder, url))
        new = posixpath.relpath(target, posixpath.join(bilingual, folder) or ".")
        return new + ("/" if url.endswith("/") and not new.endswith("/") else "")

    def fix(match: re.Match[str]) -> str:
        return match.group(1) + rebase(match.group(2))

    out: list[str] = []
    fence = ""
    for line in body.splitlines(keepends=True):
        opening = FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
            out.append(line)
            continue
        if opening:
            fence = opening.group(1)
            out.append(line)
            continue
        line = INLINE_LINK.sub(fix, line)
        line = REFERENCE.sub(fix, line)
        out.append(HTML_ATTRIBUTE.sub(fix, line))
    return "".join(out)
