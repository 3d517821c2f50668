"""Glossary exchange: import CSV/TSV, TBX and gettext PO; export TBX, CSV and TSV.

TBX is TBX-Basic in its `martif` form (ISO 30042:2008, TBX v2), the flavour
OmegaT, Weblate and the Translate Toolkit read and write. One `termEntry` per
glossary entry, with a `zh-CN` and an `en` language set. The workflow's own
fields travel in descriptive elements so that TBX -> TSV -> TBX keeps every entry:

    <termEntry id="e1">
      <descrip type="x-workflow-kind">term|keep|name</descrip>
      <descrip type="x-workflow-case">sensitive</descrip>     (only when set)
      <note>…</note>                                          (only when set)
      <admin type="source">…</admin>                          (only when set)
      <langSet xml:lang="zh-CN"><tig><term>容器</term></tig></langSet>
      <langSet xml:lang="en"><tig><term>container</term></tig></langSet>
    </termEntry>

A `name` also gets the TBX-Basic `<termNote type="partOfSpeech">properNoun</termNote>`
on its terms, which is how a foreign TBX without the workflow's fields is read back.
Imported TBX is untrusted: it is parsed by defusedxml, which refuses entity
declarations (billion laughs) and external entities or DTDs (XXE) before any expansion.
TBX v3 (`<tbx>`, `conceptEntry`/`langSec`/`termSec`) is read too.

PO files are the OpenStack i18n team's: msgid English, msgstr Chinese (zh_CN).
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from workflow.errors import GlossaryConflict, InputError, WorkflowError
from workflow.glossary.edit import Clashes, validate_new
from workflow.glossary.terms import COLUMNS, Entry, parse_table

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FORMATS = ("csv", "tsv", "tbx", "po")
SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".tbx": "tbx", ".xml": "tbx", ".po": "po", ".pot": "po"}
KIND_TYPE, CASE_TYPE = "x-workflow-kind", "x-workflow-case"
ZH_LANG = "zh-CN"


@dataclass
class ImportReport:
    added: list[Entry] = field(default_factory=list)
    duplicates: list[tuple[Entry, Entry]] = field(default_factory=list)  # (imported, existing)
    conflicts: list[tuple[Entry, Entry]] = field(default_factory=list)  # (imported, existing)
    invalid: list[tuple[Entry, str]] = field(default_factory=list)
    untranslated: int = 0  # PO entries without a Chinese msgstr (or fuzzy, or obsolete)


# -- reading ---------------------------------------------------------------------------------


def detect(path: Path, fmt: str | None) -> str:
    if fmt:
        return fmt
    found = SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise InputError(f"cannot tell the format from the suffix {path.suffix!r}; give --format "
                         f"({', '.join(FORMATS)}).", path=str(path))
    return found


def read_entries(path: Path, shown: str, fmt: str | None = None, source: str = "") -> tuple[list[Entry], int]:
    """The entries an import file offers (file/line set to where they are), and how many it left untranslated."""
    kind = detect(path, fmt)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror}).", path=shown) from None
    readers: dict[str, Callable[[bytes, str], tuple[list[Entry], int]]] = {
        "csv": _read_csv, "tsv": _read_tsv, "tbx": read_tbx, "po": read_po}
    entries, untranslated = readers[kind](data, shown)
    if source:
        entries = [e if e.source else replace(e, source=source) for e in entries]
    return entries, untranslated


def _read_csv(data: bytes, shown: str) -> tuple[list[Entry], int]:
    return _read_table(data, shown, ",")


def _read_tsv(data: bytes, shown: str) -> tuple[list[Entry], int]:
    return _read_table(data, shown, "\t")


def _read_table(data: bytes, shown: str, delimiter: str) -> tuple[list[Entry], int]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("is not UTF-8. Save it as UTF-8 and import again.", path=shown) from None
    try:
        table = parse_table(text, Path(shown), shown, delimiter)
    except GlossaryConflict as exc:
        raise InputError(exc.message, path=shown, line=exc.line) from None
    entries = []
    for row in table.rows:
        v = {c: _clean(row.values.get(c) or "") for c in COLUMNS}
        entries.append(Entry(v["zh"], v["en"], v["kind"] or "term", v["case"], v["note"], v["source"], shown, row.line))
    return entries, 0


def _clean(value: str) -> str:
    """One line, single spaces: what a glossary cell can hold."""
    return re.sub(r"\s+", " ", value).strip()


def read_po(data: bytes, shown: str) -> tuple[list[Entry], int]:
    """A gettext PO of the OpenStack i18n glossary: msgid English, msgstr Chinese."""
    import polib

    try:
        po = polib.pofile(data.decode(_po_charset(data), errors="strict"))
    except (OSError, ValueError, UnicodeError, LookupError, TypeError) as exc:  # LookupError: a charset no codec has
        raise InputError(f"is not a readable PO file ({exc}).", path=shown) from None
    language = (po.metadata.get("Language") or "").strip()
    if language and not language.lower().startswith("zh"):
        raise InputError(f"is a {language!r} PO file; the glossary imports Chinese (zh_CN) msgstr.", path=shown)
    entries = []
    untranslated = 0
    for unit in po:
        zh = _clean(unit.msgstr or (unit.msgstr_plural or {}).get(0, ""))
        if unit.obsolete or unit.fuzzy or not zh or not unit.msgid:
            untranslated += 1
            continue
        en = _clean(unit.msgid)
        notes = [_clean(n) for n in (unit.comment, unit.tcomment) if n and n.strip()]
        if unit.msgctxt:
            notes.insert(0, f"context: {_clean(unit.msgctxt)}")
        entries.append(Entry(zh, en, "keep" if zh == en else "term", "", "; ".join(notes), "", shown, unit.linenum))
    return entries, untranslated


def _po_charset(data: bytes) -> str:
    found = re.search(rb"charset=([A-Za-z0-9_.:-]+)", data[:4000])
    name = found.group(1).decode("ascii") if found else "utf-8"
    return "utf-8" if name.upper() == "CHARSET" else name


def read_tbx(data: bytes, shown: str) -> tuple[list[Entry], int]:
    """Entries of an untrusted TBX file (martif TBX-Basic or TBX v3), parsed by defusedxml."""
    root, lines = _parse_xml(data, shown)
    if _local(root.tag) not in ("martif", "tbx"):
        raise InputError(f"is not TBX: its root element is <{_local(root.tag)}>, not <martif> or <tbx>.", path=shown)
    entries = []
    for concept in root.iter():
        if _local(concept.tag) in ("termEntry", "conceptEntry"):
            entries += _concept(concept, shown, lines.get(concept, 0))
    return entries, 0


def _parse_xml(data: bytes, shown: str) -> tuple[ET.Element, dict[ET.Element, int]]:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import DefusedXMLParser

    target = _LineBuilder()
    parser = DefusedXMLParser(target=target, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    target.parser = parser
    try:
        parser.feed(data)
        root: ET.Element = parser.close()
    except DefusedXmlException as exc:
        raise InputError(
            f"refused: the XML declares an entity ({exc}). Entities can expand without bound (billion laughs) "
            "or read other files (XXE); a TBX file needs none. Remove the DOCTYPE's entity declarations.",
            path=shown) from None
    except ET.ParseError as exc:
        raise InputError(f"is not well-formed XML ({exc}).", path=shown, line=exc.position[0]) from None
    return root, target.lines


class _LineBuilder:
    """A TreeBuilder that remembers each element's line."""

    def __init__(self) -> None:
        self.builder = ET.TreeBuilder()
        self.lines: dict[ET.Element, int] = {}
        self.parser: Any = None

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        element = self.builder.start(tag, attrs)
        self.lines[element] = self.parser.parser.CurrentLineNumber
        return element

    def end(self, tag: str) -> ET.Element:
        return self.builder.end(tag)

    def data(self, data: str) -> None:
        self.builder.data(data)

    def close(self) -> ET.Element:
        return self.builder.close()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _concept(concept: ET.Element, shown: str, line: int) -> list[Entry]:
    fields = {"kind": "", "case": "", "note": "", "source": ""}
    terms: dict[str, list[tuple[str, bool]]] = {"zh": [], "en": []}
    for child in concept:
        name, kind = _local(child.tag), child.get("type", "")
        text = _clean("".join(child.itertext()))
        if name == "descrip" and kind == KIND_TYPE:
            fields["kind"] = text
        elif name == "descrip" and kind == CASE_TYPE:
            fields["case"] = text
        elif name == "note" and not fields["note"]:
            fields["note"] = text
        elif name == "admin" and kind == "source" and not fields["source"]:
            fields["source"] = text
        elif name in ("langSet", "langSec"):
            lang = (child.get(XML_LANG) or child.get("lang") or "").lower()
            for code in terms:
                if lang == code or lang.startswith(code + "-") or lang.startswith(code + "_"):
                    terms[code] += _terms(child)
    if not terms["en"]:
        return []
    en = terms["en"][0][0]
    proper = any(p for code in terms for _, p in terms[code])  # a proper noun anywhere: the concept is a name
    out = []
    for zh, _ in terms["zh"]:
        kind = fields["kind"] or ("keep" if zh == en else "name" if proper else "term")
        out.append(Entry(zh, en, kind, fields["case"], fields["note"], fields["source"], shown, line))
    return out


