"""Editing the glossary files (`add`, `remove`, appending imports) and linting them.

Edits keep each file as it is written: its column order, delimiter, line endings
and every row they do not touch, byte for byte; new rows go at the end. Every
write is atomic. Nothing here prints; findings and errors are returned or raised.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from workflow.errors import GlossaryConflict, WorkflowError
from workflow.findings import Finding
from workflow.glossary.terms import (
    COLUMNS,
    Entry,
    Glossary,
    Row,
    Table,
    delimiter_for,
    entry_of,
    glossary_files,
    normalize,
    parse_table,
    problem,
    read_table,
    shown_path,
)
from workflow.store.files import atomic_write
from workflow.text.chars import HAN

UTF8_BOM = "\ufeff"


class UnknownEntry(WorkflowError):
    """`remove` was asked for a Chinese term the glossary does not have."""


# -- reading every file, leniently ---------------------------------------------------------


def tables(paths: Iterable[Path], root: Path | None) -> tuple[list[Table], list[Finding]]:
    """The readable tables of `paths`, and a finding for each unreadable one."""
    found: list[Table] = []
    problems: list[Finding] = []
    for path in paths:
        shown = shown_path(path, root)
        try:
            found.append(read_table(path, shown))
        except GlossaryConflict as exc:
            problems.append(Finding(shown, exc.line or 1, "unreadable", exc.message))
    return found, problems


def usable_entries(tables_: Iterable[Table]) -> list[Entry]:
    """Entries that translate would use (rows with a problem left out)."""
    return [e for t in tables_ for e in (entry_of(r, t.shown) for r in t.rows) if not problem(e)]


def files_with(folder: Path, extra: Path | None) -> list[Path]:
    files = glossary_files(folder)
    if extra is not None and extra.exists() and extra.resolve() not in {f.resolve() for f in files}:
        files.append(extra)
    return files


# -- add -------------------------------------------------------------------------------------


def validate_new(entry: Entry) -> None:
    """A new entry must be usable as written: raises GlossaryConflict with what to change."""
    reason = problem(entry)
    if reason:
        raise GlossaryConflict(reason)
    for column, value in entry.fields().items():
        if value != value.strip():
            raise GlossaryConflict(f"{column} {value!r} has leading or trailing white space; remove it.")
        if any(ch in value for ch in "\t\r\n"):
            raise GlossaryConflict(f"{column} {value!r} contains a tab or line break; glossary values are one line.")
    if entry.kind == "keep" and entry.en != entry.zh:
        raise GlossaryConflict(f"a keep entry is written as it is: en must equal zh ({entry.zh!r}). "
                               "Use --kind name for a different English spelling.")


def clash(entry: Entry, existing: Iterable[Entry]) -> Entry | None:
    """The existing entry that matches the same Chinese, if any."""
    return Clashes(existing).find(entry)


class Clashes:
    """Entries indexed by the keys `clash` compares, so finding one costs a few lookups, not a pass.

    Two entries clash when their keys are equal, or equal once case-folded on the side of
    an entry that ignores case. The first clashing entry in the order added is found.
    """

    def __init__(self, existing: Iterable[Entry] = ()) -> None:
        self._entries: list[Entry] = []
        self._key: dict[str, int] = {}  # key -> first entry with it
        self._insensitive: dict[str, int] = {}  # key of an entry that ignores case -> first such entry
        self._folded: dict[str, int] = {}  # case-folded key -> first entry with it
        for entry in existing:
            self.add(entry)

    def add(self, entry: Entry) -> None:
        index, key = len(self._entries), entry.key
        self._entries.append(entry)
        self._key.setdefault(key, index)
        if not entry.sensitive:
            self._insensitive.setdefault(key, index)
        self._folded.setdefault(key.casefold(), index)

    def find(self, entry: Entry) -> Entry | None:
        key = entry.key
        found = [self._key.get(key), self._insensitive.get(key.casefold())]
        if not entry.sensitive:
            found.append(self._folded.get(key))
        hits = [i for i in found if i is not None]
        return self._entries[min(hits)] if hits else None


def add(folder: Path, path: Path, entry: Entry, root: Path | None = None) -> Entry:
    """Append `entry` to `path` unless it duplicates or contradicts an entry of the glossary."""
    validate_new(entry)
    found, _ = tables(files_with(folder, path), root)
    other = clash(entry, usable_entries(found))
    if other is not None:
        if other.en == entry.en:
            raise GlossaryConflict(f"{entry.zh} → {entry.en} is already in the glossary ({other.where}); nothing added.")
        raise GlossaryConflict(
            f"{entry.zh} already means {other.en!r} ({other.where}); one Chinese term gets one English rendering. "
            f"Remove it first (`workflow glossary remove {other.zh}`) or edit that line.")
    return append(path, [entry], root)[0]


def append(path: Path, entries: Sequence[Entry], root: Path | None = None) -> list[Entry]:
    """Append rows at the end of `path` (created with the standard header if absent), atomically."""
    shown = shown_path(path, root)
    delimiter = delimiter_for(path)
    if path.exists():
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise GlossaryConflict(f"cannot read the glossary ({exc}). Save it as UTF-8.", path=shown) from None
        table = parse_table(text.removeprefix(UTF8_BOM), path, shown, delimiter)
        header, newline = table.header, table.newline
    else:
        header, newline = COLUMNS, "\n"
        text = _row(COLUMNS, header, delimiter, newline)
    _check_columns(entries, header, shown)
    if text and not text.endswith("\n"):
        text += newline
    first_line = text.count("\n") + 1
    added = [replace(e, file=shown, line=first_line + i) for i, e in enumerate(entries)]
    rows = "".join(_row([e.fields().get(c, "") for c in header], header, delimiter, newline) for e in added)
    atomic_write(path, (text + rows).encode("utf-8"))
    return added


def _check_columns(entries: Sequence[Entry], header: Sequence[str], shown: str) -> None:
    for entry in entries:
        lost = [c for c, v in entry.fields().items() if v and c not in header and (c, v) != ("kind", "term")]
        if lost:
            raise GlossaryConflict(f"has no {', '.join(lost)} column; add it to the header or leave the value out.", path=shown)


def _row(values: Sequence[str], header: Sequence[str], delimiter: str, newline: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerow(list(values))
    return out.getvalue()


# -- remove ----------------------------------------------------------------------------------


def remove(folder: Path, zh: str, path: Path | None = None, root: Path | None = None) -> list[Entry]:
    """Delete every row whose Chinese is `zh` (by its case rule) from the glossary files (or `path`)."""
    files = [path] if path is not None else glossary_files(folder)
    wanted = normalize(zh)
    removed: list[Entry] = []
    for file in files:
        if not file.exists():
            raise UnknownEntry("no such glossary file.", path=shown_path(file, root))
        table = read_table(file, shown_path(file, root))
        rows = [r for r in table.rows if _same(entry_of(r, table.shown), wanted)]
        if rows:
            _delete_rows(file, [(r.line, r.end) for r in rows])
            removed += [entry_of(r, table.shown) for r in rows]
    if not removed:
        where = shown_path(path, root) if path is not None else shown_path(folder, root) + "/"
        raise UnknownEntry(f"no entry for {zh} in {where}. `workflow glossary list {zh}` searches the glossary.")
    return removed


def _same(entry: Entry, wanted: str) -> bool:
    return entry.key == (wanted if entry.sensitive else wanted.casefold())


def _delete_rows(path: Path, spans: Sequence[tuple[int, int]]) -> None:
    # Lines as the csv reader counted them (\n, \r\n or \r; never U+2028 inside a note).
    lines = io.StringIO(path.read_bytes().decode("utf-8"), newline="").readlines()
    drop = {n for start, end in spans for n in range(start, end + 1)}
    kept = [line for number, line in enumerate(lines, start=1) if number not in drop]
    atomic_write(path, "".join(kept).encode("utf-8"))


# -- lint ------------------------------------------------------------------------------------


def lint(paths: Sequence[Path], root: Path | None = None) -> list[Finding]:
    """Every problem of the glossary files, one finding each, in file order."""
    found, findings = tables(paths, root)
    for table in found:
        for row in table.rows:
            findings += row_findings(table, row)
    entries = usable_entries(found)
    findings += duplicates(entries)
    findings += shadows(entries)
    order = {t.shown: i for i, t in enumerate(found)}
    return sorted(findings, key=lambda f: (order.get(f.path, -1), f.line, f.kind))


def row_findings(table: Table, row: Row) -> list[Finding]:
    out: list[Finding] = []
    at = (table.shown, row.line)
    entry = entry_of(row, table.shown)
    if row.extra:
        out.append(Finding(*at, "extra-fields", f"{row.extra} field(s) beyond the header's {len(table.header)} (a stray delimiter?)"))
    for column in ("zh", "en"):
        if not entry.fields()[column]:
            out.append(Finding(*at, "empty", f"{column} is empty; fill it or delete the row"))
    for column, value in row.values.items():
        if column in COLUMNS and value != value.strip():
            out.append(Finding(*at, "padded", f"{column} {value!r} has leading or trailing white space"))
    if entry.kind not in ("term", "keep", "name"):
        out.append(Finding(*at, "bad-kind", f"kind {entry.kind!r} is not term, keep or name"))
    if entry.case not in ("", "sensitive"):
        out.append(Finding(*at, "bad-case", f"case {entry.case!r} must be 'sensitive' or empty"))
    if entry.kind == "keep" and entry.zh and entry.en and entry.en != entry.zh:
        out.append(Finding(*at, "keep-differs", f"keep entry {entry.zh!r} has en {entry.en!r}; a keep entry is written "
                           "as it is (use kind name for a different English spelling)"))
    if entry.kind != "keep" and HAN.search(entry.en):
        out.append(Finding(*at, "han-in-en", f"en {entry.en!r} contains Chinese characters"))
    return out


def duplicates(entries: Sequence[Entry]) -> list[Finding]:
    """Entries matching the same Chinese: the same English is a duplicate, another English a conflict."""
    out: list[Finding] = []
    first: dict[str, Entry] = {}
    for entry in entries:
        other = first.setdefault(entry.key, entry)
        if other is entry:
            continue
        if other.en == entry.en:
            out.append(Finding(entry.file, entry.line, "duplicate", f"{entry.zh} → {entry.en} repeats {other.where}"))
        else:
            out.append(Finding(entry.file, entry.line, "conflict", f"{entry.zh} has two English renderings: "
                               f"{other.en!r} ({other.where}) and {entry.en!r}; keep one"))
    return out


def shadows(entries: Sequence[Entry]) -> list[Finding]:
    """A shorter entry inside a longer one never applies there (longest match wins).

    Harmless when the longer English is built on the shorter one's (`related`); a
    deliberate guard (information) when either note names the other term; otherwise
    a finding: the longer entry silently takes the shorter term's meaning away.
    """
    glossary = Glossary(entries)
    out: list[Finding] = []
    for longer in glossary.entries:
        for inner in _inside(glossary, longer):
            if related(inner.en, longer.en):
                continue
            text = f"{inner.zh} → {inner.en} ({inner.where}) does not apply inside {longer.zh} → {longer.en}"
            if inner.zh in longer.note or longer.zh in inner.note:
                out.append(Finding(longer.file, longer.line, "guard", text + " (deliberate guard)", "info"))
            else:
                out.append(Finding(longer.file, longer.line, "shadowed", text + "; if deliberate, name "
                                   f"{inner.zh} in the note of {longer.zh}"))
    return out


def _inside(glossary: Glossary, longer: Entry) -> list[Entry]:
    """Entries directly inside `longer`: matching strictly within its Chinese, and not
    within another such entry (主机 is inside 云主机, which is inside 启动云主机)."""
    found = _contained(glossary, longer)
    nested = {e.key for middle in found for e in _contained(glossary, middle)}
    return [e for e in found if e.key not in nested]


def _contained(glossary: Glossary, longer: Entry) -> list[Entry]:
    zh = longer.zh
    found: dict[str, Entry] = {}
    for i in range(len(zh)):
        for j in range(i + 1, len(zh) + 1):
            inner = glossary.lookup(zh[i:j]) if (i, j) != (0, len(zh)) else None
            if inner is not None and inner.key != longer.key and Glossary([inner], guarded=False).match(zh):
                found.setdefault(inner.key, inner)
    return list(found.values())


def related(part: str, whole: str) -> bool:
    """True when English `whole` is built on `part`: it contains one of its words, or the
    first five letters of one ("deploy" in "continuous deployment", "host" in "hostname")."""
    haystack = whole.casefold()
    for word in re.findall(r"[a-z0-9]+", part.casefold()):
        stem = word[:5] if len(word) >= 4 else word
        if re.search(rf"(?<![a-z0-9]){re.escape(stem)}" if len(word) < 4 else re.escape(stem), haystack):
            if len(word) >= 4 or re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", haystack):
                return True
    return False
