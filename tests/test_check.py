"""`workflow check` and `workflow status` as CI runs them: every finding kind, exit codes, formats, speed rules."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from click.testing import Result
from conftest import REPO

from workflow.config import load_settings
from workflow.report import check as check_mod
from workflow.report.check import FINDING_KINDS, check
from workflow.store import memory_scan
from workflow.store.memory import Memory, parse

BERLIN = "2018-11-15-openstack-berlin-summit-impressions.md"
BOSTON = "2017-05-08-openstack-boston-summit.md"
NAMES = sorted(p.name for p in (REPO / "source_zh").glob("*.md"))

Run = Callable[..., Result]


@pytest.fixture
def translated(project: Path, run: Run) -> Path:
    result = run("translate")
    assert result.exit_code == 0, result.output
    return project


def lines_of(result: Result) -> list[str]:
    """The finding lines (everything before the summary line)."""
    return result.stdout.splitlines()[:-1]


def memory_file(root: Path, name: str) -> Path:
    return root / "output_en" / ".workflow" / f"{name}.json"


def rewrite_memory(root: Path, name: str, change: Callable[[Memory], Memory]) -> None:
    path = memory_file(root, name)
    path.write_bytes(change(parse(path.read_bytes(), str(path))).to_bytes())


def line_number(path: Path, text: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


# -- clean, missing --------------------------------------------------------------------------


def test_a_fresh_translation_is_current(translated: Path, run: Run) -> None:
    result = run("check")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "check passed: 5 documents current; 181 segments: 44 reviewed, 0 need review, 137 machine-translated, 0 stale."]


def test_sources_without_translation_are_missing(project: Path, run: Run) -> None:
    result = run("check")
    assert result.exit_code == 1
    assert lines_of(result) == [
        f"source_zh/{name}:1: missing: no English translation. Run `workflow translate source_zh/{name}`."
        for name in NAMES]
    assert result.stdout.splitlines()[-1].startswith("check failed: 5 findings (5 missing) in 5 documents; ")


def test_a_deleted_english_file_or_memory_is_missing(translated: Path, run: Run) -> None:
    (translated / "output_en" / BERLIN).unlink()
    memory_file(translated, BOSTON).unlink()
    result = run("check")
    assert result.exit_code == 1
    assert lines_of(result) == [
        f"source_zh/{BOSTON}:1: missing: output_en/{BOSTON} has no memory (output_en/.workflow/{BOSTON}.json): "
        "workflow did not write it, or its memory was deleted. Restore the memory from git, or run "
        "`workflow translate --force` to adopt the English.",
        f"source_zh/{BERLIN}:1: missing: the English file output_en/{BERLIN} was deleted. "
        f"Run `workflow translate source_zh/{BERLIN}` to write it again.",
    ]


# -- stale: the Chinese changed ----------------------------------------------------------------


def test_an_edited_paragraph_is_stale_at_its_line(translated: Path, run: Run) -> None:
    source = translated / "source_zh" / BERLIN
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("收益颇丰，感慨良多", "收益很大"), encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    assert lines_of(result) == [
        f"source_zh/{BERLIN}:7: stale: paragraph changed since it was translated: «整个日程安排的满满当当，议题全程听下来，收益很大。». "
        "Run `workflow translate`."]
    assert run("translate").exit_code == 0
    assert run("check").exit_code == 0


def test_added_and_removed_paragraphs_are_named(translated: Path, run: Run) -> None:
    source = translated / "source_zh" / BERLIN
    text = source.read_text(encoding="utf-8")
    text = text.replace("整个日程安排的满满当当，议题全程听下来，收益颇丰，感慨良多。\n\n", "")
    text = text.replace("## 一、社区在发展\n", "## 一、社区在发展\n\n新增的一段话，介绍社区。\n")
    source.write_text(text, encoding="utf-8")
    added = line_number(source, "新增的一段话")
    heading = line_number(source, "## 一、社区在发展")
    result = run("check")
    assert result.exit_code == 1
    assert lines_of(result) == [
        f"source_zh/{BERLIN}:{heading}: stale: paragraph removed since it was translated (was line 7): "
        "«整个日程安排的满满当当，议题全程听下来，收益颇丰，感慨良多。». Run `workflow translate`.",
        f"source_zh/{BERLIN}:{added}: stale: new paragraph: «新增的一段话，介绍社区。». Run `workflow translate`.",
    ]


def test_a_change_outside_translated_text_is_stale_too(translated: Path, run: Run) -> None:
    source = translated / "source_zh" / BOSTON
    source.write_text(source.read_text(encoding="utf-8").replace("tags: [OpenStack]", "tags: [OpenStack, Summit]"),
                      encoding="utf-8")
    result = run("check")
    assert lines_of(result) == [
        f"source_zh/{BOSTON}:1: stale: the Chinese changed outside the translated text (markup, code, links or "
        "front matter the English copies). Run `workflow translate`."]
    assert result.exit_code == 1


def test_only_changed_sources_are_parsed(translated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import workflow.store.post
    import workflow.text.segment

    parsed: list[str] = []
    real = workflow.text.segment.segment_body

    def segment_body(body: str, env: dict[str, object] | None = None, **options: Any) -> object:
        parsed.append(body)
        return real(body, env, **options)

    monkeypatch.setattr(workflow.text.segment, "segment_body", segment_body)
    monkeypatch.setattr(workflow.store.post, "parse", _no_parse(workflow.store.post.parse, {f"source_zh/{BOSTON}"}))
    settings = load_settings(translated)
    assert check(settings).exit_code == 0 and parsed == []
    source = translated / "source_zh" / BOSTON
    source.write_bytes(source.read_bytes().replace("如期举办".encode(), "顺利举办".encode()))
    report = check(settings)
    assert [f.kind for f in report.findings] == ["stale"] and len(parsed) == 1


def _no_parse(real: Callable[..., object], allowed: set[str]) -> Callable[..., object]:
    def parse_post(data: bytes, path: str) -> object:
        assert path in allowed, f"{path} was parsed although it did not change"
        return real(data, path)

    return parse_post


# -- glossary and model ------------------------------------------------------------------------


def test_a_glossary_change_marks_exactly_the_segments_it_touches(translated: Path, run: Run) -> None:
    with open(translated / "glossary" / "openstack.tsv", "a", encoding="utf-8") as handle:
        handle.write("满满当当\tpacked\tterm\t\t\ttest\n")
    result = run("check")
    assert result.exit_code == 1
    assert lines_of(result) == [
        f"source_zh/{BERLIN}:7: glossary-stale: glossary entries for this paragraph changed: "
        "«整个日程安排的满满当当，议题全程听下来，收益颇丰，感慨良多。». Run `workflow translate` to re-translate it."]


def test_a_recorded_glossary_hash_skips_the_fingerprints(translated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """translate records the glossary's identity: while it is current, no fingerprint is recomputed."""
    from workflow.glossary import terms as glossary

    settings = load_settings(translated)
    current = glossary.load(settings.glossary).identity
    assert all(parse(memory_file(translated, n).read_bytes(), n).glossary_hash == current for n in NAMES)

    def refuse(self: object, text: str) -> str:
        raise AssertionError("fingerprint recomputed")

    monkeypatch.setattr(glossary.Glossary, "fingerprint", refuse)
    assert check(settings).findings == ()
    monkeypatch.undo()
    with open(translated / "glossary" / "openstack.tsv", "a", encoding="utf-8") as handle:
        handle.write("满满当当\tpacked\tterm\t\t\ttest\n")
    assert [(f.kind, f.line) for f in check(settings).findings] == [("glossary-stale", 7)]


