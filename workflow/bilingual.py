"""Paired bilingual view: each Chinese block followed by its English, for reviewers and readers.

The English file has the Chinese file's block structure (translate guarantees it;
editors rarely change it), so the n-th top-level block of one pairs with the n-th
of the other. A block that reads the same in both (an image, code, a rule) is
written once. The English front matter is kept and says which view this is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from workflow.config import Settings
from workflow.errors import InputError, WorkflowError
from workflow.files import atomic_write, read_bytes, select
from workflow.plan import source_rel
from workflow.post import encode_text, parse, render_front_matter
from workflow.segment import parse_tokens


@dataclass(frozen=True)
class Written:
    source: str
    english: str
    bilingual: str
    state: str  # written | unchanged | error
    message: str = ""
    exit_code: int = 0


def blocks(body: str) -> list[str]:
    """The top-level blocks of a Markdown body, each as its exact source lines."""
    lines = body.split("\n")
    spans = [t.map for t in parse_tokens(body) if t.level == 0 and t.map is not None and t.nesting >= 0]
    return ["\n".join(lines[a:b]).rstrip("\n") for a, b in _outermost(spans)]


def _outermost(maps: Iterable[list[int]]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for a, b in maps:
        if spans and a < spans[-1][1]:
            continue  # nested inside the previous block
        spans.append((a, b))
    return spans


def interleave(chinese_body: str, english_body: str) -> str:
    zh, en = blocks(chinese_body), blocks(english_body)
    out: list[str] = []
    for i in range(max(len(zh), len(en))):
        a = zh[i] if i < len(zh) else ""
        b = en[i] if i < len(en) else ""
        out += [a] if a == b or not b else ([b] if not a else [a, b])
    return "\n\n".join(part for part in out if part.strip()) + "\n"


def bilingual_path(settings: Settings, rel: str) -> Path:
    return settings.output / settings.bilingual / rel


def publish(settings: Settings, paths: Iterable[Path] = ()) -> list[Written]:
    """Write `output_en/<bilingual>/<path>` for every source that has an English file."""
    results = []
    for path in select(settings.source, map(settings.resolve, paths)):
        shown = settings.rel(path)
        try:
            results.append(_publish_one(settings, path))
        except WorkflowError as exc:
            results.append(Written(shown, "", "", "error", str(exc), exc.exit_code))
    return results


def _publish_one(settings: Settings, path: Path) -> Written:
    rel = source_rel(settings, path)
    shown = settings.rel(path)
    english_path = settings.output / rel
    english = read_bytes(english_path)
    if english is None:
        raise InputError("has no English yet. Run `workflow translate` first.", path=shown)
    source = parse(path.read_bytes(), shown)
    target = parse(english, settings.rel(english_path))
    meta: dict[str, Any] = {"lang": f"{settings.source_lang}, {settings.target_lang}", "bilingual": True}
    text = render_front_matter(target.front, meta) + interleave(source.body, target.body)
    out = bilingual_path(settings, rel)
    data = encode_text(text, target.encoding, target.newline)
    state = "unchanged" if read_bytes(out) == data else "written"
    if state == "written":
        atomic_write(out, data)
    return Written(shown, settings.rel(english_path), settings.rel(out), state)
