"""`workflow translate` as a user runs it: outputs, incremental runs, bad input, refusals, config."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import yaml
from click.testing import Result
from conftest import REPO

from workflow.config import load_settings
from workflow.engines import Progress
from workflow.engines.pseudo import pseudo
from workflow.store.memory import EngineInfo
from workflow.translate.run import translate

NAMES = sorted(p.name for p in (REPO / "source_zh").glob("*.md"))


class CountingEngine:
    """The pseudo transformation, remembering every text it was asked for."""

    identity = False

    def __init__(self) -> None:
        self.info = EngineInfo("pseudo", version="1")  # the same identity as --engine pseudo
        self.calls: list[list[str]] = []

    def translate(self, texts: list[str], progress: Progress | None = None) -> list[str]:
        self.calls.append(list(texts))
        return [pseudo(t) for t in texts]


def front(path: Path) -> dict[str, object]:
    text = path.read_text(encoding="utf-8")
    return dict(yaml.safe_load(text.split("---\n", 2)[1]))


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    out = root / "output_en"
    return {str(p): (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}


def test_translate_mirrors_sources_with_front_matter(project: Path, run: Callable[..., Result]) -> None:
    result = run("translate")
    assert result.exit_code == 0, result.output
    assert "5 documents: 5 translated." in result.output
    assert sorted(p.name for p in (project / "output_en").glob("*.md")) == NAMES
    assert sorted(p.name for p in (project / "output_en" / ".workflow").glob("*.json")) == [n + ".json" for n in NAMES]
    barcelona = front(project / "output_en" / "2016-10-26-openstack-barcelona-summit-day-2.md")
    assert barcelona["layout"] == "post" and barcelona["tags"] == ["OpenStack"] and barcelona["lang"] == "en"
    provenance = barcelona["translation"]
    assert isinstance(provenance, dict)
    assert provenance["source"] == "source_zh/2016-10-26-openstack-barcelona-summit-day-2.md"
    assert str(provenance["source_hash"]).startswith("sha256:") and provenance["engine"] == "copy"
    tokyo = front(project / "output_en" / "2015-10-27-openstack-tokyo-summit-day-1.md")
    assert tokyo["title"] == "OpenStack开发者和用户峰会东京第一天"  # derived from the `#Title` line, copied
    sydney = front(project / "output_en" / "2017-11-06-openstack-sydney-summit-day-1.md")
    assert sydney["title"] == "Openstack Sydney Summit Day 1"  # no heading: from the file name


def test_second_run_calls_no_engine_and_rewrites_nothing(project: Path, run: Callable[..., Result]) -> None:
    assert run("translate", "--engine", "pseudo").exit_code == 0
    before = snapshot(project)
    engine = CountingEngine()
    report = translate(load_settings(project), engine=engine)
    assert engine.calls == [] and report.exit_code == 0
    assert {d.state for d in report.documents} == {"unchanged"}
    assert snapshot(project) == before
    again = run("translate", "--engine", "pseudo")
    assert "5 documents: 5 unchanged." in again.output and snapshot(project) == before


def test_one_changed_paragraph_costs_one_segment(project: Path) -> None:
    engine = CountingEngine()
    translate(load_settings(project), engine=engine)
    source = project / "source_zh" / "2018-11-15-openstack-berlin-summit-impressions.md"
    text = source.read_text(encoding="utf-8")
    old = "整个日程安排的满满当当，议题全程听下来，收益颇丰，感慨良多。"
    source.write_text(text.replace(old, "整个日程安排得很满。"), encoding="utf-8")
    engine.calls.clear()
    report = translate(load_settings(project), engine=engine)
    assert engine.calls == [["整个日程安排得很满。"]]
    states = {d.source.rsplit("/", 1)[1]: (d.state, d.translated) for d in report.documents}
    assert states[source.name] == ("translated", 1)
    assert sum(1 for state, _ in states.values() if state == "unchanged") == 4
    english = (project / "output_en" / source.name).read_text(encoding="utf-8")
    assert pseudo("整个日程安排得很满") in english and "整个日程" not in english


def test_dry_run_lists_and_writes_nothing(project: Path, run: Callable[..., Result]) -> None:
    result = run("translate", "--dry-run")
    assert result.exit_code == 0
    assert "5 documents: 5 would-translate." in result.output and result.output.count("would-translate  ") == 5
    assert not (project / "output_en").exists()


def test_bad_input_is_reported_and_the_other_files_are_translated(project: Path, run: Callable[..., Result]) -> None:
    (project / "source_zh" / "broken.md").write_bytes(b"# title\n\x00\x01 binary")
    (project / "source_zh" / "yaml.md").write_text("---\ntitle: [oops\nlayout: post\n---\n正文\n", encoding="utf-8")
    (project / "source_zh" / "gbk.md").write_bytes("# 峰会\n\n中文内容。\n".encode("gb18030"))
    result = run("translate")
    assert result.exit_code == 2
    assert "error: source_zh/broken.md:2: binary file (NUL byte), not Markdown text." in result.output
    assert "error: source_zh/yaml.md:3: invalid YAML front matter" in result.output
    assert "warning: source_zh/gbk.md: not UTF-8; decoded as GB18030/GBK" in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in (project / "output_en").glob("*.md")) == sorted([*NAMES, "gbk.md"])
    assert (project / "output_en" / "gbk.md").read_bytes().endswith("# 峰会\n\n中文内容。\n".encode())


def test_refuses_to_overwrite_unrecorded_edits(project: Path, run: Callable[..., Result]) -> None:
    run("translate")
    english = project / "output_en" / "2017-05-08-openstack-boston-summit.md"
    edited = english.read_text(encoding="utf-8").replace("Keynote会场", "The keynote hall")
    english.write_text(edited, encoding="utf-8")
    (project / "source_zh" / "2017-05-08-openstack-boston-summit.md").write_text("# 新\n", encoding="utf-8")
    result = run("translate")
    assert result.exit_code == 1
    assert ("refused: output_en/2017-05-08-openstack-boston-summit.md: has edits that are not recorded yet. "
            "Run `workflow review output_en/2017-05-08-openstack-boston-summit.md` first") in result.output
    assert english.read_text(encoding="utf-8") == edited


def test_config_errors_are_exit_2_with_a_hint(project: Path, run: Callable[..., Result]) -> None:
    (project / "pyproject.toml").write_text('[tool.workflow]\nengnie = "copy"\n', encoding="utf-8")
    result = run("translate")
    assert result.exit_code == 2
    assert "unknown key `engnie` in [tool.workflow]. Did you mean `engine`?" in result.output
    (project / "pyproject.toml").write_text("[tool.workflow.argos]\nbeam-size = \"4\"\n", encoding="utf-8")
    assert "`argos.beam-size` must be an integer, not '4'." in run("translate").output


def test_flag_beats_file_beats_default(project: Path, run: Callable[..., Result]) -> None:
    assert load_settings(project).engine == "copy"
    assert load_settings(project, overrides={"engine": "pseudo"}).engine == "pseudo"
    (project / "pyproject.toml").unlink()
    assert load_settings(project).engine == "argos"
    result = run("translate", "--engine", "pseudo", "--format", "json", "-q")
    payload = json.loads(result.output)
    assert payload["exit_code"] == 0 and payload["engine"] == "pseudo 1" and len(payload["documents"]) == 5


def test_front_matter_policy_is_configurable(project: Path, run: Callable[..., Result]) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.workflow]\nengine = "pseudo"\n[tool.workflow.front-matter]\ntranslate = ["title"]\n'
        'set = { lang = "en-US" }\nprovenance-key = "i18n"\n',
        encoding="utf-8",
    )
    assert run("translate").exit_code == 0
    meta = front(project / "output_en" / "2016-10-26-openstack-barcelona-summit-day-2.md")
    assert meta["lang"] == "en-US" and "i18n" in meta and "translation" not in meta
    assert meta["description"] == "OpenStack巴塞罗那峰会Day2"  # kept: not in the translate list
    title = str(meta["title"])  # translated (pseudo + glossary): no Chinese left
    assert title.endswith(pseudo("Day2")) and not any("\u4e00" <= ch <= "\u9fff" for ch in title)


def test_help_starts_without_machine_translation_libraries() -> None:
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom workflow.cli import cli\n"
        "r = CliRunner().invoke(cli, ['--help'])\nassert r.exit_code == 0\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('ctranslate2', 'argostranslate', 'torch', 'rjieba', 'jieba'))\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.stdout.strip() == "[]"


def test_every_command_has_help_with_examples(run: Callable[..., Result]) -> None:
    from workflow.cli import COMMANDS

    for name in COMMANDS:
        result = run(name, "--help")
        assert result.exit_code == 0 and "Examples:" in result.output, name


def test_every_command_is_in_the_readme() -> None:
    from workflow.cli import COMMANDS

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [name for name in COMMANDS if f"`workflow {name}" not in readme]
    assert missing == []
    assert readme.startswith("# ") and readme.count("```sh\npython3 -m venv .venv") == 1