def test_translate_records_a_new_glossary_that_touches_no_segment(translated: Path, run: Run) -> None:
    from workflow.glossary import terms as glossary

    english = {n: (translated / "output_en" / n).read_bytes() for n in NAMES}
    with open(translated / "glossary" / "openstack.tsv", "a", encoding="utf-8") as handle:
        handle.write("量子计算\tquantum computing\tterm\t\t\ttest\n")  # in no article
    result = run("translate")
    assert result.exit_code == 0 and "5 documents: 5 unchanged." in result.output
    current = glossary.load(load_settings(translated).glossary).identity
    assert all(parse(memory_file(translated, n).read_bytes(), n).glossary_hash == current for n in NAMES)
    assert {n: (translated / "output_en" / n).read_bytes() for n in NAMES} == english


def test_machine_text_of_another_engine_is_model_stale(translated: Path, run: Run) -> None:
    # As if an earlier run had used another engine (recorded per segment): copy is configured now.
    rewrite_memory(translated, BOSTON, lambda m: dataclasses.replace(m, segments=tuple(
        dataclasses.replace(r, engine="pseudo", model="m1", model_hash="abc") if r.engine else r for r in m.segments)))
    result = run("check")
    assert result.exit_code == 1
    assert lines_of(result) == [
        f"source_zh/{BOSTON}:11: model-stale: 18 machine-translated segment(s) come from pseudo m1 (abc), not the "
        "configured copy. Run `workflow translate` to re-translate them (reviewed segments are kept)."]


