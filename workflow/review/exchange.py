"""The round trip through CAT tools: `workflow export` (XLIFF 1.2 or PO) and `workflow import`.

Export writes, per document, the pending segments (or all): the Chinese, the current
English, the segment's id (`s<hash of the Chinese>`, `meta:<key>`), its line, and notes (the
glossary terms its Chinese contains, why it is flagged, the machine English, fuzzy matches
from the record's `matches` when memory has them). XLIFF 1.2 is what OmegaT, Poedit,
Weblate and Translate Toolkit all read; it is written with the standard library and read
back through defusedxml. PO goes through polib (one entry per segment, `msgctxt` =
`<source>#<id>`, pending segments `fuzzy`).

Import records the translator's English with the guarantees of `review`: a document whose
English file has unrecorded edits, whose Chinese changed since, or whose file holds an id
that memory no longer has with the same Chinese (stale) is refused whole; a unit that
would change the Markdown structure refuses its document; everything is written with
`write_pair` (atomic, crash-safe). A unit is taken when the translator confirmed it
(XLIFF: a target state of translated / final / signed-off, or none; PO: not fuzzy):
changed English is an edit, unchanged English of a pending segment an approval.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import defusedxml.ElementTree as SafeET
import polib

from workflow import __version__
from workflow.config import Settings
from workflow.document.output import output_bytes, write_pair
from workflow.errors import InputError, WorkflowError
from workflow.glossary.terms import Glossary
from workflow.glossary.terms import load as load_glossary
from workflow.review.edits import Unaligned, attribute
from workflow.review.finals import UnfitFinal, validate_final
from workflow.review.record import NotTranslated, load, record_edit, refuse_code_change
from workflow.review.results import Reviewer
from workflow.store.documents import sources
from workflow.store.files import sha256
from workflow.store.memory import Record
from workflow.store.post import parse
from workflow.text.segment import Segment

FORMATS = ("xliff", "po")
XLIFF_NS = "urn:oasis:names:tc:xliff:document:1.2"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
READY = {"", "translated", "final", "signed-off"}  # XLIFF target states a translator confirmed
PENDING_STATE = "needs-review-translation"


class StaleImport(WorkflowError):
    exit_code = 1


@dataclass(frozen=True)
class Unit:
    """One segment in an exchange file."""

    document: str  # the Chinese file, project-relative
    id: str
    source: str
    target: str
    ready: bool  # the translator confirmed it
    line: int = 0  # in the exchange file, when known


@dataclass
class Exported:
    documents: int = 0
    segments: int = 0
    data: bytes = b""


@dataclass(frozen=True, kw_only=True)
class ImportedDocument:
    source: str
    output: str
    state: str  # imported | unchanged | refused | error
    edited: int = 0
    approved: int = 0
    unconfirmed: int = 0  # units whose English differs from the page's but that the translator did not confirm
    message: str = ""
    exit_code: int = 0


@dataclass
class ImportReport:
    documents: list[ImportedDocument] = field(default_factory=list)
    reviewer: str = ""

    @property
    def exit_code(self) -> int:
        return max((d.exit_code for d in self.documents), default=0)


# -- export ------------------------------------------------------------------------------------


def notes(record: Record, glossary: Glossary) -> list[str]:
    """What a translator should know about a segment, one line each."""
    out = [f"{record.kind}, line {record.line}, {record.status}"]
    terms = dict.fromkeys(f"{m.entry.zh} → {m.entry.en}" for m in glossary.match(record.source))
    if terms:
        out.append("glossary: " + "; ".join(terms))
    out += [f"flagged: {reason}" for reason in record.reasons]
    if record.machine != record.final:
        out.append(f"machine: {record.machine}")
    for match in matches(record):
        out.append(f"match {match.get('score', '?')}% ({match.get('origin', '')}): {match.get('source', '')} "
                   f"→ {match.get('target', '')}")
    return out


def matches(record: Record) -> list[dict[str, Any]]:
    """The record's fuzzy matches from the translation memory, when it has any (read defensively)."""
    found = getattr(record, "matches", None) or ()
    return [m for m in found if isinstance(m, dict) and isinstance(m.get("target"), str)]


def export(settings: Settings, paths: Iterable[Path], fmt: str, *, everything: bool = False) -> Exported:
    glossary = load_glossary(settings.glossary, settings.root)
    chosen: list[tuple[str, list[Record]]] = []
    for path in sources(settings, paths):
        try:
            doc = load(settings, path)
        except NotTranslated:
            continue
        records = [r for r in doc.records if everything or r.status != "reviewed"]
        records = [r for r in records if r.source.strip()]
        if records:
            chosen.append((doc.plan.shown, records))
    data = (_xliff if fmt == "xliff" else _po)(chosen, glossary)
    return Exported(documents=len(chosen), segments=sum(len(r) for _, r in chosen), data=data)