def _terms(lang_set: ET.Element) -> list[tuple[str, bool]]:
    """(term, is a proper noun) of each term group in a language set."""
    found = []
    for group in lang_set:
        if _local(group.tag) not in ("tig", "ntig", "termSec"):
            continue
        term = next((e for e in group.iter() if _local(e.tag) == "term"), None)
        if term is None:
            continue
        proper = any(_local(e.tag) == "termNote" and e.get("type") == "partOfSpeech"
                     and (e.text or "").strip() == "properNoun" for e in group.iter())
        found.append((_clean("".join(term.itertext())), proper))
    return found


# -- merging ---------------------------------------------------------------------------------


def merge(existing: Sequence[Entry], incoming: Iterable[Entry]) -> ImportReport:
    """Which imported entries are new, duplicates, conflicts or unusable."""
    report = ImportReport()
    known = Clashes(existing)
    for entry in incoming:
        try:
            validate_new(entry)
        except WorkflowError as exc:
            report.invalid.append((entry, exc.message))
            continue
        other = known.find(entry)
        if other is None:
            report.added.append(entry)
            known.add(entry)
        elif other.en == entry.en:
            report.duplicates.append((entry, other))
        else:
            report.conflicts.append((entry, other))
    return report


# -- writing ---------------------------------------------------------------------------------


