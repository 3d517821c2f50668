"""The OpenStack glossary: TSV files in `glossary/`, matched longest-leftmost.

Columns: zh, en, kind (term | keep | name), case (sensitive | empty), note, source.
Chinese has no word boundaries, so Chinese terms match anywhere; Latin terms match
case-insensitively on word boundaries (case-sensitively when `case` says so).
Full-width Latin letters in the text match their ASCII forms.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from workflow.errors import GlossaryConflict

COLUMNS = ("zh", "en", "kind", "case", "note", "source")
KINDS = ("term", "keep", "name")
GLOSSARY_SUFFIXES = (".tsv", ".csv")
# Full-width ASCII -> ASCII, one character for one, so match offsets stay valid.
FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
WORD = "A-Za-z0-9"


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


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    entry: Entry


class Glossary:
    """A set of entries and the compiled longest-leftmost matcher over them."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries: tuple[Entry, ...] = tuple(entries)
        by_zh: dict[str, Entry] = {}
        for entry in self.entries:
            by_zh.setdefault(entry.zh if entry.sensitive else entry.zh.casefold(), entry)
        self._by_key = by_zh
        ordered = sorted(by_zh.values(), key=lambda e: (-len(e.zh), e.zh))
        self._regex = re.compile("|".join(_pattern(e) for e in ordered)) if ordered else None

    def __len__(self) -> int:
        return len(self.entries)

    def lookup(self, zh: str) -> Entry | None:
        return self._by_key.get(zh) or self._by_key.get(zh.casefold())

    def match(self, text: str) -> list[Match]:
        """Longest-leftmost, non-overlapping matches of the entries in `text`."""
        if self._regex is None:
            return []
        folded = text.translate(FULLWIDTH)
        found = []
        for m in self._regex.finditer(folded):
            entry = self.lookup(m.group(0))
            if entry is not None:
                found.append(Match(m.start(), m.end(), entry))
        return found

    def fingerprint(self, text: str) -> str:
        """A hash of the entries `text` matches: changes exactly when one of them is added, edited or removed."""
        entries = sorted({(m.entry.zh, m.entry.en, m.entry.kind, m.entry.case) for m in self.match(text)})
        if not entries:
            return ""
        return hashlib.sha256(repr(entries).encode("utf-8")).hexdigest()[:16]


def _pattern(entry: Entry) -> str:
    body = re.escape(entry.zh)
    if not entry.sensitive and re.search(r"[A-Za-z]", entry.zh):
        body = f"(?i:{body})"
    if re.match(f"[{WORD}]", entry.zh):
        body = f"(?<![{WORD}]){body}"
    if re.search(f"[{WORD}]$", entry.zh):
        body = f"{body}(?![{WORD}])"
    return body


def glossary_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in GLOSSARY_SUFFIXES and not p.name.startswith("."))


def read_file(path: Path, shown: str) -> list[Entry]:
    """Entries of one TSV/CSV file with a header row. Raises GlossaryConflict on bad rows."""
    delimiter = "\t" if path.suffix == ".tsv" else ","
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise GlossaryConflict(f"cannot read the glossary ({exc}). Save it as UTF-8.", path=shown) from None
    rows = csv.reader(text.splitlines(), delimiter=delimiter)
    header = next(rows, None)
    if header is None:
        return []
    header = [h.strip().lower() for h in header]
    missing = [c for c in ("zh", "en") if c not in header]
    if missing:
        raise GlossaryConflict(f"header lacks {', '.join(missing)}; it must start with {delimiter.join(COLUMNS)}.", path=shown, line=1)
    entries = []
    for number, row in enumerate(rows, start=2):
        if not row or not "".join(row).strip() or row[0].startswith("#"):
            continue
        values = dict(zip(header, row))
        entry = Entry(
            zh=values.get("zh", ""), en=values.get("en", ""), kind=values.get("kind", "") or "term",
            case=values.get("case", ""), note=values.get("note", ""), source=values.get("source", ""),
            file=shown, line=number,
        )
        if not entry.zh.strip() or not entry.en.strip():
            raise GlossaryConflict("empty zh or en field. Fill both or delete the row.", path=shown, line=number)
        if entry.kind not in KINDS:
            raise GlossaryConflict(f"kind {entry.kind!r} is not one of {', '.join(KINDS)}.", path=shown, line=number)
        entries.append(entry)
    return entries


def load(folder: Path, root: Path | None = None) -> Glossary:
    entries: list[Entry] = []
    for path in glossary_files(folder):
        shown = path.relative_to(root).as_posix() if root and path.is_relative_to(root) else str(path)
        entries += read_file(path, shown)
    return Glossary(entries)
