"""The structure an English document must share with its Chinese source.

Blocks (type, tag, nesting, list and heading markup, table alignment), code blocks
and HTML blocks byte for byte, and per inline block the multiset of link targets,
image sources, inline code, inline HTML, footnote references and hard breaks
(an English sentence may put two links in the other order).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable

from markdown_it.token import Token

from workflow.text.segment import parse_tokens

VERBATIM_BLOCKS = ("fence", "code_block", "html_block")
INLINE_KEPT: dict[str, Callable[[Token], tuple[Any, ...]]] = {
    "link_open": lambda t: ("link", t.attrs.get("href")),
    "image": lambda t: ("image", t.attrs.get("src")),
    "code_inline": lambda t: ("code", t.content),
    "html_inline": lambda t: ("html", t.content),
    "footnote_ref": lambda t: ("footnote", t.meta.get("label") if t.meta else None),
    "hardbreak": lambda t: ("hardbreak",),
}


def skeleton(body: str) -> list[Any]:
    return [_shape(token) for token in parse_tokens(body)]


def _shape(token: Token) -> Any:
    if token.type == "inline":
        items = [INLINE_KEPT[c.type](c) for c in token.children or [] if c.type in INLINE_KEPT]
        return ("inline", tuple(sorted(Counter(map(repr, items)).items())))
    if token.type in VERBATIM_BLOCKS:
        return (token.type, token.info, token.content)
    markup = token.markup if token.type.endswith("_open") or token.type == "hr" else ""
    return (token.type, token.tag, token.nesting, markup, tuple(sorted((token.attrs or {}).items())))


def difference(source_body: str, output_body: str) -> str:
    """'' when the structures match, else a description of the first difference."""
    a, b = skeleton(source_body), skeleton(output_body)
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"block {i}: source has {x!r}, English has {y!r}"
    if len(a) != len(b):
        return f"source has {len(a)} tokens, English has {len(b)}"
    return ""
