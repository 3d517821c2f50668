"""The OpenStack glossary: TSV/CSV files in `glossary/`, matched longest-leftmost.

Columns: zh, en, kind (term | keep | name), case (sensitive | empty), note, source.

Matching the Chinese: Han terms are found anywhere, then each candidate passes one
per-match rule (`Glossary.accept`: a term that begins or ends inside a Chinese word of
the text, by the segmenter of `words`, is dropped; nothing matches in commands and
identifiers); Latin terms match case-insensitively on word boundaries (case-sensitively
when `case` says so). Full-width Latin letters (ＯｐｅｎＳｔａｃｋ) match their ASCII
forms, a space inside a Latin term matches any run of white space, and a Latin/Han
junction inside a term (`OpenStack基金会`) also matches with one space. Among the
matches starting at the leftmost position the longest wins.

Verifying the English (`renders`): `keep` and `name` entries must appear exactly;
`term` entries case-insensitively (unless `sensitive`), with hyphens and spaces
treated alike and the last word taken as a stem (deploy -> deployment, manage -> managing);
an all-capitals acronym may take a plural s (APIs).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol, Sequence

from workflow.errors import GlossaryConflict
from workflow.glossary import words
from workflow.glossary.matcher import Matcher
from workflow.text.chars import HAN, HAN_RANGES

COLUMNS = ("zh", "en", "kind", "case", "note", "source")
ENTRY_KINDS = ("term", "keep", "name")
CASES = ("", "sensitive")
GLOSSARY_SUFFIXES = (".tsv", ".csv")
DEFAULT_FILE = "openstack.tsv"
CACHE_SIZE = 8192  # texts whose fingerprints (and matched texts whose entries) a glossary remembers
# Full-width ASCII -> ASCII, one character for one, so match offsets stay valid.
FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH = re.compile("[\uff01-\uff5e]")
_ASCII = {chr(wide): chr(narrow) for wide, narrow in FULLWIDTH.items()}
WORD = "A-Za-z0-9"
LATIN = re.compile(r"[A-Za-z]")
SPACE = r"[ \t\n\u00a0\u3000]+"
MATCHING = "word-boundaries 1"  # the per-match rule's version: part of the glossary's identity
HYPHEN_OR_SPACE = r"(?:[ \t\n\u00a0]*[-\u2010\u2011][ \t\n\u00a0]*|[ \t\n\u00a0]+)"


@dataclass(frozen=True)
class Entry:
    zh: str
    en: str
    kind: str = "term"
    case: str = ""
    note: str = ""
    source: str = ""
    file: str = ""
    line: int = 0

    @property
    def sensitive(self) -> bool:
        return self.case == "sensitive"

    @property
    def key(self) -> str:
        """What two entries share when they would match the same Chinese."""
        normal = normalize(self.zh)
        return normal if self.sensitive else normal.casefold()

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.file else "(new)"

    def fields(self) -> dict[str, str]:
        return {c: getattr(self, c) for c in COLUMNS}


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    entry: Entry


class Glossary:
    """A set of entries and the compiled longest-leftmost matcher over them."""

    def __init__(self, entries: Iterable[Entry], *, guarded: bool = True) -> None:
        """`guarded`: matches pass the per-match rule (`accept`); without it every candidate is a
        match (lint's question: does a pattern occur inside another entry's Chinese at all)."""
        self.entries: tuple[Entry, ...] = tuple(entries)
        self.guarded = guarded
        first: dict[str, Entry] = {}
        for entry in self.entries:
            first.setdefault(entry.key, entry)
        self._sensitive = {e.key: e for e in first.values() if e.sensitive}
        self._insensitive = {e.key: e for e in first.values() if not e.sensitive}
        # Longest first, so that at any one position the longest entry wins. (No capturing
        # groups: they disable the regex engine's literal-prefix optimisation, 30x slower.)
        ordered = sorted(first.values(), key=lambda e: (-len(e.zh), e.zh))
        self._matcher = Matcher([(_anchor(e), _pattern(e)) for e in ordered])
        self._fingerprints: dict[str, str] = {}  # text -> fingerprint; a glossary never changes
        self._looked_up: dict[str, Entry | None] = {}
        self._words: words.Words | None = None  # Chinese word boundaries, made when a match needs them
        self._latin = {e.zh: LATIN.search(e.zh) is not None for e in self.entries}  # may be in a command
        # What a fingerprint hashes of an entry, and its place in their sorted order: a text's matched
        # entries sorted by rank are their (zh, en, kind, case) sorted; equal sets share one hash.
        self._printed = sorted({(e.zh, e.en, e.kind, e.case) for e in self.entries})
        rank_of = {printed: rank for rank, printed in enumerate(self._printed)}
        self._ranks = {id(e): rank_of[e.zh, e.en, e.kind, e.case] for e in self.entries}  # entries live as long
        self._of_ranks: dict[tuple[int, ...], str] = {}
        # Per rule: its entry when the rule is literal Chinese (what it matches is the entry's own text,
        # which `lookup` gives back: checked here), else None (the matched text is looked up).
        self._rule_entries = [e if literal and self.lookup(_anchor(e)) is e else None
                              for e, literal in zip(ordered, self._matcher.literals)]

    @functools.cached_property
    def identity(self) -> str:
        """See `identity()`: recorded in memory as `glossary_hash`."""
        return identity(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def lookup(self, zh: str) -> Entry | None:
        """The entry whose Chinese is `zh` (by the entry's case rule; full-width and spacing folded)."""
        if zh in self._looked_up:
            return self._looked_up[zh]
        normal = normalize(zh)
        found = self._sensitive.get(normal) or self._insensitive.get(normal.casefold())
        if len(self._looked_up) < CACHE_SIZE:  # matched texts repeat (a glossary never changes)
            self._looked_up[zh] = found
        return found

    def match(self, text: str, protected: Sequence[tuple[int, int]] = ()) -> list[Match]:
        """Longest-leftmost, non-overlapping matches in `text`, none inside a `protected` span."""
        return [Match(start, end, entry) for start, end, entry in self._matches(fold(text), protected)]

    def _matches(self, folded: str, protected: Sequence[tuple[int, int]]) -> list[tuple[int, int, Entry]]:
        """`match` of a folded text, as (start, end, entry)."""
        stretches = []
        cursor = 0
        for start, end in sorted(protected) + [(len(folded), len(folded))]:
            stretches.append((cursor, max(cursor, start)))
            cursor = max(cursor, end)
        found = []
        entries, guarded = self._rule_entries, self.guarded
        for start, end, rule in self._matcher.spans(folded, stretches):
            entry = entries[rule]
            if entry is not None and (not guarded or entry.kind != "term"):
                found.append((start, end, entry))  # Chinese only: never in a command; not a term: no word edges
                continue
            if entry is None:
                entry = self.lookup(folded[start:end])
            kept = self._accept(folded, start, end, entry) if entry is not None else None
            if kept is not None:
                found.append(kept)
        return found

    def accept(self, folded: str, start: int, end: int, entry: Entry) -> Match | None:
        """The per-match rule: what is kept of the match of `entry` at folded[start:end], if anything.

        - Nothing in a command line or an identifier (`openstack trust list`, `openstack-ansible`).
        - A `term` whose edge falls inside a Chinese word of the text (安全组 in 安全组织) is not
          that term there; the longest shorter entry at the same start that fits is kept instead
          (镜像服务器: not 镜像服务, but 镜像), else nothing. Names and keep entries apply inside
          words. A term followed or preceded by a whole word is kept (云存储系统, 私有云计算).
        """
        kept = self._accept(folded, start, end, entry)
        return Match(*kept) if kept is not None else None

    def _accept(self, folded: str, start: int, end: int, entry: Entry) -> tuple[int, int, Entry] | None:
        if not self.guarded:
            return start, end, entry
        latin = self._latin.get(entry.zh)
        if latin is None:  # an entry of another glossary (the public `accept`)
            latin = LATIN.search(entry.zh) is not None
        if latin and words.in_code(folded, start, end):
            return None
        if entry.kind != "term" or self.boundaries().at_edges(folded, start, end, self._is_term):
            return start, end, entry
        for shorter in range(end - 1, start, -1):
            other = self.lookup(folded[start:shorter])
            if other is not None:
                return self._accept(folded, start, shorter, other)
        return None

    def boundaries(self) -> words.Words:
        if self._words is None:
            self._words = words.Words(e.zh for e in self.entries)
        return self._words

    def _is_term(self, zh: str) -> bool:
        return self.lookup(zh) is not None

    def fingerprint(self, text: str) -> str:
        """A hash of the entries `text` matches: changes exactly when one of them is added, edited or removed."""
        known = self._fingerprints.get(text)
        if known is None:
            if len(self._fingerprints) >= CACHE_SIZE:  # bounded: a run over 10,000 documents stays flat
                self._fingerprints.clear()
            known = self._fingerprints[text] = self._fingerprint(text)
        return known

    def _fingerprint(self, text: str) -> str:
        ranks = tuple(sorted({self._ranks[id(e)] for _, _, e in self._matches(fold(text), ())}))
        if not ranks:
            return ""
        known = self._of_ranks.get(ranks)
        if known is None:  # the hash of the entries' sorted (zh, en, kind, case): what the ranks stand for
            entries = [self._printed[rank] for rank in ranks]
            if len(self._of_ranks) >= CACHE_SIZE:
                self._of_ranks.clear()
            known = self._of_ranks[ranks] = hashlib.sha256(repr(entries).encode("utf-8")).hexdigest()[:16]
        return known


class HasSource(Protocol):
    @property
    def source(self) -> str: ...

    @property
    def glossary(self) -> str: ...


def stale(record: HasSource, glossary: Glossary) -> bool:
    """True when the glossary entries the record's Chinese matches changed since it was translated.

    The one glossary-staleness rule: translate's plan, `check` and `glossary check` ask it.

    `record` is a memory Record (anything with `source` and `glossary`, the
    fingerprint recorded when its English was made).
    """
    return record.glossary != glossary.fingerprint(record.source)


def fold(text: str) -> str:
    """Full-width ASCII variants -> ASCII (same length)."""
    # `str.translate` with a dict looks up every character of a non-ASCII text; Chinese text holds a
    # few distinct full-width marks (，：（）), each replaced at once in C
    for char in set(_FULLWIDTH.findall(text)):
        text = text.replace(char, _ASCII[char])
    return text


def normalize(text: str) -> str:
    """Folded, white space collapsed, no space at a Latin/Han junction: what a matched text is looked up by."""
    text = re.sub(SPACE, " ", fold(text).strip())
    return re.sub(f"(?<=[A-Za-z]) (?=[{HAN_RANGES}])|(?<=[{HAN_RANGES}]) (?=[A-Za-z])", "", text)


def _pattern(entry: Entry) -> str:
    zh = fold(entry.zh)
    parts: list[str] = []
    for i, ch in enumerate(zh):
        if ch.isspace():
            if parts and parts[-1] != SPACE:
                parts.append(SPACE)
            continue
        if i and _junction(zh[i - 1], ch):
            parts.append("[ \u00a0]?")
        parts.append(re.escape(ch))
    body = "".join(parts)
    if not entry.sensitive and LATIN.search(zh):
        body = f"(?i:{body})"
    if re.match(f"[{WORD}]", zh):
        body = f"(?<![{WORD}]){body}"
    if re.search(f"[{WORD}]$", zh):
        body = f"{body}(?![{WORD}])"
    return body


def _anchor(entry: Entry) -> str:
    """The literal text every match of the entry's pattern starts with: up to its first space or junction."""
    zh = fold(entry.zh).lstrip()
    end = 1
    while end < len(zh) and not zh[end].isspace() and not _junction(zh[end - 1], zh[end]):
        end += 1
    return zh[:end]


def _junction(a: str, b: str) -> bool:
    """A Latin/Han boundary, where Chinese writers often put a space."""
    return bool((LATIN.match(a) and HAN.match(b)) or (HAN.match(a) and LATIN.match(b)))


def identity(entries: Iterable[Entry]) -> str:
    """Identity of a glossary for the per-segment fingerprints: changes whenever any fingerprint could.

    Memory records it (`glossary_hash`): a memory that records the current glossary's
    identity cannot hold a glossary-stale segment, so `translate` and `check` skip
    recomputing the fingerprints.
    """
    unique = sorted({(e.zh, e.en, e.kind, e.case) for e in entries})
    rules = (MATCHING, words.segmenter_version())  # which matches are kept depends on them too
    return "sha256:" + hashlib.sha256(repr((unique, rules)).encode("utf-8")).hexdigest()


# -- verifying the English ---------------------------------------------------------------


def renders(entry: Entry, english: str) -> bool:
    """True when `english` contains the entry's English as the verification rules accept it."""
    return rendering(entry).search(fold(english)) is not None


@functools.lru_cache(maxsize=4096)
def rendering(entry: Entry) -> re.Pattern[str]:
    """The accepted forms of `entry.en`: exact for keep/name; inflection-tolerant for terms."""
    en = fold(entry.en).strip()
    if entry.kind != "term":
        body = SPACE.join(re.escape(w) for w in en.split())
        if re.fullmatch(r"[A-Z][A-Z0-9]+", en):
            body += "s?"  # an acronym's plural: APIs, GPUs, FPGAs
    else:
        words = [w for w in re.split(HYPHEN_OR_SPACE, en) if w]
        last = words[-1] if words else ""
        # The last word is a stem: inflected and derived forms count (deploy -> deployed,
        # deployment; manage -> managing; policy -> policies), as the glossary's notes intend.
        if re.search(r"[^aeiouAEIOU]y$", last):
            words[-1] = re.escape(last[:-1]) + "(?:y|ie|i)[a-z]*"
        elif re.search(r"[A-Za-z]e$", last):
            words[-1] = re.escape(last[:-1]) + "e?[a-z]*"
        elif re.search(r"[A-Za-z]$", last):
            words[-1] = re.escape(last) + "[a-z]*"
        else:
            words[-1] = re.escape(last)
        body = HYPHEN_OR_SPACE.join([re.escape(w) for w in words[:-1]] + words[-1:])
        if not entry.sensitive:
            body = f"(?i:{body})"
    if re.match(f"[{WORD}]", en):
        body = f"(?<![{WORD}]){body}"
    if re.search(f"[{WORD}]$", en):
        body = f"{body}(?![{WORD}])"
    return re.compile(body)


# -- reading files -------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One data row of a glossary file as written: raw values, no validation."""

    line: int
    values: dict[str, str]
    extra: int = 0  # fields beyond the header
    end: int = 0  # last line (a quoted value may span lines)


@dataclass(frozen=True)
class Table:
    path: Path
    shown: str
    delimiter: str
    header: tuple[str, ...]
    rows: tuple[Row, ...]
    newline: str = "\n"


def glossary_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in GLOSSARY_SUFFIXES and not p.name.startswith(".") and p.is_file())


