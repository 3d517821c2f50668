"""Glossary enforcement around the engine, and glossary changes marking exactly the right segments stale."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable

import pytest
from conftest import cli_runner

from workflow.config import load_settings
from workflow.engines import Progress
from workflow.engines.pseudo import pseudo
from workflow.glossary.enforce import Enforcer, Stats
from workflow.glossary.terms import Entry, Glossary, entry_of, load, parse_table, stale
from workflow.store.memory import EngineInfo, Memory
from workflow.store.memory import load as load_memory
from workflow.translate.run import translate

GLOSSARY = """\
zh\ten\tkind\tcase\tnote\tsource
OpenStack基金会\tOpenStack Foundation\tname\t\t\t
中国移动\tChina Mobile\tname\t\t\t
OpenStack\tOpenStack\tkeep\t\t\t
容器\tcontainer\tterm\t\t\t
从卷启动\tboot from volume\tterm\t\t\t
实例\tinstance\tterm\t\t\t
Redhat\tRed Hat\tname\t\t\t
"""
SENTENCE = "OpenStack基金会和中国移动在容器上从卷启动实例。"
HAN = re.compile(r"[\u4e00-\u9fff]")


def mini_project(root: Path, files: dict[str, str], glossary: str = GLOSSARY, engine: str = "pseudo") -> Path:
    (root / "source_zh").mkdir(parents=True)
    (root / "glossary").mkdir()
    (root / "glossary" / "g.tsv").write_text(glossary, encoding="utf-8")
    for name, text in files.items():
        (root / "source_zh" / name).write_text(text, encoding="utf-8")
    (root / "pyproject.toml").write_text(f'[tool.workflow]\nengine = "{engine}"\n', encoding="utf-8")
    return root


class Recorder:
    """A non-identity engine: `transform` on each text, remembering what it was asked."""

    identity = False

    def __init__(self, transform: Callable[[str], str] = pseudo, name: str = "pseudo") -> None:
        self.info = EngineInfo(name, version="1")
        self.transform = transform
        self.texts: list[str] = []

    def translate(self, texts: list[str], progress: Progress | None = None) -> list[str]:
        self.texts += texts
        return [self.transform(t) for t in texts]


def mangle(text: str) -> str:
    """Chinese -> 'z'; loses <x1001/>, doubles <x1002/>, rewrites term 1003, loses term 1004, breaks pair 1005."""
    text = HAN.sub("z", text)
    text = text.replace("<x1001/>", "").replace("<x1002/>", "<x1002/> <x1002/>")
    text = text.replace("<g1003>container</g1003>", "<g1003>bucket</g1003>")
    text = text.replace("<g1004>boot from volume</g1004>", "")
    return text.replace("</g1005>", "")


def memory_of(root: Path, name: str) -> Memory:
    memory = load_memory(root / "output_en" / ".workflow" / (name + ".json"), name)
    assert memory is not None
    return memory


# -- prepare / finish ------------------------------------------------------------------------


def test_prepare_masks_names_and_inlines_terms() -> None:
    enforcer = Enforcer(Glossary(_entries()))
    prepared = enforcer.prepare(SENTENCE)
    assert prepared.text == ("<x1001/>和<x1002/>在<g1003>container</g1003>上"
                             "<g1004>boot from volume</g1004><g1005>instance</g1005>。")
    assert [t.entry.zh for t in prepared.terms] == ["OpenStack基金会", "中国移动", "容器", "从卷启动", "实例"]


def test_prepare_leaves_the_segments_own_placeholders_alone() -> None:
    enforcer = Enforcer(Glossary(_entries()))
    assert enforcer.prepare("<x1/>容器<g2>OpenStack</g2>").text == (
        "<x1/><g1001>container</g1001><g2><x1002/></g2>")


def test_finish_with_a_faithful_engine() -> None:
    enforcer = Enforcer(Glossary(_entries()))
    prepared = enforcer.prepare(SENTENCE)
    stats = Stats()
    out = ("<x1001/> and <x1002/> <g1004>boot from volume</g1004> <G1005>instances</g1005> "
           "on < g1003 >containers</g1003>.")
    assert enforcer.finish(out, prepared, stats) == (
        "OpenStack Foundation and China Mobile boot from volume instances on containers.", [])
    assert (stats.enforced, stats.repaired, stats.missed) == (5, 0, 0)


def test_finish_repairs_or_flags_a_mangling_engine() -> None:
    enforcer = Enforcer(Glossary(_entries()))
    prepared = enforcer.prepare(SENTENCE)
    stats = Stats()
    text, reasons = enforcer.finish(mangle(prepared.text), prepared, stats)
    assert text == "z China Mobile z container z instance。"
    assert reasons == [
        "glossary term OpenStack基金会 → OpenStack Foundation lost by the engine",
        "glossary term 中国移动 → China Mobile duplicated by the engine; extra copy removed",
        "glossary term 从卷启动 → boot from volume lost by the engine",
    ]
    assert (stats.enforced, stats.repaired, stats.missed) == (3, 2, 2)
    assert stats.missed_terms == ["OpenStack基金会", "从卷启动"]


def test_lone_marker_gets_the_term_in_place() -> None:
    enforcer = Enforcer(Glossary(_entries()))
    prepared = enforcer.prepare("容器很好")
    stats = Stats()
    assert enforcer.finish("</g1001> is good", prepared, stats) == (
        "Container is good", ["glossary term 容器 → container misplaced by the engine; inserted where its marker was"])
    assert (stats.enforced, stats.repaired, stats.missed) == (1, 1, 0)


def test_sentence_start_and_word_spacing() -> None:
    enforcer = Enforcer(Glossary(_entries()))
    prepared = enforcer.prepare("容器和OpenStack")
    text, reasons = enforcer.finish("<g1001>xx</g1001>and<x1002/>", prepared, Stats())
    assert (text, reasons) == ("Container and OpenStack", [])


def test_apply_without_engine() -> None:
    enforcer = Enforcer(Glossary(_entries()))
    assert enforcer.apply("Redhat and openstack") == "Red Hat and OpenStack"
    assert enforcer.apply("no terms  here") == "no terms  here"


def _entries() -> list[Entry]:
    table = parse_table(GLOSSARY, Path("g.tsv"), "g.tsv", "\t")
    return [entry_of(r, "g.tsv") for r in table.rows]


# -- through the pipeline --------------------------------------------------------------------


def test_pipeline_with_a_mangling_engine(tmp_path: Path) -> None:
    root = mini_project(tmp_path / "p", {"x.md": f"# 容器\n\n{SENTENCE}\n"})
    engine = Recorder(mangle, "mangler")
    report = translate(load_settings(root), engine=engine)
    assert engine.texts == ["<g1001>container</g1001>", Enforcer(Glossary(_entries())).prepare(SENTENCE).text]
    g = report.glossary
    assert (g.enforced, g.repaired, g.missed) == (5, 2, 2)  # heading, derived title, paragraph
    records = {r.kind: r for r in memory_of(root, "x.md").segments}
    assert records["heading-1"].final == "container" and records["heading-1"].status == "machine"
    paragraph = records["paragraph"]
    assert paragraph.status == "needs-review"
    assert paragraph.final == "z China Mobile z container z instance."
    assert paragraph.reasons == (
        "glossary term OpenStack基金会 → OpenStack Foundation lost by the engine",
        "glossary term 中国移动 → China Mobile duplicated by the engine; extra copy removed",
        "glossary term 从卷启动 → boot from volume lost by the engine",
    )


def test_translate_reports_enforced_repaired_missed(tmp_path: Path) -> None:
    root = mini_project(tmp_path / "p", {"x.md": f"# 容器\n\n{SENTENCE}\n"})
    result = cli_runner(root)("translate", "--engine", "pseudo")
    assert result.exit_code == 0, result.output
    # pseudo accents the words inside the term markers: each term is repaired in place.
    assert "engine pseudo 1: 2 sentences; glossary: 7 terms enforced, 5 repaired, 0 missed." in result.output
    english = (root / "output_en" / "x.md").read_text(encoding="utf-8")
    assert "# Container\n" in english
    assert "OpenStack Foundation" in english and "China Mobile" in english and "boot from volume" in english
    result = cli_runner(root)("translate", "--engine", "pseudo", "--format", "json")
    assert json.loads(result.output)["glossary"] == {"enforced": 0, "repaired": 0, "missed": 0, "missed_terms": []}


def test_copy_engine_is_not_enforced(tmp_path: Path) -> None:
    source = f"# 容器\n\n{SENTENCE}\n"
    root = mini_project(tmp_path / "p", {"x.md": source}, engine="copy")
    report = translate(load_settings(root))
    assert (report.glossary.enforced, report.glossary.repaired, report.glossary.missed) == (0, 0, 0)
    assert (root / "output_en" / "x.md").read_text(encoding="utf-8").endswith(source)


def test_pseudo_on_the_articles_misses_nothing(project: Path) -> None:
    engine = Recorder()
    report = translate(load_settings(project), engine=engine)
    assert report.glossary.enforced > 800 and report.glossary.missed == 0
    assert any("<g1001>" in t for t in engine.texts) and any("<x1001/>" in t for t in engine.texts)
    for path in (project / "output_en").glob("*.md"):
        assert not re.search(r"<[gx]?/?1\d\d\d/?>", path.read_text(encoding="utf-8"))


# -- a glossary change marks exactly the segments that contain the term ----------------------


def edit_glossary(root: Path, old: str, new: str | None) -> None:
    path = root / "glossary" / "openstack.tsv"
    lines = path.read_text(encoding="utf-8").split("\n")
    index = next(i for i, line in enumerate(lines) if line.split("\t")[0] == old)
    if new is None:
        del lines[index]
    else:
        lines[index] = new
    path.write_text("\n".join(lines), encoding="utf-8")


def translated_articles(project: Path) -> dict[str, Memory]:
    translate(load_settings(project), engine=Recorder())
    return {p.name: memory_of(project, p.name) for p in sorted((project / "source_zh").glob("*.md"))}


def mark_reviewed(project: Path, name: str, ids: set[str]) -> None:
    path = project / "output_en" / ".workflow" / (name + ".json")
    data = json.loads(path.read_text(encoding="utf-8"))
    for segment in data["segments"]:
        if segment["id"] in ids:
            segment.update(status="reviewed", reviewer="editor")
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


CHANGES = {
    "changed": ("中国移动", "中国移动\tChina Mobile Communications\tname\t\t\tofficial-name"),
    "removed": ("中国移动", None),
    "added": ("边缘计算", None),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_glossary_change_restales_exactly_the_segments_containing_it(project: Path, change: str) -> None:
    term, new_line = CHANGES[change]
    path = project / "glossary" / "openstack.tsv"
    full = path.read_text(encoding="utf-8")
    if change == "added":  # translate without the entry, then add it back
        new_line = next(line for line in full.split("\n") if line.startswith(term + "\t"))
        edit_glossary(project, term, None)
    old_glossary = load(project / "glossary", project)
    before = translated_articles(project)
    if change == "added":
        path.write_text(full, encoding="utf-8")
    else:
        edit_glossary(project, term, new_line)
    new_glossary = load(project / "glossary", project)

    def contains(source: str) -> bool:
        return any(m.entry.zh == term for g in (old_glossary, new_glossary) for m in g.match(source))

    containing = {(n, r.id) for n, m in before.items() for r in m.segments if contains(r.source)}
    assert len(containing) >= 3
    assert {(n, r.id) for n, m in before.items() for r in m.segments if stale(r, new_glossary)} == containing
    human = sorted(containing)[0]  # one holds an editor's work; the others are machine text
    mark_reviewed(project, human[0], {human[1]})
    before = {name: memory_of(project, name) for name in before}
    stale_lines = cli_runner(project)("glossary", "check").output.splitlines()
    assert sum("glossary-stale" in line for line in stale_lines) == len(containing)

    engine = Recorder()
    translate(load_settings(project), engine=engine)
    assert engine.texts  # the machine segments went back to the engine
    for name, memory in before.items():
        old = {r.id: r for r in memory.segments}
        for record in memory_of(project, name).segments:
            previous = old[record.id]
            if (name, record.id) not in containing:
                assert record == previous, (name, record.id)  # untouched, byte for byte
                continue
            assert not stale(record, new_glossary)
            if (name, record.id) == human:
                assert (record.final, record.status) == (previous.final, "needs-review")
                assert record.reasons[-1] == ("glossary entries for this Chinese changed since it was reviewed; "
                                              "check the English")
            elif change == "changed":
                assert "China Mobile Communications" in record.final
            elif change == "removed":
                assert "China Mobile" not in record.final
    second = Recorder()
    translate(load_settings(project), engine=second)
    assert second.texts == []
