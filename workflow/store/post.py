"""Bytes -> Post(front matter, body), and English front matter back to text.

Reading is strict about what it cannot understand (binary, undecodable bytes,
invalid front matter all raise `InputError` with the file and line) and exact
about what it can: the body is the text after the front-matter block, byte for
byte (after CRLF -> LF, which `encode_text` undoes on the way out).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Mapping

import tomlkit
import yaml
from frontmatter.default_handlers import BaseHandler, JSONHandler, YAMLHandler

from workflow.errors import InputError
from workflow.text.chars import has_han

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class TOMLHandler(BaseHandler):
    """TOML front matter (`+++`) through tomlkit, which keeps formatting on write."""

    FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> Any:
        return tomlkit.parse(fm).unwrap()

    def export(self, metadata: dict[str, object], **kwargs: object) -> str:
        return tomlkit.dumps(metadata)


HANDLERS: dict[str, BaseHandler] = {"yaml": YAMLHandler(), "toml": TOMLHandler(), "json": JSONHandler()}
# Exact block boundaries: (opening line, closing line) per format.
BOUNDARIES = {
    "yaml": (re.compile(r"\A---[ \t]*\n"), re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)),
    "toml": (re.compile(r"\A\+\+\+[ \t]*\n"), re.compile(r"^\+\+\+[ \t]*$", re.MULTILINE)),
    "json": (re.compile(r"\A(?=\{[ \t]*\n)"), re.compile(r"^\}[ \t]*$", re.MULTILINE)),
}


@dataclass(frozen=True)
class FrontMatter:
    format: str  # yaml | hexo (YAML without the opening `---`) | toml | json
    raw: str  # the exact block, delimiters and final newline included
    metadata: Mapping[str, Any]
    inner_line: int  # 1-based file line of the first line inside the block


@dataclass(frozen=True)
class Post:
    path: str
    encoding: str  # utf-8 | utf-8-sig | utf-16 | gb18030
    newline: str  # "\n" or "\r\n"
    front: FrontMatter | None
    body: str
    body_line: int  # 1-based file line where the body starts
    warnings: tuple[str, ...] = field(default=(), compare=False)
    body_endings: tuple[str, ...] = field(default=(), compare=False)  # each body line's own, when they are mixed

    @property
    def text(self) -> str:
        return (self.front.raw if self.front else "") + self.body


def decode(data: bytes, path: str) -> tuple[str, str, list[str]]:
    """Bytes -> (text, encoding, warnings). Raises InputError for binary or undecodable input."""
    if data.startswith(UTF8_BOM):
        return _utf8(data[len(UTF8_BOM):], path), "utf-8-sig", []
    if data[:2] in UTF16_BOMS:
        try:
            return data.decode("utf-16"), "utf-16", [f"{path}: decoded as UTF-16; the English is written as UTF-8"]
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise InputError("binary file (NUL byte), not Markdown text. Remove it from the source folder.", path=path, line=line)
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if text and _plausible_chinese(text):
        return text, "gb18030", [
            f"{path}: not UTF-8; decoded as GB18030/GBK. Convert it with `iconv -f GB18030 -t UTF-8`; "
            "the English is written as UTF-8"
        ]
    line = data.count(b"\n", 0, utf8_error.start) + 1
    raise InputError(
        f"cannot decode byte 0x{data[utf8_error.start]:02x}: the file is neither UTF-8 nor GB18030. "
        "Save it as UTF-8.",
        path=path,
        line=line,
    )


def _utf8(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError("has a UTF-8 byte-order mark but invalid UTF-8 bytes. Save it as UTF-8.", path=path, line=line) from None


def _plausible_chinese(text: str) -> bool:
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f")
    return controls == 0 and has_han(text)


def split_newlines(text: str) -> tuple[str, str, list[str]]:
    """CRLF -> LF. Returns (text, newline to write back, warnings)."""
    crlf = text.count("\r\n")
    if not crlf and "\r" not in text:
        return text, "\n", []
    lf = text.count("\n") - crlf
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    newline = "\r\n" if crlf >= lf else "\n"
    warnings = [] if lf == 0 or crlf == 0 else ["mixed CRLF and LF line endings; each line of the English keeps its own"]
    return normalized, newline, warnings


def parse(data: bytes, path: str) -> Post:
    """Read a Markdown file's bytes into a Post. Raises InputError with file and line."""
    text, encoding, warnings = decode(data, path)
    endings = line_endings(text)
    text, newline, nl_warnings = split_newlines(text)
    warnings += [f"{path}: {w}" for w in nl_warnings]
    front = split_front_matter(text, path)
    body = text[len(front.raw):] if front else text
    body_line = front.raw.count("\n") + 1 if front else 1
    return Post(path, encoding, newline, front, body, body_line, tuple(warnings), endings[body_line - 1:])


