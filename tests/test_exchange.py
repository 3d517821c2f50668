"""`workflow export` / `workflow import`: XLIFF 1.2 and PO, checked by independent readers.

PO files go through gettext's `msgfmt --check` (skipped where gettext is absent); XLIFF files
through Translate Toolkit's reader, run in its own environment (`WORKFLOW_TTK_PYTHON`, which
`.ci/run` sets to .venv-ttk/bin/python; skipped when unset). The round trip: what a translator
confirms in the file becomes reviewed edits, byte for byte in the English; stale ids refused.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import polib
import pytest
from conftest import cli_runner
from review_support import configure

from workflow.review.exchange import XLIFF_NS, matches, notes
from workflow.store.memory import Record
from workflow.store.memory import load as load_memory

CHINESE = """\
---
title: 柏林峰会
---

# 社区的变化

社区在发展，OpenStack不再只是云平台。

- 第一项：容器
- 第二项：边缘计算
"""
X = {"x": XLIFF_NS}


@pytest.fixture
def site(empty_project: Path) -> Path:
    configure(empty_project, engine="pseudo")
    (empty_project / "source_zh" / "c.md").write_text(CHINESE, encoding="utf-8")
    assert cli_runner(empty_project)("translate").exit_code == 0
    return empty_project


def records(root: Path) -> dict[str, Record]:
    mem = load_memory(root / "output_en" / ".workflow" / "c.md.json", "c")
    assert mem is not None
    return {r.source: r for r in mem.segments}


def test_po_round_trip_records_the_confirmed_entries(site: Path) -> None:
    run = cli_runner(site)
    done = run("export", "--format", "po", "-o", "c.po")
    assert done.exit_code == 0 and "wrote c.po: 5 segments of 1 documents." in done.output
    po = polib.pofile(str(site / "c.po"))
    assert {e.msgid for e in po} == {"柏林峰会", "社区的变化", "社区在发展，OpenStack不再只是云平台。", "第一项：容器", "第二项：边缘计算"}
    assert all("fuzzy" in e.flags and e.msgctxt.startswith("source_zh/c.md#") for e in po)
    by_zh = {e.msgid: e for e in po}
    by_zh["社区在发展，OpenStack不再只是云平台。"].msgstr = "The community grows: OpenStack is more than a cloud."
    by_zh["社区在发展，OpenStack不再只是云平台。"].flags = []
    by_zh["第一项：容器"].flags = []  # confirmed as it is: an approval
    by_zh["第二项：边缘计算"].msgstr = "Edge, not yet sure"  # still fuzzy: not recorded
    po.metadata["Last-Translator"] = "Lin Translator <lin@example.org>"
    po.save(str(site / "c.po"))
    done = run("import", "c.po")
    assert done.exit_code == 0, done.output
    assert "imported  output_en/c.md  (1 edited, 1 approved)" in done.output and "Reviewer: Lin Translator." in done.output
    assert "output_en/c.md: 1 segment has new English that the file does not mark confirmed" in done.output
    found = records(site)
    edited = found["社区在发展，OpenStack不再只是云平台。"]
    assert (edited.final, edited.status, edited.reviewer) == (
        "The community grows: OpenStack is more than a cloud.", "reviewed", "Lin Translator")
    assert found["第一项：容器"].status == "reviewed" and found["第二项：边缘计算"].status == "machine"
    english = (site / "output_en" / "c.md").read_text(encoding="utf-8")
    assert "\nThe community grows: OpenStack is more than a cloud.\n" in english
    assert run("check").exit_code == 0
    assert "1 documents: 1 unchanged." in run("translate").output


def test_xliff_round_trip_and_states(site: Path) -> None:
    run = cli_runner(site)
    assert run("export", "-o", "c.xlf").exit_code == 0
    tree = ET.parse(site / "c.xlf")
    units = tree.getroot().findall(".//x:trans-unit", X)
    assert len(units) == 5 and tree.getroot().get("version") == "1.2"
    heading = next(u for u in units if u.find("x:source", X).text == "社区的变化")  # type: ignore[union-attr]
    target = heading.find("x:target", X)
    assert target is not None and target.get("state") == "needs-review-translation"
    target.text, target.attrib["state"] = "How the community changed", "translated"
    item = next(u for u in units if u.find("x:source", X).text == "第二项：边缘计算")  # type: ignore[union-attr]
    item_target = item.find("x:target", X)
    assert item_target is not None
    item_target.text = "Changed but still needs review"  # state unchanged: not recorded
    tree.write(site / "c.xlf", encoding="utf-8", xml_declaration=True)
    done = run("import", "c.xlf", "--reviewer", "Ada")
    assert done.exit_code == 0, done.output
    assert records(site)["社区的变化"].final == "How the community changed"
    assert records(site)["第二项：边缘计算"].status == "machine"
    assert "# How the community changed\n" in (site / "output_en" / "c.md").read_text(encoding="utf-8")


def test_stale_ids_and_unrecorded_edits_are_refused_whole(site: Path) -> None:
    run = cli_runner(site)
    assert run("export", "--format", "po", "-o", "c.po").exit_code == 0
    po = polib.pofile(str(site / "c.po"))
    for entry in po:
        entry.msgstr, entry.flags = "Edited " + entry.msgid, []
    po.save(str(site / "c.po"))
    source = site / "source_zh" / "c.md"
    source.write_text(CHINESE.replace("第一项：容器", "第一项：容器安全"), encoding="utf-8")
    assert run("translate").exit_code == 0
    memory_before = (site / "output_en" / ".workflow" / "c.md.json").read_bytes()
    done = run("import", "c.po")
    assert done.exit_code == 1 and "is stale: its Chinese changed or is gone since the export" in done.output
    assert re.search(r"refused: source_zh/c.md:\d+: segment s[0-9a-f]+ is stale", done.output), done.output
    assert (site / "output_en" / ".workflow" / "c.md.json").read_bytes() == memory_before
    english = site / "output_en" / "c.md"
    english.write_text(english.read_text(encoding="utf-8") + "\nAn unrecorded edit.\n", encoding="utf-8")
    assert run("export", "--format", "po", "-o", "d.po").exit_code == 0
    done = run("import", "d.po")
    assert done.exit_code == 1 and "has edits that are not recorded: run `workflow review output_en/c.md`" in done.output


def test_an_import_that_would_change_the_structure_is_refused(site: Path) -> None:
    run = cli_runner(site)
    assert run("export", "--format", "po", "-o", "c.po").exit_code == 0
    po = polib.pofile(str(site / "c.po"))
    entry = next(e for e in po if e.msgid.startswith("社区在发展"))
    entry.msgstr, entry.flags = "# Not a paragraph any more", []
    po.save(str(site / "c.po"))
    before = (site / "output_en" / "c.md").read_bytes()
    done = run("import", "c.po")
    assert done.exit_code == 1 and "Nothing was recorded for this document." in done.output
    assert (site / "output_en" / "c.md").read_bytes() == before


def test_notes_carry_glossary_reasons_machine_and_matches() -> None:
    record = Record(id="s1", kind="paragraph", line=3, source_hash="", source="社区", machine="Shequ", final="Community",
                    status="needs-review", reasons=("the Chinese changed",))

    class WithMatches:  # the translation memory's `matches` (issue 10), read defensively
        def __getattr__(self, name: str) -> object:
            if name == "matches":
                return [{"score": 87, "source": "社区在", "target": "The community", "origin": "tm", "status": "reviewed"},
                        {"broken": True}]
            return getattr(record, name)

    from workflow.glossary.terms import Glossary
    lines = notes(WithMatches(), Glossary([]))  # type: ignore[arg-type]
    assert lines[0] == "paragraph, line 3, needs-review"
    assert "flagged: the Chinese changed" in lines and "machine: Shequ" in lines
    assert "match 87% (tm): 社区在 → The community" in lines
    assert matches(record) == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed (apt-get install gettext)")
def test_msgfmt_accepts_the_po_file(site: Path, tmp_path: Path) -> None:
    assert cli_runner(site)("export", "--format", "po", "--all", "-o", "c.po").exit_code == 0
    done = subprocess.run(["msgfmt", "--check", "-o", str(tmp_path / "c.mo"), str(site / "c.po")],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "warning" not in done.stderr, done.stderr


TTK_READER = textwrap.dedent("""\
    import json, sys
    from translate.storage import factory
    store = factory.getobject(sys.argv[1])
    print(json.dumps([[u.getid(), u.source, u.target, u.isfuzzy()] for u in store.units if not u.isheader()],
                     ensure_ascii=False))
