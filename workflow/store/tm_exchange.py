"""The translation memory in the formats translators' tools exchange: TMX 1.4b and gettext PO.

Export writes every unit a person wrote or approved (`tm.memory_units`), one per document
and Chinese text. Import reads a TMX (through defusedxml: the file is untrusted) or a PO
file (polib) into `output_en/.workflow/tm/<name>.tm`: sorted, deduplicated JSON named by
the file, so importing the same file twice writes the same bytes, and a file merges in git
like any text. Units are picked by language, not by direction: the OpenStack I18n team's
memories go from English to zh_CN, ours from Chinese to English; both give zh -> en units.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path
from typing import Iterable

import polib
from defusedxml import ElementTree as SafeET

from workflow.errors import InputError
from workflow.store.files import atomic_write
from workflow.store.tm import TM_DIR, TM_SUFFIX, Unit

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FORMATS = ("tmx", "po")


def export_units(units: Iterable[Unit]) -> list[Unit]:
    """One unit per (document, Chinese): the best, as the index ranks them; sorted for stable files."""
    chosen: dict[tuple[str, str], Unit] = {}
    for unit in units:
        key = (unit.origin, unit.source)
        if key not in chosen or (unit.status == "reviewed" and chosen[key].status != "reviewed"):
            chosen[key] = unit
    return [chosen[k] for k in sorted(chosen)]


def to_tmx(units: Iterable[Unit], version: str) -> bytes:
    root = ET.Element("tmx", version="1.4")
    ET.SubElement(root, "header", {"creationtool": "workflow", "creationtoolversion": version, "segtype": "paragraph",
                                   "o-tmf": "workflow-memory", "adminlang": "en", "srclang": "zh-CN",
                                   "datatype": "markdown"})
    body = ET.SubElement(root, "body")
    for unit in units:
        tu = ET.SubElement(body, "tu")
        for kind, value in (("x-origin", unit.origin), ("x-status", unit.status)):
            ET.SubElement(tu, "prop", type=kind).text = value
        for lang, text in (("zh-CN", unit.source), ("en", unit.target)):
            ET.SubElement(ET.SubElement(tu, "tuv", {XML_LANG: lang}), "seg").text = text
    ET.indent(root, space=" ")
    return b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + bytes(ET.tostring(root, encoding="utf-8")) + b"\n"


def to_po(units: Iterable[Unit], version: str) -> bytes:
    po = polib.POFile(wrapwidth=0)
    po.metadata = {"Project-Id-Version": "workflow translation memory", "Language": "en", "MIME-Version": "1.0",
                   "Content-Type": "text/plain; charset=UTF-8", "Content-Transfer-Encoding": "8bit",
                   "X-Generator": f"workflow {version}", "X-Source-Language": "zh_CN"}
    for unit in units:
        if unit.source.startswith("\n") != unit.target.startswith("\n") or \
                unit.source.endswith("\n") != unit.target.endswith("\n"):
            continue  # gettext requires msgid and msgstr to agree on a leading or trailing newline
        po.append(polib.POEntry(msgctxt=unit.origin, msgid=unit.source, msgstr=unit.target,
                                comment=f"status: {unit.status}"))
    return str(po).encode("utf-8") + (b"" if str(po).endswith("\n") else b"\n")


def read_file(path: Path, shown: str) -> list[tuple[str, str]]:
    """(Chinese, English) pairs of a TMX or PO file; InputError naming the line when it is malformed."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read it ({exc.strerror}).", path=shown) from None
    if path.suffix.lower() == ".po" or (path.suffix.lower() != ".tmx" and not data.lstrip().startswith(b"<")):
        return _read_po(data, shown)
    return _read_tmx(data, shown)


def _read_tmx(data: bytes, shown: str) -> list[tuple[str, str]]:
    try:
        root = SafeET.fromstring(data)
    except ET.ParseError as exc:
        raise InputError(f"is not well-formed XML ({exc}). Fix or re-export the file.", path=shown,
                         line=exc.position[0]) from None
    except Exception as exc:  # defusedxml refuses entities and DTDs: an attack or a file to clean up
        raise InputError(f"is refused ({type(exc).__name__}: {exc}).", path=shown) from None
    if root.tag != "tmx" or root.find("body") is None:
        raise InputError("is not a TMX file (no <tmx> with a <body>).", path=shown)
    pairs = []
    for tu in root.iter("tu"):
        texts: dict[str, str] = {}
        for tuv in tu.findall("tuv"):
            lang = (tuv.get(XML_LANG) or tuv.get("lang") or "").lower()
            seg = tuv.find("seg")
            if seg is not None and lang[:2] in ("zh", "en"):
                texts.setdefault(lang[:2], _seg_text(seg))
        if texts.get("zh", "").strip() and texts.get("en", "").strip():
            pairs.append((texts["zh"], texts["en"]))
    return pairs


def _seg_text(seg: ET.Element) -> str:
    """A segment's text without TMX inline markup (bpt/ept/ph hold the original format's codes)."""
    return (seg.text or "") + "".join(((child.text or "") if child.tag == "hi" else "") + (child.tail or "")
                                      for child in seg)


def _read_po(data: bytes, shown: str) -> list[tuple[str, str]]:
    try:
        po = polib.pofile(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("is not UTF-8 text. Re-export it as UTF-8.", path=shown) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"is not a PO file ({exc}).", path=shown, line=_po_line(str(exc))) from None
    swap = str(po.metadata.get("Language", "")).lower().startswith("zh")  # msgstr is the Chinese
    pairs = []
    for entry in po:
        if entry.obsolete or "fuzzy" in entry.flags or not entry.msgstr.strip():
            continue
        pairs.append((entry.msgstr, entry.msgid) if swap else (entry.msgid, entry.msgstr))
    return pairs


def _po_line(message: str) -> int | None:
    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else None


def store_name(origin: str) -> str:
    """The store's file name for an imported file: its project-relative path (or, from outside the
    project, its name) with folders joined by `__`, so `v1/zh_CN.po` and `v2/zh_CN.po`, or `p.tmx` and
    `p.po`, are two stores, and importing the same file again replaces its own store only."""
    name = origin.replace("/", "__")
    if "__" in origin:  # `a__b.po` is not `a/b.po`'s store
        name += "-" + format(zlib.crc32(origin.encode("utf-8", "surrogateescape")), "08x")
    return name + TM_SUFFIX


def write_store(memory_root: Path, origin: str, pairs: Iterable[tuple[str, str]]) -> tuple[Path, int]:
    """The imported units as sorted JSON (same file, same bytes); returns the path and the unit count.

    A store that an earlier version named by the file's stem alone (`p.tm` for `p.tmx`), holding
    the same file's units, is removed once the new one is written: the units are not held twice.
    """
    units = sorted(set(pairs))
    data = {"origin": origin, "schema": 1,
            "units": [{"source": zh, "target": en} for zh, en in units]}
    folder = memory_root / TM_DIR
    path = folder / store_name(origin)
    atomic_write(path, (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8"))
    old = folder / (Path(origin).stem + TM_SUFFIX)
    if old != path and "/" not in origin and _origin_of(old) == origin:
        # only a file at the project's top: the old store named `zh_CN.po` whichever folder it came from
        old.unlink(missing_ok=True)
    return path, len(units)


def _origin_of(store: Path) -> str | None:
    try:
        raw = json.loads(store.read_bytes())
    except (OSError, ValueError):
        return None
    return raw.get("origin") if isinstance(raw, dict) and isinstance(raw.get("origin"), str) else None