def line_endings(text: str) -> tuple[str, ...]:
    """Each line's ending when a file mixes CRLF and LF (and has no lone CR), else ()."""
    crlf = text.count("\r\n")
    if not crlf or crlf == text.count("\n") or "\r" in text.replace("\r\n", ""):
        return ()
    return tuple("\r\n" if line.endswith("\r") else "\n" for line in text.split("\n")[:-1])


HEXO_KEY = re.compile(r"^[A-Za-z_][\w-]*:(?:[ \t]|$)")
HEXO_LINE = re.compile(r"^(?:[A-Za-z_][\w-]*:(?:[ \t].*)?|[ \t]+\S.*|-[ \t].*|[ \t]*(?:#.*)?)$")


def _hexo(text: str, path: str) -> FrontMatter | None:
    """Hexo's front matter: `key: value` lines from the first line, ended by the first `---` line, no
    opening `---`. Detected conservatively: every line before the `---` looks like YAML and the block
    parses as a mapping; otherwise the text is body."""
    if not HEXO_KEY.match(text):
        return None
    end = BOUNDARIES["yaml"][1].search(text)
    if end is None or not text.startswith("---", end.start()):
        return None
    inner = text[:end.start()]
    if not all(HEXO_LINE.match(line) for line in inner.split("\n")[:-1]):
        return None
    try:
        metadata = yaml.safe_load(inner) if "*" not in inner else None
    except (yaml.YAMLError, RecursionError):
        return None
    if not isinstance(metadata, dict):
        return None
    stop = end.end() + 1 if text[end.end():end.end() + 1] == "\n" else end.end()
    return FrontMatter("hexo", text[:stop], load_metadata("yaml", inner, path, 1), 1)


def split_front_matter(text: str, path: str) -> FrontMatter | None:
    hexo = _hexo(text, path)
    if hexo is not None:
        return hexo
    for fmt, handler in HANDLERS.items():
        if not handler.detect(text):
            continue
        opening, closing = BOUNDARIES[fmt]
        start = opening.match(text)
        if start is None:
            continue
        end = closing.search(text, start.end())
        if end is None:
            if fmt == "yaml":
                return None  # a leading thematic break, not front matter
            raise InputError(f"{fmt.upper()} front matter is not closed. Add the closing delimiter line.", path=path, line=1)
        stop = end.end() + 1 if text[end.end():end.end() + 1] == "\n" else end.end()
        inner = text[start.end():end.start()] if fmt != "json" else text[:end.end()]
        inner_line = 2 if fmt != "json" else 1
        metadata = load_metadata(fmt, inner, path, inner_line)
        return FrontMatter(fmt, text[:stop], metadata, inner_line)
    return None


MAX_YAML_VALUES = 100_000  # values a YAML block may expand to through its aliases (a "billion laughs" is refused)


def load_metadata(fmt: str, inner: str, path: str, first_line: int) -> dict[str, Any]:
    try:
        if fmt == "yaml" and "*" in inner:
            _bounded_aliases(inner, path, first_line)
        data = HANDLERS[fmt].load(inner) if inner.strip() else {}
    except RecursionError:
        raise InputError(f"{fmt.upper()} front matter nests too deeply to read. Flatten it.", path=path,
                         line=first_line) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + mark.line if mark is not None else first_line
        raise InputError(f"invalid YAML front matter: {getattr(exc, 'problem', exc)}. Fix the YAML.", path=path, line=line) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON front matter: {exc.msg}. Fix the JSON.", path=path, line=first_line + exc.lineno - 1) from None
    except tomlkit.exceptions.ParseError as exc:
        raise InputError(f"invalid TOML front matter: {exc}. Fix the TOML.", path=path, line=first_line + exc.line - 1) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError("front matter must be a mapping of keys to values.", path=path, line=first_line)
    return data