def test_model_stale_for_argos_reads_the_installed_package_without_argostranslate(
        translated: Path, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import zipfile

    from argos_package import build_package

    (translated / "pyproject.toml").write_text('[tool.workflow]\nengine = "argos"\n', encoding="utf-8")
    packages = tmp_path / "argos-packages"
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(packages))
    result = run("check", "--format", "json")  # nothing installed: the model translate would use is unknown
    assert result.exit_code == 0
    assert json.loads(result.stdout)["notes"] == [
        "model-stale not checked: the argos package `translate-zh_en` is not installed here, so the model "
        "`workflow translate` would use is unknown. `workflow translate` re-translates machine segments of an "
        "older model."]
    with zipfile.ZipFile(build_package(tmp_path)) as archive:
        archive.extractall(packages)
    result = run("check")  # the copy engine's machine text is stale against the installed argos model
    assert result.exit_code == 1
    assert (f"source_zh/{BOSTON}:11: model-stale: 18 machine-translated segment(s) come from copy, not the "
            "configured argos translate-zh_en (") in result.output


# -- the English side --------------------------------------------------------------------------


def test_edited_english_is_unrecorded(translated: Path, run: Run) -> None:
    english = translated / "output_en" / BOSTON
    english.write_text(english.read_text(encoding="utf-8") + "\nAn editor's sentence.\n", encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    assert lines_of(result) == [
        f"output_en/{BOSTON}:1: unrecorded-edits: the English has edits that memory does not know. "
        f"Run `workflow review output_en/{BOSTON}` to record them."]


def test_english_in_flight_is_recorded(translated: Path, run: Run) -> None:
    """A crash between the writes leaves output_hash_previous: the old English is still the tool's."""
    english = translated / "output_en" / BOSTON
    old = english.read_bytes()
    rewrite_memory(translated, BOSTON, lambda m: dataclasses.replace(
        m, output_hash="sha256:" + "0" * 64, output_hash_previous=check_mod.sha256(old)))
    assert run("check").exit_code == 0


def test_unreviewed_fails_only_with_require_reviewed(translated: Path, run: Run) -> None:
    assert run("check").exit_code == 0
    result = run("check", "--require-reviewed", f"source_zh/{BOSTON}")
    assert result.exit_code == 1
    line = line_number(translated / "output_en" / BOSTON, "title: ")  # the first: the title, in the front matter
    assert lines_of(result) == [
        f"output_en/{BOSTON}:{line}: unreviewed: 18 of 29 segments are machine translation nobody reviewed. "
        f"Check the English, then `workflow review --approve output_en/{BOSTON}`."]


def test_needs_review_warns_and_fails_only_with_require_reviewed(translated: Path, run: Run) -> None:
    def flag(memory: Memory) -> Memory:
        segments = list(memory.segments)
        index = next(i for i, r in enumerate(segments) if "Hynes" in r.source)
        segments[index] = dataclasses.replace(segments[index], status="needs-review", reasons=("glossary term missed: 峰会",))
        return dataclasses.replace(memory, segments=tuple(segments))

    rewrite_memory(translated, BOSTON, flag)
    for name in NAMES:  # everything else reviewed: only the flag remains
        if name != BOSTON:
            rewrite_memory(translated, name, lambda m: dataclasses.replace(m, segments=tuple(
                dataclasses.replace(r, status="reviewed") for r in m.segments)))
    english = translated / "output_en" / BOSTON
    line = line_number(english, "Hynes")
    expected = (f"output_en/{BOSTON}:{line}: needs-review: glossary term missed: 峰会. Check the English, then "
                f"`workflow review output_en/{BOSTON}`.")
    result = run("check")
    assert result.exit_code == 0
    assert lines_of(result) == [expected]
    assert result.stdout.splitlines()[-1].startswith("check passed with 1 warning (1 needs-review) in 5 documents; ")
    strict = run("check", "--require-reviewed", f"source_zh/{BOSTON}")
    assert strict.exit_code == 1
    assert lines_of(strict)[0].startswith(f"output_en/{BOSTON}:3: unreviewed: 17 of 29 segments")
    assert lines_of(strict)[1] == expected
    github = run("check", "--format", "github")
    assert github.stdout.splitlines()[0] == (
        f"::warning file=output_en/{BOSTON},line={line},title=needs-review::glossary term missed: 峰会. Check the "
        f"English, then `workflow review output_en/{BOSTON}`.")


# -- orphans and damaged memory ---------------------------------------------------------------


def test_a_deleted_source_leaves_orphans(translated: Path, run: Run) -> None:
    (translated / "source_zh" / BOSTON).unlink()
    result = run("check")
    assert result.exit_code == 1
    assert lines_of(result) == [
        f"output_en/.workflow/{BOSTON}.json:1: orphan: memory of a deleted source source_zh/{BOSTON}. "
        "Restore the source (git), or delete the memory once nothing in it is wanted (a renamed article: run "
        "`workflow translate` first, which reuses its English).",
        f"output_en/{BOSTON}:1: orphan: no Chinese source source_zh/{BOSTON}. Delete the English file, "
        "or restore the source (git).",
    ]


def test_published_bilingual_pages_are_not_orphans(translated: Path, run: Run) -> None:
    assert run("publish").exit_code == 0
    assert list((translated / "output_en" / "bilingual").glob("*.md"))
    assert run("check").exit_code == 0


def test_memory_that_does_not_parse_is_corrupt(translated: Path, run: Run) -> None:
    path = memory_file(translated, BOSTON)
    path.write_text(path.read_text(encoding="utf-8").replace('"schema": 3,', '"schema": 3', 1), encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    (line,) = [n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
               if text.startswith(' "source":')]  # the key after the broken line
    assert lines_of(result) == [
        f"output_en/.workflow/{BOSTON}.json:{line}: corrupt-memory: memory file does not parse (Expecting ',' "
        "delimiter). Restore it from git."]


def test_a_merge_conflict_in_memory_is_corrupt(translated: Path, run: Run) -> None:
    path = memory_file(translated, BOSTON)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(' "output":', '<<<<<<< HEAD\n "output":', 1), encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    assert [line.split(": ")[1] for line in lines_of(result)] == ["corrupt-memory"]


def test_an_unknown_schema_is_corrupt(translated: Path, run: Run) -> None:
    path = memory_file(translated, BOSTON)
    path.write_text(path.read_text(encoding="utf-8").replace('"schema": 3,', '"schema": 4,'), encoding="utf-8")
    result = run("check", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["findings"] == [{
        "path": f"output_en/.workflow/{BOSTON}.json", "line": 1, "kind": "corrupt-memory", "severity": "error",
        "detail": "unknown memory schema 4; this workflow reads schema 1, 2, 3. Upgrade workflow or restore the file from git."}]


def test_memory_in_another_layout_is_parsed_in_full(translated: Path, run: Run) -> None:
    path = memory_file(translated, BOSTON)
    data = path.read_bytes()
    assert memory_scan.scan(data, None) is not None
    path.write_text(json.dumps(json.loads(data), indent=4, ensure_ascii=False), encoding="utf-8")
    assert memory_scan.scan(path.read_bytes(), None) is None
    assert run("check").exit_code == 0


def test_the_scan_reads_what_a_full_parse_reads(translated: Path) -> None:
    from workflow.store.memory import EngineInfo

    rewrite_memory(translated, BOSTON, lambda m: dataclasses.replace(m, segments=tuple(
        dataclasses.replace(r, status="needs-review", reasons=("x",)) if i % 3 == 0 else r
        for i, r in enumerate(m.segments)), output_hash_previous="sha256:" + "1" * 64))
    infos = [None, EngineInfo("copy"), EngineInfo("pseudo"), EngineInfo("libretranslate", model="127.0.0.1:5000")]
    for name in NAMES:
        data = memory_file(translated, name).read_bytes()
        memory = parse(data, name)
        proposed = memory.to_bytes()  # as translate writes it: with the derived summary
        memory.extra["summary"] = {"machine": "3", "engines": [["copy"]]}  # not as written: counted instead
        for raw in (data, proposed, memory.to_bytes()):
            for info in infos:
                assert memory_scan.scan(raw, info) == memory_scan.Header.of(memory, info), (name, info)


def test_the_model_rule_is_translates() -> None:
    from workflow.document import plan
    from workflow.store.memory import EngineInfo, Record, model_stale

    records = [Record(id="s1", kind="paragraph", line=1, source_hash="h", source="中", machine="m", final="m", status=status, engine=engine, model=model,
                      model_hash=digest, reviewer=reviewer)
               for status in ("machine", "needs-review", "reviewed") for engine in ("", "copy", "argos")
               for model, digest in (("", ""), ("zh_en", "abc")) for reviewer in ("", "workflow")]
    infos = [None, EngineInfo("copy"), EngineInfo("argos", "zh_en", "1.0", "abc"), EngineInfo("argos", "zh_en")]
    assert memory_scan.model_stale is plan.model_stale is model_stale  # one rule for translate and check
    stale = {(r.status, r.engine, r.model, r.reviewer, i) for r in records for i in infos if model_stale(r, i)}
    machine = [(status, reviewer) for status in ("machine", "needs-review") for reviewer in ("", "workflow")]
    machine.append(("reviewed", "workflow"))  # the tool's own "nothing to translate" is no editor's work
    assert stale == {(status, engine, model, reviewer, i) for status, reviewer in machine
                     for engine in ("copy", "argos") for model in ("", "zh_en") for i in infos[1:]
                     if (engine, model, "abc" if model else "") != (i.name, i.model, i.model_hash)}


# -- formats, paths, usage ---------------------------------------------------------------------


def test_json_report_shape(translated: Path, run: Run) -> None:
    (translated / "source_zh" / BOSTON).unlink()
    result = run("check", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert sorted(report) == ["exit_code", "findings", "notes", "ok", "require_reviewed", "schema", "summary"]
    assert (report["schema"], report["ok"], report["exit_code"], report["require_reviewed"]) == (1, False, 1, False)
    assert report["findings"][1] == {
        "path": f"output_en/{BOSTON}", "line": 1, "kind": "orphan", "severity": "error",
        "detail": f"no Chinese source source_zh/{BOSTON}. Delete the English file, or restore the source (git)."}
    assert report["summary"] == {
        "documents": 4, "errors": 2, "warnings": 0,
        "kinds": {kind: (2 if kind == "orphan" else 0) for kind in FINDING_KINDS},
        "segments": {"total": 152, "reviewed": 33, "needs-review": 0, "machine": 119, "stale": 0}}


def test_github_annotations(translated: Path, run: Run) -> None:
    source = translated / "source_zh" / BERLIN
    source.write_text(source.read_text(encoding="utf-8").replace("收益颇丰，感慨良多", "收益很大"), encoding="utf-8")
    result = run("check", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        f"::error file=source_zh/{BERLIN},line=7,title=stale::paragraph changed since it was translated: "
        "«整个日程安排的满满当当，议题全程听下来，收益很大。». Run `workflow translate`.")
    assert result.stdout.splitlines()[-1].startswith("check failed: 1 finding (1 stale) in 5 documents; ")


def test_github_escaping() -> None:
    from workflow.cli.check import _data, _property

    assert _property("a,b:c%d\ne") == "a%2Cb%3Ac%25d%0Ae"
    assert _data("50%, a:b\r\n") == "50%25, a:b%0D%0A"


def test_paths_select_documents(translated: Path, run: Run) -> None:
    (translated / "output_en" / BERLIN).write_text("edited\n", encoding="utf-8")
    for path in (f"source_zh/{BERLIN}", f"output_en/{BERLIN}", f"output_en/.workflow/{BERLIN}.json"):
        result = run("check", str(translated / path))
        assert result.exit_code == 1 and [line.split(": ")[1] for line in lines_of(result)] == ["unrecorded-edits"]
    assert run("check", str(translated / "source_zh" / BOSTON)).exit_code == 0
    assert run("check", str(translated / "source_zh")).exit_code == 1


def test_usage_and_configuration_errors_exit_2(translated: Path, run: Run, tmp_path: Path) -> None:
    outside = run("check", str(tmp_path))
    assert outside.exit_code == 2 and "is not inside source_zh/ or output_en/" in outside.output
    absent = run("check", str(translated / "source_zh" / "nope.md"))
    assert absent.exit_code == 2 and "source_zh/nope.md: no such file" in absent.output
    assert run("check", "--format", "xml").exit_code == 2
    (translated / "pyproject.toml").write_text('[tool.workflow]\nengin = "copy"\n', encoding="utf-8")
    assert run("check").exit_code == 2
    (translated / "pyproject.toml").write_text('[tool.workflow]\nengine = "copy"\n', encoding="utf-8")
    with open(translated / "glossary" / "openstack.tsv", "a", encoding="utf-8") as handle:
        handle.write("OpenStack\tOpen Stack\tterm\t\t\ttest\n")  # a second English rendering
    conflict = run("check")
    assert conflict.exit_code == 2 and "OpenStack has two English renderings" in conflict.output


def test_parallel_run_reports_what_one_process_reports(translated: Path, run: Run) -> None:
    (translated / "source_zh" / BOSTON).unlink()
    (translated / "output_en" / BERLIN).write_text("edited\n", encoding="utf-8")
    settings = load_settings(translated)
    assert check(settings, jobs=2) == check(settings, jobs=1)
    assert run("check", "--jobs", "2").stdout == run("check").stdout
    assert run("check", "--jobs", "0").exit_code == 2


# -- status ------------------------------------------------------------------------------------


def test_status_table(translated: Path, run: Run) -> None:
    source = translated / "source_zh" / BERLIN
    source.write_text(source.read_text(encoding="utf-8").replace("收益颇丰，感慨良多", "收益很大"), encoding="utf-8")
    result = run("status")
    assert result.exit_code == 0
    header, *rows, total = result.stdout.splitlines()
    assert header.split() == ["document", "segments", "reviewed", "needs", "review", "stale", "translated", "engine",
                              "state"]
    cells = {row.split()[0]: row.split() for row in rows}
    berlin = cells[f"source_zh/{BERLIN}"]
    assert berlin[1:5] == ["54", "16", "0", "1"] and berlin[-2:] == ["copy", "stale"]
    assert cells[f"source_zh/{BOSTON}"][1:5] == ["29", "11", "0", "0"]
    assert total == "5 documents, 181 segments: 44 reviewed, 0 need review, 1 stale."
    data = json.loads(run("status", "--format", "json").stdout)
    assert sorted(data) == ["documents", "notes", "schema", "totals"]
    assert sorted(data["documents"][0]) == ["engine", "lost", "machine", "needs_review", "output", "reviewed",
                                           "segments", "source", "stale", "state", "translated_at"]


def test_status_of_an_untranslated_project(project: Path, run: Run) -> None:
    result = run("status")
    assert result.exit_code == 0
    assert all(row.split()[1:] == ["0", "0", "0", "0", "-", "-", "missing"] for row in result.stdout.splitlines()[1:-1])


# -- speed rules: no engine library, ever ------------------------------------------------------

RUNNER = """
import sys
from workflow.cli import cli
for args in ({commands}):
    try:
        cli(["-C", sys.argv[1], *args], standalone_mode=False)
    except SystemExit:
        pass
heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('ctranslate2', 'argostranslate', 'sentencepiece', 'torch', 'rjieba', 'jieba'))
print(heavy)
"""


@pytest.mark.parametrize("engine", ["argos", "copy"])
def test_check_status_and_help_import_no_translation_library(translated: Path, engine: str) -> None:
    (translated / "pyproject.toml").write_text(f'[tool.workflow]\nengine = "{engine}"\n', encoding="utf-8")
    source = translated / "source_zh" / BOSTON  # a changed source takes the parsing path too
    source.write_bytes(source.read_bytes().replace("如期举办".encode(), "顺利举办".encode()))
    commands = "['--help'], ['check'], ['check', '--require-reviewed', '--format', 'github'], ['status'], "
    out = subprocess.run([sys.executable, "-c", RUNNER.format(commands=commands), str(translated)],
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "[]"
    assert "stale" in out.stdout  # the commands really ran


def test_the_hash_is_the_one_memory_records() -> None:
    from workflow.store import files

    assert check_mod.sha256 is files.sha256  # one implementation: check compares what translate recorded
    assert files.sha256(b"\xe4\xb8\xad") == files.sha256("中") == "sha256:" + hashlib.sha256("中".encode()).hexdigest()


# -- for other repositories ---------------------------------------------------------------------


def test_pre_commit_hook() -> None:
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "workflow-check" and hook["entry"].startswith("workflow check")
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    assert hook["files"] == "^(source_zh|output_en|glossary)/"


def test_every_finding_kind_is_documented() -> None:
    text = (REPO / "docs" / "check.md").read_text(encoding="utf-8")
    assert all(f"`{kind}`" in text for kind in FINDING_KINDS)


def test_check_reads_only_the_header_of_a_current_document(translated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The memory's segments are read only when a document needs them; a truncated file is still caught."""
    reads: list[str] = []
    from workflow.report import reader

    monkeypatch.setattr(reader, "read", lambda path: reads.append(path) or open(path, "rb").read())
    settings = load_settings(translated)
    assert check(settings).findings == ()
    assert not [p for p in reads if p.endswith(".json")]
    path = memory_file(translated, BOSTON)
    path.write_bytes(path.read_bytes()[:-40])  # cut inside the segments
    assert [f.kind for f in check(settings).findings] == ["corrupt-memory"]


def test_review_with_nothing_edited_imports_no_part_of_the_review_proper(translated: Path) -> None:
    """Nothing edited is known from hashes: the parser, the attribution and the renderer stay unimported."""
    runner = """
import sys
from workflow.cli import cli
try:
    cli(["-C", sys.argv[1], "review"], standalone_mode=False)
except SystemExit:
    pass
print(sorted(m for m in sys.modules if m in ('workflow.review.record', 'workflow.document.output', 'markdown_it')))
"""
    out = subprocess.run([sys.executable, "-c", runner, str(translated)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.returncode == 0, out.stderr
    assert "5 documents: 5 unchanged." in out.stdout  # it really ran
    assert out.stdout.splitlines()[-1] == "[]"
    # translate with nothing changed: neither the parser nor the glossary enforcer
    out = subprocess.run([sys.executable, "-c", runner.replace('"review"', '"translate"').replace(
        "'workflow.document.output'", "'workflow.glossary.enforce'"), str(translated)], capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.returncode == 0, out.stderr
    assert "5 documents: 5 unchanged." in out.stdout
    assert out.stdout.splitlines()[-1] == "[]"
    edited = translated / "output_en" / BOSTON
    edited.write_text(edited.read_text(encoding="utf-8").replace("Boston", "Boston,", 1), encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", runner, str(translated)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert "workflow.review.record" in out.stdout.splitlines()[-1]  # an edit takes the review proper