def export(entries: Sequence[Entry], fmt: str) -> bytes:
    if fmt == "tbx":
        return to_tbx(entries)
    if fmt in ("csv", "tsv"):
        out = io.StringIO()
        writer = csv.writer(out, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(COLUMNS)
        for entry in entries:
            writer.writerow([entry.fields()[c] for c in COLUMNS])
        return out.getvalue().encode("utf-8")
    raise GlossaryConflict(f"unknown export format {fmt!r}; choose tbx, csv or tsv.")


def to_tbx(entries: Sequence[Entry]) -> bytes:
    martif = ET.Element("martif", {"type": "TBX-Basic", XML_LANG: ZH_LANG})
    header = ET.SubElement(martif, "martifHeader")
    file_desc = ET.SubElement(ET.SubElement(header, "fileDesc"), "sourceDesc")
    ET.SubElement(file_desc, "p").text = "OpenStack zh-CN → en glossary, exported by workflow"
    ET.SubElement(ET.SubElement(header, "encodingDesc"), "p", {"type": "XCSURI"}).text = "TBXBasicXCSV02.xcs"
    body = ET.SubElement(ET.SubElement(martif, "text"), "body")
    for number, entry in enumerate(entries, start=1):
        concept = ET.SubElement(body, "termEntry", {"id": f"e{number}"})
        ET.SubElement(concept, "descrip", {"type": KIND_TYPE}).text = entry.kind
        if entry.case:
            ET.SubElement(concept, "descrip", {"type": CASE_TYPE}).text = entry.case
        if entry.note:
            ET.SubElement(concept, "note").text = entry.note
        if entry.source:
            ET.SubElement(concept, "admin", {"type": "source"}).text = entry.source
        for lang, term in ((ZH_LANG, entry.zh), ("en", entry.en)):
            tig = ET.SubElement(ET.SubElement(concept, "langSet", {XML_LANG: lang}), "tig")
            ET.SubElement(tig, "term").text = term
            if entry.kind == "name":
                ET.SubElement(tig, "termNote", {"type": "partOfSpeech"}).text = "properNoun"
    ET.indent(martif, space="  ")
    data: bytes = ET.tostring(martif, encoding="utf-8", xml_declaration=True)
    return data + b"\n"
