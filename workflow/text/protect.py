"""Protect, then verify: inline markup -> numbered placeholders -> back, with repair.

Inline constructs are found by markdown-it-py itself: a private parser instance
wraps every inline rule to record which source span each rule consumed. Code spans,
autolinks, raw HTML, entities, escapes, emphasis delimiters, footnote references and
reference links become atomic placeholders ``<xN/>``; links and images whose text is
translatable become pairs ``<gN>text</gN>`` (the closing one carries ``](url)``).
A regex pass adds Liquid/Hugo tags, bare URLs and anything that already looks like a
placeholder. The forms follow XLIFF's ``<x/>`` and ``<g>``, which LibreTranslate's
HTML mode keeps in place.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

from workflow.text.chars import CJK_PUNCTUATION, FULLWIDTH, HAN_RANGES
from workflow.text.segment import new_parser

PLACEHOLDER = re.compile(r"<(/?)([gx])(\d+)(/?)>")
# What an engine may turn a placeholder into: spaces inside, upper case, full-width brackets.
LOOSE_PLACEHOLDER = re.compile(r"[<＜]\s*(/?)\s*([gxGX])\s*(\d+)\s*(/?)\s*[>＞]")
_URL_STOP = CJK_PUNCTUATION + HAN_RANGES + FULLWIDTH  # a bare URL ends at Chinese text
REGEX_PROTECTED = re.compile(
    r"\{%.*?%\}"  # Liquid tags
    r"|\{\{.*?\}\}"  # Liquid output, Hugo shortcodes
    # Bare URLs: parentheses only when balanced (Wikipedia style), trailing punctuation left out.
    rf"|(?:https?|ftp)://(?:[^\s<>\"'(){_URL_STOP}]|\([^\s<>\"'()]*\))*"
    rf"(?:[^\s<>\"'().,;:!?\]{_URL_STOP}]|\([^\s<>\"'()]*\))"
    r"|" + LOOSE_PLACEHOLDER.pattern,
    re.DOTALL,
)
# Inline rules whose span is pure markup (safe to keep out of the engine at sentence edges).
MARKUP_RULES = {"emphasis", "strikethrough", "html_inline", "newline", "escape-break"}


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str  # atomic | open | close | break
    role: str  # markup | content
    pair: int = -1
    closes: bool = False  # ends a construct (`**` closing emphasis, `</span>`, `](url)`)


@dataclass(frozen=True)
class Masked:
    """A segment's text with its protected parts replaced by placeholders."""

    text: str
    originals: Mapping[str, str]  # placeholder -> the exact source text it stands for
    markup: frozenset[str]  # placeholders that are pure markup (edge-strippable)
    breaks: frozenset[str]  # placeholders that are hard line breaks (sentence boundaries)
    closers: frozenset[str] = frozenset()  # placeholders that close a construct (stay with the sentence before)

    def unmask(self, text: str) -> str:
        """Replace every canonical placeholder by its original text."""
        if "<" not in text:
            return text
        return PLACEHOLDER.sub(lambda m: self.originals.get(m.group(0), m.group(0)), text)


# -- finding spans -----------------------------------------------------------------------


@functools.cache
def _recording_parser() -> MarkdownIt:
    """A second parser of the same configuration whose inline rules report their spans."""
    md = new_parser()
    ruler = md.inline.ruler
    for rule in ruler.get_all_rules():
        ruler.at(rule, _recorder(rule, ruler.__rules__[ruler.__find__(rule)].fn))
    return md


def _recorder(name: str, fn: Callable[[StateInline, bool], bool]) -> Callable[[StateInline, bool], bool]:
    def rule(state: StateInline, silent: bool) -> bool:
        start, before = state.pos, len(state.tokens)
        ok = fn(state, silent)
        if ok and not silent and name != "text":
            # Token objects, not types: emphasis post-processing turns delimiters into *_open/*_close later.
            state.env.setdefault("__spans__", []).append((name, start, state.pos, state.tokens[before:]))
        return ok

    return rule


# The inline rules of the parser and the characters each one can start at: text without any of
# them is plain text to every rule (most Chinese prose), so it is not parsed again.
INLINE_RULES = ("text", "newline", "escape", "backticks", "emphasis", "link", "image", "footnote_inline",
                "footnote_ref", "autolink", "html_inline", "entity")
RULE_STARTS = frozenset("\n\\`*_[!^<&")


@functools.cache
def _plain_text_is_markup_free() -> bool:
    """The fast path holds only for the rules it was written for (a new plugin or rule turns it off)."""
    return tuple(_recording_parser().inline.ruler.get_active_rules()) == INLINE_RULES


