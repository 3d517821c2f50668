"""Is a new final one segment's English? The check `review --interactive` and `import` share.

An editor who edits one segment at a time (in `$EDITOR`, or in a CAT tool) gives its English
as text, and `translate` puts that text into the Chinese markup. A final that makes a block
of its own there (`# x` at a line start is a heading, `- x` a list, a fenced code block, a
link reference definition that swallows the line) would change the page's structure without
the Chinese saying so, and `review` could not tell it from the editor's other edits later.
So a final may hold paragraphs only (an editor's split), and, in an ordinary paragraph,
quotes (a translator's note, as `review` records it too); a heading, table cell,
front-matter value or code comment holds one line. Anything else is refused with what it is.
"""

from __future__ import annotations

from typing import Any

from workflow.errors import WorkflowError
from workflow.text.segment import markdown

ONE_LINE = ("heading", "table-cell", "meta:", "code-")
PARAGRAPHS = {"paragraph_open", "paragraph_close", "inline"}
QUOTES = {"blockquote_open", "blockquote_close"}
WHAT = {"heading_open": "a heading", "bullet_list_open": "a list", "ordered_list_open": "a numbered list",
        "blockquote_open": "a quote", "fence": "a code block", "code_block": "a code block (indented four spaces)",
        "hr": "a horizontal rule", "html_block": "an HTML block", "table_open": "a table",
        "footnote_block_open": "a footnote"}


class UnfitFinal(WorkflowError):
    """A segment's new English would change the Markdown structure of the page."""

    exit_code = 1


def final_problem(kind: str, final: str) -> str:
    """Why `final` cannot be the English of a segment of `kind` ("" when it can)."""
    if kind.startswith(ONE_LINE):
        return f"a {kind.split(':')[0]} holds one line; this English has line breaks" if "\n" in final else ""
    env: dict[str, Any] = {}
    tokens = markdown().parse(final, env)
    allowed = PARAGRAPHS | (QUOTES if kind == "paragraph" else set())
    for token in tokens:
        if token.type not in allowed:
            where = f" (its line {token.map[0] + 1})" if token.map else ""
            return f"this English makes {WHAT.get(token.type, 'a block of its own')}{where}"
    if env.get("references"):
        return "this English holds a link reference definition (`[name]: url` at a line start), which is no text"
    return ""


def validate_final(kind: str, final: str, *, path: str | None = None, line: int | None = None) -> None:
    """Raise `UnfitFinal` (the way out named) unless `final` fits a segment of `kind`."""
    problem = final_problem(kind, final)
    if problem:
        raise UnfitFinal(f"{problem}, which would change the structure of the page. Write the {kind} as text "
                         "(escape a marker at a line start: `\\#`, `\\-`, `1\\.`), or make the structural change "
                         "in the Chinese source", path=path, line=line)
