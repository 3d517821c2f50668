"""Glossary enforcement that survives neural MT: masks before the engine, verification after.

Before the engine, every glossary match in a sentence is replaced, by kind:

- `keep` and `name` entries become an atomic placeholder `<x1001/>` (numbered from
  1001, so it never meets the segment's own placeholders). Their English never
  inflects and must come out byte for byte; NMT copies such tokens through and
  cannot turn "Nova" into "new star". The English is substituted afterwards.
- `term` entries become their English inside a placeholder pair,
  `<g1002>container</g1002>`: the engine reads a real word, so it can build the
  sentence around it and inflect it ("containers"), and the pair marks where
  the term is, so it can be checked and repaired in place.

After the engine (`finish`), each term is verified:

- an atomic placeholder present once -> its English; duplicated -> extra copies
  removed (repaired, flagged); lost -> *missed* (flagged) unless the engine wrote
  the English itself.
- a pair whose content is an accepted rendering (`glossary.renders`: case,
  hyphen/space and plural variants) is kept as the engine wrote it; other content
  is replaced by the glossary English (repaired); a lone or reversed marker gets
  the English at its place (repaired, flagged); no marker and no rendering ->
  *missed* (flagged).

A flagged segment is `needs-review` with a reason that names the term.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workflow.glossary.tally import Stats as Stats
from workflow.glossary.terms import Entry, Glossary, renders
from workflow.text.protect import PLACEHOLDER, canonical

FIRST = 1001
WORDCHAR = re.compile(r"[A-Za-z0-9]")


@dataclass(frozen=True)
class Term:
    number: int
    entry: Entry
    capital: bool = False  # the matched (Latin) text began with a capital: `Keynote` -> `Keynote`

    @property
    def paired(self) -> bool:
        return self.entry.kind == "term"

    @property
    def english(self) -> str:
        en = self.entry.en
        return en[0].upper() + en[1:] if self.capital and not self.entry.sensitive else en

    @property
    def marker(self) -> str:
        n = self.number
        return f"<g{n}>{self.english}</g{n}>" if self.paired else f"<x{n}/>"

    @property
    def name(self) -> str:
        return f"{self.entry.zh} → {self.entry.en}"


@dataclass(frozen=True)
class Prepared:
    text: str  # what the engine sees
    terms: tuple[Term, ...] = ()


@dataclass(frozen=True)
class Outcome:
    text: str
    repaired: bool = False
    missed: bool = False
    reason: str = ""


class Enforcer:
    def __init__(self, glossary: Glossary) -> None:
        self.glossary = glossary

    def prepare(self, core: str) -> Prepared:
        """Glossary matches of a sentence (outside its own placeholders) -> markers."""
        protected = [(m.start(), m.end()) for m in PLACEHOLDER.finditer(core)]
        parts: list[str] = []
        terms: list[Term] = []
        cursor = 0
        for match in self.glossary.match(core, protected):
            term = Term(FIRST + len(terms), match.entry, core[match.start:match.end][:1].isupper())
            parts += [core[cursor:match.start], term.marker]
            terms.append(term)
            cursor = match.end
        parts.append(core[cursor:])
        return Prepared("".join(parts), tuple(terms))

    def finish(self, translated: str, prepared: Prepared, stats: Stats) -> tuple[str, list[str]]:
        """Markers -> glossary English, verified. Returns the text and the reasons to flag it."""
        text, problems = self._resolve(canonical(translated), prepared, stats)
        return re.sub(r"[ \t]{2,}", " ", text), problems

    def apply(self, core: str, stats: Stats | None = None) -> str:
        """The glossary applied to a sentence that needs no engine (Latin only: `Redhat` -> `Red Hat`)."""
        prepared = self.prepare(core)
        if not prepared.terms:
            return core
        return self._resolve(prepared.text, prepared, stats or Stats())[0]

    def _resolve(self, text: str, prepared: Prepared, stats: Stats) -> tuple[str, list[str]]:
        problems: list[str] = []
        for term in prepared.terms:
            outcome = (_finish_pair if term.paired else _finish_atomic)(text, term)
            text = outcome.text
            if outcome.reason:
                problems.append(outcome.reason)
            if outcome.missed:
                stats.missed += 1
                stats.missed_terms.append(term.entry.zh)
                continue
            stats.enforced += 1
            stats.repaired += outcome.repaired
        return text, problems


def _finish_atomic(text: str, term: Term) -> Outcome:
    token, entry = f"<x{term.number}/>", term.entry
    count = text.count(token)
    if count == 0:
        if renders(entry, _visible(text)):
            return Outcome(text)
        return Outcome(text, missed=True, reason=f"glossary term {term.name} lost by the engine")
    first = text.index(token)
    text = text[:first + len(token)] + text[first + len(token):].replace(token, "")
    text = _insert(text, first, first + len(token), entry.en)
    if count > 1:
        return Outcome(text, True, reason=f"glossary term {term.name} duplicated by the engine; extra copy removed")
    return Outcome(text)


def _finish_pair(text: str, term: Term) -> Outcome:
    opening, closing = f"<g{term.number}>", f"</g{term.number}>"
    i, j = text.find(opening), text.find(closing)
    if i < 0 and j < 0:
        if renders(term.entry, _visible(text)):
            return Outcome(text)
        return Outcome(text, missed=True, reason=f"glossary term {term.name} lost by the engine")
    if i < 0 or j < i:
        return _misplaced(text, term)
    content = text[i + len(opening):j].replace(opening, "")
    rest, extra = _drop_extra_pairs(text[j + len(closing):], term)
    text = text[:i] + "\0" + rest
    at = text.index("\0")
    if content.strip() and renders(term.entry, content):
        outcome = Outcome(_insert(text, at, at + 1, content))
    elif not content.strip() and renders(term.entry, _visible(text)):
        outcome = Outcome(_unmark(text.replace("\0", "\0" + content)))
    else:
        outcome = Outcome(_insert(text, at, at + 1, _cased(term, text[:at])), repaired=True)
    if extra:
        return Outcome(outcome.text, True, reason=f"glossary term {term.name} duplicated by the engine; extra copy removed")
    return outcome


def _drop_extra_pairs(rest: str, term: Term) -> tuple[str, bool]:
    """Later copies of a term's pair: removed with their content when it is the term, else only the markers."""
    opening, closing = f"<g{term.number}>", f"</g{term.number}>"
    if opening not in rest and closing not in rest:
        return rest, False
    pair = re.compile(re.escape(opening) + "(.*?)" + re.escape(closing), re.DOTALL)

    def drop(m: re.Match[str]) -> str:
        content = m.group(1)
        return "" if not content.strip() or renders(term.entry, content) else content

    return pair.sub(drop, rest).replace(opening, "").replace(closing, ""), True