def find_spans(content: str, env: Mapping[str, Any] | None = None) -> list[Span]:
    """Protected spans of inline `content`, non-overlapping, in order.

    `env` is the document's markdown-it env: it holds the link reference
    definitions that decide whether `[text][ref]` is a link.
    """
    if RULE_STARTS.isdisjoint(content) and _plain_text_is_markup_free():
        return _resolve([], regex_spans(content))  # no inline rule can match: what the parse would find
    return parsed_spans(content, env)


def parsed_spans(content: str, env: Mapping[str, Any] | None = None) -> list[Span]:
    """`find_spans` by parsing `content` with the recording parser, whatever it holds."""
    md = _recording_parser()
    run_env: dict[str, Any] = {k: v for k, v in (env or {}).items() if k != "__spans__"}
    md.inline.parse(content, md, run_env, [])
    state = StateInline(content, md, run_env, [])
    spans: list[Span] = []
    for name, start, end, tokens in run_env.get("__spans__", []):
        spans += _classify(name, start, end, [t.type for t in tokens], content, state, len(spans))
    return _resolve(spans, regex_spans(content))


def regex_spans(text: str) -> list[Span]:
    if "{" not in text and "://" not in text and "<" not in text and "＜" not in text:
        return []  # each of REGEX_PROTECTED's alternatives holds one of these
    return [Span(m.start(), m.end(), "atomic", "content") for m in REGEX_PROTECTED.finditer(text)]


def _classify(name: str, start: int, end: int, pushed: list[str], src: str, state: StateInline, n: int) -> list[Span]:
    if name == "newline" or (name == "escape" and "hardbreak" in pushed):
        if "hardbreak" not in pushed:
            return []  # a soft break is part of the text
        while start > 0 and src[start - 1] == " ":
            start -= 1
        return [Span(start, end, "break", "markup")]
    if name in ("link", "image"):
        label_start = start + (2 if name == "image" else 1)
        label_end = state.md.helpers.parseLinkLabel(state, label_start - 1, name == "link")
        rest = src[label_end + 1:end] if label_end >= 0 else ""
        if label_end < 0 or not (rest.startswith("(") or (rest.startswith("[") and rest != "[]")):
            return [Span(start, end, "atomic", "content")]  # shortcut/collapsed reference: label is the key
        return [Span(start, label_start, "open", "markup", n), Span(label_end, end, "close", "markup", n, True)]
    closes = any(t.endswith("_close") for t in pushed) or (name == "html_inline" and src.startswith("</", start))
    return [Span(start, end, "atomic", "markup" if name in MARKUP_RULES else "content", closes=closes)]


def _resolve(md_spans: list[Span], rx_spans: list[Span]) -> list[Span]:
    """One non-overlapping list: markdown's own spans first, then regex ones outside them.

    A regex span (Liquid tag, bare URL) inside a markdown span is dropped; one that
    covers markdown spans absorbs them. A link whose markup overlaps an atomic span
    becomes atomic as a whole, so its destination can never reach the engine.
    """
    # Keep a regex span only when it covers markdown spans whole or stays clear of them.
    rx = [r for r in rx_spans
          if all(r.end <= m.start or m.end <= r.start or (r.start <= m.start and m.end <= r.end) for m in md_spans)]
    pairs: dict[int, list[Span]] = {}
    for s in md_spans:
        if s.kind in ("open", "close"):
            pairs.setdefault(s.pair, []).append(s)
    atomics = [s for s in md_spans if s.kind in ("atomic", "break")] + rx
    kept_pairs: list[Span] = []
    for pair in sorted(pairs.values(), key=lambda p: p[0].start):
        if any(_overlaps(p, a) for p in pair for a in atomics):
            atomics.append(Span(pair[0].start, pair[-1].end, "atomic", "content"))
        else:
            kept_pairs += pair
    merged = _merge(atomics)
    kept = [p for p in kept_pairs if not any(m.start <= p.start and p.end <= m.end for m in merged)]
    return sorted(merged + kept, key=lambda s: s.start)