def delimiter_for(path: Path) -> str:
    return "," if path.suffix == ".csv" else "\t"


def read_table(path: Path, shown: str) -> Table:
    """The rows of one TSV/CSV file with a header row, as written. Raises GlossaryConflict when unreadable."""
    delimiter = delimiter_for(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise GlossaryConflict(f"cannot read the glossary ({exc}). Save it as UTF-8.", path=shown) from None
    return parse_table(text, path, shown, delimiter)


def parse_table(text: str, path: Path, shown: str, delimiter: str) -> Table:
    newline = "\r\n" if "\r\n" in text else "\n"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: tuple[str, ...] | None = None
    rows: list[Row] = []
    line = 1
    for fields in _rows(reader, shown):
        start, line = line, reader.line_num + 1
        if header is None:
            if not fields:
                continue
            header = tuple(h.strip().lower() for h in fields)
            missing = [c for c in ("zh", "en") if c not in header]
            if missing:
                raise GlossaryConflict(
                    f"header lacks {', '.join(missing)}; it must start with {delimiter.join(COLUMNS)}.", path=shown, line=start)
            continue
        if not fields or not "".join(fields).strip() or fields[0].startswith("#"):
            continue
        rows.append(Row(start, dict(zip(header, fields)), max(0, len(fields) - len(header)), line - 1))
    return Table(path, shown, delimiter, header or COLUMNS, tuple(rows), newline)


def _rows(reader: Any, shown: str) -> Iterator[list[str]]:
    """The reader's rows; a row csv cannot read (a field over its 128 KB limit: an unclosed quote?) is an error."""
    try:
        yield from reader
    except csv.Error as exc:
        raise GlossaryConflict(f"cannot read this row ({exc}); is a quote not closed?", path=shown,
                               line=reader.line_num) from None


def entry_of(row: Row, shown: str) -> Entry:
    v = {k: (row.values.get(k) or "").strip() for k in COLUMNS}
    return Entry(v["zh"], v["en"], v["kind"] or "term", v["case"], v["note"], v["source"], shown, row.line)


def problem(entry: Entry) -> str:
    """Why an entry cannot be used ('' when it can)."""
    if not entry.zh or not entry.en:
        return "empty zh or en field. Fill both or delete the row."
    if entry.kind not in ENTRY_KINDS:
        return f"kind {entry.kind!r} is not one of {', '.join(ENTRY_KINDS)}."
    if entry.case not in CASES:
        return f"case {entry.case!r} must be 'sensitive' or empty."
    return ""


def read_file(path: Path, shown: str) -> list[Entry]:
    """Entries of one TSV/CSV file with a header row. Raises GlossaryConflict on bad rows."""
    entries = []
    for row in read_table(path, shown).rows:
        entry = entry_of(row, shown)
        reason = problem(entry)
        if reason:
            raise GlossaryConflict(reason + " (`workflow glossary lint` lists every problem.)", path=shown, line=row.line)
        entries.append(entry)
    return entries


def shown_path(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return str(path)


def load(folder: Path, root: Path | None = None, *, strict: bool = True) -> Glossary:
    """Every entry of every glossary file in `folder`.

    `strict`: one Chinese term with two English renderings raises GlossaryConflict
    (otherwise the first one wins, as lint reports).
    """
    entries: list[Entry] = []
    for path in glossary_files(folder):
        entries += read_file(path, shown_path(path, root))
    if strict:
        conflict = first_conflict(entries)
        if conflict:
            a, b = conflict
            raise GlossaryConflict(
                f"{b.zh} has two English renderings: {a.en!r} ({a.where}) and {b.en!r}. "
                "Keep one (`workflow glossary remove`, or edit the file); `workflow glossary lint` lists all.",
                path=b.file, line=b.line)
    return Glossary(entries)


def first_conflict(entries: Iterable[Entry]) -> tuple[Entry, Entry] | None:
    seen: dict[str, Entry] = {}
    for entry in entries:
        other = seen.setdefault(entry.key, entry)
        if other is not entry and other.en != entry.en:
            return other, entry
    return None


def default_file(folder: Path) -> Path:
    """Where `add` and `import` write: openstack.tsv, else the only glossary file."""
    files = glossary_files(folder)
    if (folder / DEFAULT_FILE) in files or not files:
        return folder / DEFAULT_FILE
    return files[0]