""")


@pytest.mark.skipif(not os.environ.get("WORKFLOW_TTK_PYTHON"),
                    reason="WORKFLOW_TTK_PYTHON is unset (.ci/run sets it to a venv with translate-toolkit)")
@pytest.mark.parametrize("fmt", ["xliff", "po"])
def test_translate_toolkit_reads_the_exported_file(site: Path, tmp_path: Path, fmt: str) -> None:
    import json

    name = "c.xlf" if fmt == "xliff" else "c.po"
    assert cli_runner(site)("export", "--format", fmt, "-o", name).exit_code == 0
    script = tmp_path / "read.py"
    script.write_text(TTK_READER, encoding="utf-8")
    done = subprocess.run([os.environ["WORKFLOW_TTK_PYTHON"], str(script), str(site / name)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    units = json.loads(done.stdout)
    found = {source: target for _, source, target, _ in units}
    mine = records(site)
    assert found == {zh: r.final for zh, r in mine.items()}
    assert all(uid for uid, *_ in units)


def test_an_output_in_a_missing_folder_is_refused_and_creates_nothing(site: Path) -> None:
    run = cli_runner(site)
    for args in (["export", "-o", "nope/c.xlf"], ["memory", "export", "--format", "po", "-o", "nope/m.po"]):
        result = run(*args)
        assert result.exit_code == 2, result.output
        assert "the folder" in result.output and "does not exist" in result.output
        assert not (site / "nope").exists()


@pytest.mark.parametrize("english, what", [("The community grows.\n\n## A heading of its own", "makes a heading"),
                                           ("The community grows.\n- and a list", "makes a list"),
                                           ("The community grows.\n\n```\ncode\n```", "makes a code block")])
def test_an_import_that_adds_a_block_inside_a_segment_is_refused(site: Path, english: str, what: str) -> None:
    run = cli_runner(site)
    assert run("export", "--format", "po", "-o", "c.po").exit_code == 0
    po = polib.pofile(str(site / "c.po"))
    entry = next(e for e in po if e.msgid.startswith("社区在发展"))
    entry.msgstr, entry.flags = english, []
    po.save(str(site / "c.po"))
    before = ((site / "output_en" / "c.md").read_bytes(), (site / "output_en" / ".workflow" / "c.md.json").read_bytes())
    done = run("import", "c.po")
    assert done.exit_code == 1 and what in done.output and "Nothing was recorded for this document." in done.output
    assert re.search(r"refused: source_zh/c.md: segment s[0-9a-f]+ \(paragraph, line \d+\): this English", done.output)
    assert ((site / "output_en" / "c.md").read_bytes(),
            (site / "output_en" / ".workflow" / "c.md.json").read_bytes()) == before