def _bounded_aliases(inner: str, path: str, first_line: int) -> None:
    """Refuse YAML whose aliases refer to themselves or expand to more than MAX_YAML_VALUES values."""
    root = yaml.compose(inner, Loader=yaml.SafeLoader)
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)] if root is not None else []
    open_nodes: set[int] = set()
    while stack:
        node, done = stack.pop()
        children = _children(node)
        if done:
            open_nodes.discard(id(node))
            sizes[id(node)] = min(1 + sum(sizes[id(c)] for c in children), MAX_YAML_VALUES + 1)
            continue
        if id(node) in sizes:
            continue
        open_nodes.add(id(node))
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                raise InputError("YAML front matter has an alias that refers to itself. Remove the alias.",
                                 path=path, line=first_line + child.start_mark.line)
            if id(child) not in sizes:
                stack.append((child, False))
    if root is not None and sizes[id(root)] > MAX_YAML_VALUES:
        raise InputError(f"YAML front matter expands to more than {MAX_YAML_VALUES} values through its aliases. "
                         "Remove the aliases.", path=path, line=first_line)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def encode_text(text: str, encoding: str, newline: str, endings: tuple[str, ...] = (), first: int = 0) -> bytes:
    """LF text -> bytes with the file's newline. Non-UTF encodings are written as UTF-8.

    `endings`: the own ending of each line from line `first` (0-based) on, for a file that mixes them."""
    if endings:
        lines = text.split("\n")
        text = "".join(line + (endings[j - first] if 0 <= j - first < len(endings) else newline)
                       for j, line in enumerate(lines[:-1])) + lines[-1]
    elif newline != "\n":
        text = text.replace("\n", newline)
    bom = UTF8_BOM if encoding == "utf-8-sig" else b""
    return bom + text.encode("utf-8")


# -- writing English front matter ---------------------------------------------------------


def render_front_matter(front: FrontMatter | None, changes: Mapping[str, Any]) -> str:
    """The front-matter block with `changes` applied (new keys appended), everything else kept.

    With no source front matter, a YAML block holding just `changes` is created.
    """
    if front is None:
        return "---\n" + _yaml_dump(dict(changes)) + "---\n"
    return {"yaml": _render_yaml, "hexo": _render_yaml, "toml": _render_toml, "json": _render_json}[front.format](front, changes)


def _yaml_dump(mapping: Mapping[str, Any]) -> str:
    if not mapping:
        return ""
    fast = _simple_yaml(mapping, "")
    if fast is not None:
        return fast
    return str(yaml.safe_dump(dict(mapping), allow_unicode=True, sort_keys=False, default_flow_style=False, width=10**6))


# What `_yaml_dump` writes for the mappings front matter gets (a title, the provenance block), the
# bytes PyYAML's emitter writes, without its pure-Python event machinery (about 0.8 ms a call): a
# block mapping of string keys to strings, ints and such mappings, each scalar plain or in single
# quotes by PyYAML's own rules (Emitter.analyze_scalar, then the resolver). Anything else (lists,
# floats, None, a string that needs double quotes or spans lines, a long key): None, and PyYAML
# writes it. tests/test_fast_paths.py compares the two on generated mappings.
_RESOLVER = yaml.resolver.Resolver()
_STR = "tag:yaml.org,2002:str"
_QUOTABLE = re.compile("[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010fffe]*")
_INDICATOR = frozenset("#,[]{}&*!|>'\"%@`")


def _scalar(text: str, key: bool) -> str | None:
    """`text` as PyYAML writes a block-context scalar: plain, single-quoted, or None (not handled here)."""
    # a key PyYAML writes as `? key` (its length with the `!!str` tag 128 or more), or a line long
    # enough for PyYAML to fold at its width: not handled here
    if len(text) >= 500_000 or not _QUOTABLE.fullmatch(text) or (key and (len(text) + 5 >= 128 or not text)):
        return None
    plain = bool(text) and text[0] not in _INDICATOR and text[0] != " " and text[-1] != " " and not (
        text[0] in "-?:" and (len(text) == 1 or text[1] == " ")) and not text.startswith(("---", "...")) and (
        ": " not in text and " #" not in text and not text.endswith(":"))
    if plain and _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR:  # type: ignore[no-untyped-call]
        return text
    return "'" + text.replace("'", "''") + "'"