def _xliff(chosen: Sequence[tuple[str, list[Record]]], glossary: Glossary) -> bytes:
    ET.register_namespace("", XLIFF_NS)
    root = ET.Element(f"{{{XLIFF_NS}}}xliff", {"version": "1.2"})
    for document, records in chosen:
        file = ET.SubElement(root, f"{{{XLIFF_NS}}}file", {
            "original": document, "source-language": "zh-CN", "target-language": "en", "datatype": "plaintext",
            "tool-id": "workflow"})
        header = ET.SubElement(file, f"{{{XLIFF_NS}}}header")
        ET.SubElement(header, f"{{{XLIFF_NS}}}tool", {"tool-id": "workflow", "tool-name": "workflow",
                                                      "tool-version": __version__})
        body = ET.SubElement(file, f"{{{XLIFF_NS}}}body")
        for record in records:
            unit = ET.SubElement(body, f"{{{XLIFF_NS}}}trans-unit", {
                "id": record.id, "resname": f"{document}:{record.line}",
                "{http://www.w3.org/XML/1998/namespace}space": "preserve"})
            ET.SubElement(unit, f"{{{XLIFF_NS}}}source", {XML_LANG: "zh-CN"}).text = record.source
            state = "final" if record.status == "reviewed" else PENDING_STATE
            ET.SubElement(unit, f"{{{XLIFF_NS}}}target", {XML_LANG: "en", "state": state}).text = record.final
            for text in notes(record, glossary):
                ET.SubElement(unit, f"{{{XLIFF_NS}}}note", {"from": "workflow"}).text = text
            for match in matches(record):
                alt = ET.SubElement(unit, f"{{{XLIFF_NS}}}alt-trans", {
                    "match-quality": str(match.get("score", "")), "origin": str(match.get("origin", "tm"))})
                ET.SubElement(alt, f"{{{XLIFF_NS}}}source", {XML_LANG: "zh-CN"}).text = str(match.get("source", ""))
                ET.SubElement(alt, f"{{{XLIFF_NS}}}target", {XML_LANG: "en"}).text = str(match["target"])
    ET.indent(root, space=" ")
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def _po(chosen: Sequence[tuple[str, list[Record]]], glossary: Glossary) -> bytes:
    po = polib.POFile(wrapwidth=0)
    po.metadata = {"Project-Id-Version": "workflow export", "PO-Revision-Date": "", "Last-Translator": "",
                   "Language-Team": "English", "Language": "en", "MIME-Version": "1.0",
                   "Content-Type": "text/plain; charset=UTF-8", "Content-Transfer-Encoding": "8bit",
                   "X-Source-Language": "zh_CN", "X-Generator": f"workflow {__version__}"}
    for document, records in chosen:
        for record in records:
            po.append(polib.POEntry(
                msgctxt=f"{document}#{record.id}", msgid=record.source, msgstr=record.final,
                occurrences=[(document, str(record.line))], comment="\n".join(notes(record, glossary)),
                flags=[] if record.status == "reviewed" else ["fuzzy"]))
    text: str = po.__unicode__()
    return text.encode("utf-8")


# -- import ------------------------------------------------------------------------------------


def read_units(path: Path, shown: str) -> tuple[list[Unit], str]:
    """(units, the translator named in the file or "") of an XLIFF 1.2 or PO file."""
    data = path.read_bytes()
    if data.lstrip().startswith(b"<"):
        return _read_xliff(data, shown), ""
    try:
        po = polib.pofile(data.decode("utf-8"))
    except (UnicodeDecodeError, OSError, ValueError) as exc:
        raise InputError(f"is neither XLIFF nor a PO file that parses ({exc}).", path=shown) from None
    units = []
    for entry in po:
        document, _, ident = (entry.msgctxt or "").rpartition("#")
        if not document or not ident:
            raise InputError(f"entry {entry.msgid[:30]!r} has no `msgctxt` of the form <source>#<id>: it was not "
                             "exported by `workflow export`.", path=shown, line=entry.linenum)
        units.append(Unit(document, ident, entry.msgid, entry.msgstr, "fuzzy" not in entry.flags and bool(entry.msgstr),
                          entry.linenum))
    translator = po.metadata.get("Last-Translator", "").split("<")[0].strip()
    return units, "" if translator.upper() == "FULL NAME" else translator


def _read_xliff(data: bytes, shown: str) -> list[Unit]:
    try:
        root = SafeET.fromstring(data)
    except (SafeET.ParseError, ValueError) as exc:
        raise InputError(f"XLIFF does not parse ({exc}); export it again.", path=shown) from None
    ns = {"x": XLIFF_NS}
    if root.tag != f"{{{XLIFF_NS}}}xliff" or root.get("version") != "1.2":
        raise InputError("is not XLIFF 1.2 (urn:oasis:names:tc:xliff:document:1.2).", path=shown)
    units = []
    for file in root.findall("x:file", ns):
        document = file.get("original", "")
        for unit in file.iterfind(".//x:trans-unit", ns):
            source, target = unit.find("x:source", ns), unit.find("x:target", ns)
            if source is None or not unit.get("id"):
                raise InputError(f"a trans-unit of {document} has no id or no source.", path=shown)
            text = "".join(target.itertext()) if target is not None else ""
            state = target.get("state", "") if target is not None else "new"
            units.append(Unit(document, unit.get("id", ""), "".join(source.itertext()), text,
                              target is not None and state in READY))
    return units