def _misplaced(text: str, term: Term) -> Outcome:
    """A lone or reversed marker: the English goes where the first one was, unless the engine wrote it."""
    markers = re.compile(f"</?g{term.number}>")
    first = markers.search(text)
    assert first is not None
    text = text[:first.start()] + "\0" + markers.sub("", text[first.end():])
    if renders(term.entry, _visible(text)):
        return Outcome(_unmark(text))
    at = text.index("\0")
    return Outcome(_insert(text, at, at + 1, _cased(term, text[:at])), True,
                   reason=f"glossary term {term.name} misplaced by the engine; inserted where its marker was")


def _unmark(text: str) -> str:
    """Remove the position mark, keeping words on either side apart."""
    at = text.index("\0")
    return _insert(text, at, at + 1, "")


def _insert(text: str, start: int, end: int, english: str) -> str:
    """Replace text[start:end] by `english`, with a space where it would touch a word."""
    before, after = text[:start], text[end:]
    if not english:
        return before + (" " if before and after and WORDCHAR.match(before[-1]) and WORDCHAR.match(after[0]) else "") + after
    if before and WORDCHAR.match(before[-1]) and WORDCHAR.match(english[0]):
        english = " " + english
    if after and WORDCHAR.match(after[0]) and WORDCHAR.match(english[-1]):
        english += " "
    return before + english + after


def _cased(term: Term, before: str) -> str:
    """A lower-case term at the start of a sentence gets a capital (unless case-sensitive)."""
    en = term.english
    if term.entry.sensitive or not en[:1].islower():
        return en
    visible = PLACEHOLDER.sub("", before).rstrip(" \t\"'“‘(\u3000\0")
    if not visible or visible[-1] in ".!?。！？":
        return en[0].upper() + en[1:]
    return en


def _visible(text: str) -> str:
    return PLACEHOLDER.sub(" ", text.replace("\0", " "))