def _simple_yaml(mapping: Mapping[Any, Any], indent: str) -> str | None:
    lines = []
    for key, value in mapping.items():
        name = _scalar(key, True) if type(key) is str else None  # a subclass: PyYAML's safe dumper refuses it
        if name is None:
            return None
        if type(value) is str:
            shown = _scalar(value, False)
        elif type(value) is int:
            shown = str(value)
        elif type(value) is dict and value:
            inner = _simple_yaml(value, indent + "  ")
            if inner is None:
                return None
            lines.append(f"{indent}{name}:\n{inner}")
            continue
        else:
            shown = None
        if shown is None:
            return None
        lines.append(f"{indent}{name}: {shown}\n")
    return "".join(lines)


def _composer(inner: str) -> type[yaml.SafeLoader] | type[yaml.CSafeLoader]:
    """libyaml's loader where PyYAML has it: the same nodes and marks (code-point offsets) a dozen times
    faster than the pure-Python one; not for text holding a BOM, whose offset libyaml does not count."""
    if "\ufeff" in inner or not hasattr(yaml, "CSafeLoader"):
        return yaml.SafeLoader
    return yaml.CSafeLoader


def _render_yaml(front: FrontMatter, changes: Mapping[str, Any]) -> str:
    opening, closing = BOUNDARIES["yaml"]
    start = opening.match(front.raw) if front.format == "yaml" else re.match("", front.raw)  # hexo: no opening line
    end = closing.search(front.raw, start.end() if start else 0)
    assert start is not None and end is not None
    inner = front.raw[start.end():end.start()]
    node = yaml.compose(inner, Loader=_composer(inner)) if inner.strip() else None
    spans: dict[str, tuple[int, int]] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            value_end = value_node.end_mark.index
            if value_node.start_mark.index < key_node.end_mark.index:  # `key: *alias`: the node is the anchor's
                alias = re.compile(r"[ \t]*:[ \t]*\*[^\s,\[\]{}]+").match(inner, key_node.end_mark.index)
                value_end = alias.end() if alias else key_node.end_mark.index
            spans[str(key_node.value)] = (key_node.start_mark.index, value_end)
    pieces: list[str] = []
    cursor = 0
    for key, (a, b) in sorted(spans.items(), key=lambda kv: kv[1]):
        if key in changes:
            # a block value's span ends after its last newline: keep that newline
            tail = "\n" if inner[a:b].endswith("\n") else ""
            pieces += [inner[cursor:a], _yaml_dump({key: changes[key]}).rstrip("\n") + tail]
            cursor = b
    pieces.append(inner[cursor:])
    new_inner = "".join(pieces)
    added = {k: v for k, v in changes.items() if k not in spans}
    if added:
        if new_inner and not new_inner.endswith("\n"):
            new_inner += "\n"
        new_inner += _yaml_dump(added)
    return front.raw[:start.end()] + new_inner + front.raw[end.start():]


def _render_toml(front: FrontMatter, changes: Mapping[str, Any]) -> str:
    opening, closing = BOUNDARIES["toml"]
    start = opening.match(front.raw)
    end = closing.search(front.raw, start.end() if start else 0)
    assert start is not None and end is not None
    doc = tomlkit.parse(front.raw[start.end():end.start()])
    for key, value in changes.items():
        doc[key] = value
    return front.raw[:start.end()] + tomlkit.dumps(doc) + front.raw[end.start():]


def _render_json(front: FrontMatter, changes: Mapping[str, Any]) -> str:
    data = dict(front.metadata)
    data.update(changes)
    tail = "\n" if front.raw.endswith("\n") else ""
    return json.dumps(data, ensure_ascii=False, indent=2, default=str) + tail


def key_line(front: str, key: str) -> int:
    """The line of `key` in a YAML, TOML or JSON front-matter block (1 when not found)."""
    found = re.search(rf"""^[ \t]*["']?{re.escape(key)}["']?[ \t]*[:=]""", front, re.MULTILINE)
    return front.count("\n", 0, found.start()) + 1 if found else 1