def _merge(atomics: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for span in sorted(atomics, key=lambda s: (s.start, -s.end)):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            if span.end > last.end or span.kind != last.kind:
                role = "markup" if last.role == span.role == "markup" else "content"
                merged[-1] = Span(last.start, max(last.end, span.end), "atomic", role)
        else:
            merged.append(span)
    return merged


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


# -- masking -----------------------------------------------------------------------------


def mask(content: str, env: Mapping[str, Any] | None = None, markdown_inline: bool = True) -> Masked:
    """Replace protected spans by placeholders. `markdown_inline=False` for front-matter values."""
    spans = find_spans(content, env) if markdown_inline else _resolve([], regex_spans(content))
    parts: list[str] = []
    originals: dict[str, str] = {}
    markup: set[str] = set()
    breaks: set[str] = set()
    closers: set[str] = set()
    numbers: dict[int, int] = {}
    cursor = 0
    for number, span in enumerate(spans, start=1):
        parts.append(content[cursor:span.start])
        if span.kind == "open":
            numbers[span.pair] = number
            token = f"<g{number}>"
        elif span.kind == "close":
            token = f"</g{numbers[span.pair]}>"
        else:
            token = f"<x{number}/>"
        originals[token] = content[span.start:span.end]
        if span.role == "markup" and span.kind in ("atomic", "break"):
            markup.add(token)
        if span.kind == "break":
            breaks.add(token)
        if span.closes:
            closers.add(token)
        parts.append(token)
        cursor = span.end
    parts.append(content[cursor:])
    return Masked("".join(parts), originals, frozenset(markup), frozenset(breaks), frozenset(closers))


# -- verification and repair -------------------------------------------------------------


def canonical(text: str) -> str:
    """Engine spellings of placeholders (`< x 1 / >`, `<X1/>`) -> canonical ones."""

    def fix(m: re.Match[str]) -> str:
        slash, kind, num, selfclose = m.groups()
        kind = kind.lower()
        return f"<x{num}/>" if kind == "x" else f"<{slash}g{num}>"

    return LOOSE_PLACEHOLDER.sub(fix, text)


def repair(translated: str, source: str) -> tuple[str, list[str]]:
    """Make the placeholders of `translated` match those of `source` exactly once, in valid order.

    Returns the repaired text and the reasons (empty when nothing had to be done).
    """
    if translated == source and "<" not in source and "＜" not in source:
        return translated, []  # no placeholder in either, nothing any loose spelling could become
    text = canonical(translated)
    expected = [m.group(0) for m in PLACEHOLDER.finditer(source)]
    pairs = sorted({m.group(3) for m in PLACEHOLDER.finditer(source)
                    if m.group(2) == "g" and f"<g{m.group(3)}>" in source and f"</g{m.group(3)}>" in source}, key=int)
    paired = {t for n in pairs for t in (f"<g{n}>", f"</g{n}>")}
    reasons: list[str] = []
    text, problems = _drop_extras(text, set(expected))
    reasons += problems
    for token in expected:  # atomic, or half of a pair whose other half is in another sentence
        if token not in paired and token not in text:
            text = _append(text, token)
            reasons.append(f"placeholder {token} dropped by the engine; re-inserted at the end")
    for number in pairs:
        text, problem = _fix_pair(text, source, number)
        if problem:
            reasons.append(problem)
    return text, reasons


def _drop_extras(text: str, expected: set[str]) -> tuple[str, list[str]]:
    seen: set[str] = set()
    reasons: list[str] = []

    def keep_first(m: re.Match[str]) -> str:
        token = m.group(0)
        if token not in expected:
            reasons.append(f"engine invented placeholder {token}; removed")
            return ""
        if token in seen:
            reasons.append(f"placeholder {token} duplicated by the engine; extra copy removed")
            return ""
        seen.add(token)
        return token

    return PLACEHOLDER.sub(keep_first, text), reasons


def _append(text: str, token: str) -> str:
    stripped = text.rstrip()
    return stripped + (" " if stripped and not stripped.endswith(" ") else "") + token + text[len(stripped):]


def _fix_pair(text: str, source: str, number: str) -> tuple[str, str]:
    opening, closing = f"<g{number}>", f"</g{number}>"
    i, j = text.find(opening), text.find(closing)
    if i >= 0 and j >= 0 and i < j and not _crosses(text, i, j):
        return text, ""
    if i >= 0 and j >= 0 and j < i:
        text = text.replace(closing, "\0").replace(opening, closing).replace("\0", opening)
        return text, f"placeholders {opening}{closing} reordered by the engine; swapped back"
    label = source[source.find(opening) + len(opening):source.find(closing)]
    text = text.replace(opening, "").replace(closing, "")
    return _append(text, opening + label + closing), (
        f"link/image {opening}…{closing} broken by the engine; restored at the end with its source text"
    )


def _crosses(text: str, i: int, j: int) -> bool:
    """True when a pair opened inside (i, j) closes outside it, or the reverse."""
    inner = text[i:j]
    for m in PLACEHOLDER.finditer(inner):
        if m.group(2) != "g" or m.start() == 0:
            continue
        other = f"</g{m.group(3)}>" if not m.group(1) else f"<g{m.group(3)}>"
        if other not in inner:
            return True
    return False