def import_file(settings: Settings, path: Path, *, reviewer: str | None = None, now: str) -> ImportReport:
    shown = settings.rel(path)
    units, translator = read_units(path, shown)
    who = Reviewer(settings, reviewer or translator or None)
    glossary = load_glossary(settings.glossary, settings.root)
    report = ImportReport()
    by_document: dict[str, list[Unit]] = {}
    for unit in units:
        by_document.setdefault(unit.document, []).append(unit)
    for document, mine in by_document.items():
        try:
            report.documents.append(_import_document(settings, document, mine, glossary, who, now))
        except WorkflowError as exc:
            report.documents.append(ImportedDocument(source=document, output="", state="refused" if exc.exit_code == 1
                                                     else "error", message=str(exc), exit_code=exc.exit_code))
    report.reviewer = who.name
    return report


def _import_document(settings: Settings, document: str, units: Sequence[Unit], glossary: Glossary, who: Reviewer,
                     now: str) -> ImportedDocument:
    source = settings.resolve(Path(document))
    if not source.is_file():
        raise StaleImport("this Chinese file no longer exists; nothing was recorded for it.", path=document)
    doc = load(settings, source)
    out = settings.rel(doc.plan.output_path)
    if not doc.current:
        raise StaleImport("the Chinese changed since the export: run `workflow translate`, export again, and "
                          "translate the new file. Nothing was recorded for it.", path=document)
    if not doc.memory.output_is_recorded(doc.plan.output_hash):
        raise StaleImport(f"{out} has edits that are not recorded: run `workflow review {out}` first, then import "
                          "again. Nothing was recorded for it.", path=document)
    records = doc.records
    index = {r.id: i for i, r in enumerate(records)}
    edited = approved = unconfirmed = 0
    for unit in units:
        at = index.get(unit.id)
        if at is None or records[at].source != unit.source:
            raise StaleImport(f"segment {unit.id} is stale: its Chinese changed or is gone since the export. Export "
                              "again; nothing was recorded for this document.", path=document, line=unit.line or None)
        record = records[at]
        if not unit.ready:
            unconfirmed += bool(unit.target.strip()) and unit.target.strip("\n") != record.final
            continue
        target = unit.target.strip("\n")
        if target != record.final:
            try:
                validate_final(record.kind, target)
            except UnfitFinal as exc:
                raise StaleImport(f"segment {unit.id} ({record.kind}, line {record.line}): {exc.message}. Nothing "
                                  "was recorded for this document.", path=document) from None
        if target != record.final:
            records[at] = record_edit(record, target, who(), now)
            edited += 1
        elif record.status != "reviewed":
            records[at] = dataclasses.replace(record, status="reviewed", reviewer=who(), reviewed_at=now, reasons=())
            approved += 1
    note = (f"{unconfirmed} {'segment has' if unconfirmed == 1 else 'segments have'} new English that the file does "
            "not mark confirmed (PO: fuzzy; XLIFF: state not translated, final or signed-off), so it was not "
            "recorded: confirm it in the CAT tool and import again." if unconfirmed else "")
    if not edited and not approved:
        return ImportedDocument(source=document, output=out, state="unchanged", unconfirmed=unconfirmed, message=note)
    doc.plan.records = list(records)
    data = output_bytes(settings, doc.plan, glossary)
    try:
        refuse_code_change(settings, doc, data)
    except WorkflowError as exc:
        raise StaleImport(exc.message, path=document) from None
    _same_structure(records, data, out, doc.cut)
    memory = dataclasses.replace(doc.memory, segments=tuple(records), output_hash=sha256(data), output_hash_previous="")
    write_pair(doc.plan.memory_path, memory, doc.plan.output_path, data, doc.plan.output_hash)
    return ImportedDocument(source=document, output=out, state="imported", edited=edited, approved=approved,
                            unconfirmed=unconfirmed, message=note)


def _same_structure(records: Sequence[Record], data: bytes, out: str, cut: Callable[[str], list[Segment]]) -> None:
    """The imported English must read back as the same segments (no Markdown that adds or moves blocks)."""
    post = parse(data, out)
    body = [r for r in records if not r.kind.startswith("meta:")]
    try:
        found = attribute(body, post.body, cut(post.body))
    except Unaligned as exc:
        found = None
        problem = exc.message
    if found is None or found.finals:
        what = problem if found is None else "the English of a segment changes the Markdown structure"
        raise StaleImport(f"{what}. Remove the Markdown that makes a new block (a heading, list or quote marker "
                          "at a line start) and import again. Nothing was recorded for this document.", path=out)
