"""The structure an English document must share with its Chinese source.

Blocks (type, tag, nesting, list and heading markup, table alignment), HTML blocks byte
for byte, code blocks byte for byte outside their translated texts (`text.code.masked`: a
comment's text may differ, where the Chinese one holds Chinese; the code around may not), and per inline block the multiset of link targets,
image sources, inline code, inline HTML, footnote references and hard breaks
(an English sentence may put two links in the other order).
"""

from __future__ import annotations

import functools
from collections import Counter
from typing import Any, Callable

from markdown_it.token import Token

from workflow.text.chars import has_han
from workflow.text.code import CODE_BLOCKS, DEFAULT, CodeOptions, masked
from workflow.text.segment import blocks, markdown

VERBATIM_BLOCKS = ("fence", "code_block", "html_block")
INLINE_KEPT: dict[str, Callable[[Token], tuple[Any, ...]]] = {
    "link_open": lambda t: ("link", t.attrs.get("href")),
    "image": lambda t: ("image", t.attrs.get("src")),
    "code_inline": lambda t: ("code", t.content),
    "html_inline": lambda t: ("html", t.content),
    "footnote_ref": lambda t: ("footnote", t.meta.get("label") if t.meta else None),
    "hardbreak": lambda t: ("hardbreak",),
}


# The only characters from which an inline pass makes a token `INLINE_KEPT` keeps: links, images,
# footnote references (`[`), autolinks and inline HTML (`<`), code (`\``), hard breaks (a line end).
INLINE_TRIGGERS = ("[", "<", "`", "\n")


@functools.lru_cache(maxsize=16)  # a document's check compares its source's skeleton several times
def skeleton(body: str, code: CodeOptions = DEFAULT) -> tuple[Any, ...]:
    """The structure of `body`: its block tokens, and the inline tokens that must survive.

    The blocks come from the block pass alone; the inline pass runs only on an inline block
    whose text holds one of `INLINE_TRIGGERS` (in prose, few do), which gives the tokens of
    the full parse at a fraction of its cost (a test holds the two equal). Footnotes need the
    full parse: their tokens come from a pass after the inline one."""
    env: dict[str, Any] = {}
    tokens = blocks().parse(body, env)
    md = markdown()
    for token in tokens if not env.get("footnotes") else ():
        if token.type == "inline" and any(c in token.content for c in INLINE_TRIGGERS):
            token.children = []
            md.inline.parse(token.content, md, env, token.children)
    if env.get("footnotes"):  # definitions (block pass) or inline footnotes (`^[...]`, inline pass)
        tokens = md.parse(body, {})
    return tuple(_shape(token, code) for token in tokens)


def _shape(token: Token, code: CodeOptions) -> Any:
    if token.type == "inline":
        items = [INLINE_KEPT[c.type](c) for c in token.children or [] if c.type in INLINE_KEPT]
        return ("inline", tuple(sorted(Counter(map(repr, items)).items())))
    if token.type in CODE_BLOCKS and code.any:
        kept, texts = masked(token, code)
        return (token.type, token.info, kept, texts)
    if token.type in VERBATIM_BLOCKS:
        return (token.type, token.info, token.content)
    markup = token.markup if token.type.endswith("_open") or token.type == "hr" else ""
    return (token.type, token.tag, token.nesting, markup, tuple(sorted((token.attrs or {}).items())))


def difference(source_body: str, output_body: str, code: CodeOptions = DEFAULT) -> str:
    """'' when the structures match, else a description of the first difference."""
    a, b = skeleton(source_body, code), skeleton(output_body, code)
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and not _same_code(x, y):
            return f"block {i}: source has {x!r}, English has {y!r}"
    if len(a) != len(b):
        return f"source has {len(a)} tokens, English has {len(b)}"
    return ""


def code_difference(source_body: str, output_body: str, code: CodeOptions = DEFAULT) -> str:
    """'' when every code block of the output is its source's, outside the texts that held Chinese."""
    a = [s for s in skeleton(source_body, code) if s[0] in CODE_BLOCKS]
    b = [s for s in skeleton(output_body, code) if s[0] in CODE_BLOCKS]
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and not _same_code(x, y):
            return f"code block {i + 1} would change outside its comments' text"
    return "" if len(a) == len(b) else "the English has another number of code blocks"


def _same_code(source: Any, english: Any) -> bool:
    """Two code blocks: the same code, and the same texts except where the Chinese one holds Chinese."""
    if len(source) != 4 or len(english) != 4 or source[:3] != english[:3] or len(source[3]) != len(english[3]):
        return False
    return all(zh == en or has_han(zh) for zh, en in zip(source[3], english[3]))
