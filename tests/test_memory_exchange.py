"""`workflow memory export|import`: TMX 1.4b and PO, checked by readers that are not ours."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import cli_runner
from test_translation_memory import P, document, edit, rec, site

from workflow.translate.run import translate

TTK = os.environ.get("WORKFLOW_TTK_PYTHON")  # a Python with Translate Toolkit (.ci/run makes one)
TTK_READ = """
import sys
from translate.storage import tmx
store = tmx.tmxfile.parsefile(sys.argv[1])
for unit in store.units:
    print(repr((unit.source, unit.target)))
"""


def reviewed_site(tmp_path: Path):  # type: ignore[no-untyped-def]
    conf = site(tmp_path, a=document(*P))
    edit(conf, P[1], 'The community looks far beyond: "clouds" & <edges>.')
    edit(conf, P[3], "Edge computing is a hot topic.")
    return conf


def test_po_export_passes_msgfmt_check(tmp_path: Path) -> None:
    if shutil.which("msgfmt") is None:
        pytest.skip("gettext's msgfmt is not installed (apt-get install gettext; .ci/run installs it)")
    conf = reviewed_site(tmp_path)
    result = cli_runner(conf.root)("memory", "export", "--format", "po", "-o", "tm.po")
    assert result.exit_code == 0, result.output
    check = subprocess.run(["msgfmt", "--check", "-o", os.devnull, str(conf.root / "tm.po")], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stderr
    text = (conf.root / "tm.po").read_text(encoding="utf-8")
    assert 'msgctxt "source_zh/a.md"' in text and "Edge computing is a hot topic." in text


def test_tmx_export_is_read_by_translate_toolkit(tmp_path: Path) -> None:
    if not TTK:
        pytest.skip("WORKFLOW_TTK_PYTHON is not set (.ci/run creates .venv-ttk with translate-toolkit)")
    conf = reviewed_site(tmp_path)
    assert cli_runner(conf.root)("memory", "export", "--format", "tmx", "-o", "tm.tmx").exit_code == 0
    out = subprocess.run([TTK, "-c", TTK_READ, str(conf.root / "tm.tmx")], capture_output=True, text=True, check=True)
    pairs = {eval(line) for line in out.stdout.splitlines()}  # noqa: S307 - our own repr output
    assert (P[1], 'The community looks far beyond: "clouds" & <edges>.') in pairs
    assert (P[3], "Edge computing is a hot topic.") in pairs and len(pairs) == 2


def test_exported_memory_imports_into_another_project_as_matches(tmp_path: Path) -> None:
    conf = reviewed_site(tmp_path)
    run = cli_runner(conf.root)
    for fmt in ("tmx", "po"):
        assert run("memory", "export", "--format", fmt, "-o", f"tm.{fmt}").exit_code == 0
    other = site(tmp_path / "other", b=document("另一篇。"))
    for fmt in ("tmx", "po"):
        shutil.copy(conf.root / f"tm.{fmt}", other.root / f"project.{fmt}")
    first = cli_runner(other.root)("memory", "import", "project.tmx")
    assert first.exit_code == 0 and "2 units imported into output_en/.workflow/tm/project.tmx.tm" in first.output
    stored = (other.memory_root / "tm" / "project.tmx.tm").read_bytes()
    assert cli_runner(other.root)("memory", "import", "project.tmx").exit_code == 0
    assert (other.memory_root / "tm" / "project.tmx.tm").read_bytes() == stored  # idempotent
    assert cli_runner(other.root)("memory", "import", "project.po").exit_code == 0  # a store of its own
    data = json.loads((other.memory_root / "tm" / "project.po.tm").read_text(encoding="utf-8"))
    assert data["units"] == json.loads(stored)["units"] and data["origin"] == "project.po"
    assert (other.memory_root / "tm" / "project.tmx.tm").read_bytes() == stored
    (other.source / "b.md").write_text(document("另一篇。", P[3], P[1][:-2] + "地方。"), encoding="utf-8")
    assert translate(other).exit_code == 0
    exact = rec(other, P[3], "b")
    assert (exact.final, exact.match, exact.status) == ("Edge computing is a hot topic.", "exact", "needs-review")
    assert "exact match from project.po (imported)" in exact.reasons[-1]
    fuzzy = rec(other, P[1][:-2] + "地方。", "b")
    assert fuzzy.matches[0]["origin"] == "project.po" and fuzzy.matches[0]["status"] == "imported"


def test_openstack_i18n_po_is_read_in_its_direction(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document("另一篇。"))
    (conf.root / "nova.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: zh_CN\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Instance not found"\nmsgstr "找不到实例"\n\n#, fuzzy\nmsgid "Volume"\nmsgstr "卷"\n', encoding="utf-8")
    assert cli_runner(conf.root)("memory", "import", "nova.po").exit_code == 0
    data = json.loads((conf.memory_root / "tm" / "nova.po.tm").read_text(encoding="utf-8"))
    assert data["units"] == [{"source": "找不到实例", "target": "Instance not found"}]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("bad.tmx", '<?xml version="1.0"?>\n<tmx version="1.4">\n<body>\n<tu><tuv></tu>\n</body></tmx>\n',
     "bad.tmx:4: is not well-formed XML"),
    ("bomb.tmx", '<?xml version="1.0"?>\n<!DOCTYPE tmx [<!ENTITY a "aaaa">]>\n<tmx><body>&a;</body></tmx>\n',
     "bomb.tmx: is refused"),
    ("bad.po", 'msgid "a"\nmsgstr "b"\nmsgid\n', "bad.po"),
    ("empty.tmx", '<?xml version="1.0"?>\n<tmx version="1.4"><body/></tmx>\n', "holds no Chinese-English units"),
])
def test_a_malformed_file_is_a_clear_error(tmp_path: Path, name: str, content: str, message: str) -> None:
    conf = site(tmp_path, a=document("另一篇。"))
    (conf.root / name).write_text(content, encoding="utf-8")
    result = cli_runner(conf.root)("memory", "import", name)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert not (conf.memory_root / "tm").exists()


PO = ('msgid ""\nmsgstr ""\n"Language: zh_CN\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
      'msgid "{en}"\nmsgstr "{zh}"\n')


def test_two_files_of_one_name_in_two_folders_are_two_stores(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document("另一篇。"))
    for folder, en, zh in (("v1", "Instance not found", "找不到实例"), ("v2", "Volume not found", "找不到卷")):
        (conf.root / folder).mkdir()
        (conf.root / folder / "zh_CN.po").write_text(PO.format(en=en, zh=zh), encoding="utf-8")
        result = cli_runner(conf.root)("memory", "import", f"{folder}/zh_CN.po")
        assert result.exit_code == 0 and f"tm/{folder}__zh_CN.po.tm" in result.output
    stores = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (conf.memory_root / "tm").iterdir()}
    assert {name: data["origin"] for name, data in stores.items()} == {
        "v1__zh_CN.po.tm": "v1/zh_CN.po", "v2__zh_CN.po.tm": "v2/zh_CN.po"}
    assert stores["v1__zh_CN.po.tm"]["units"] == [{"source": "找不到实例", "target": "Instance not found"}]


def test_a_store_named_by_an_earlier_version_is_replaced_not_doubled(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document("另一篇。"))
    (conf.root / "nova.po").write_text(PO.format(en="Instance not found", zh="找不到实例"), encoding="utf-8")
    (conf.memory_root / "tm").mkdir(parents=True)
    old = conf.memory_root / "tm" / "nova.tm"  # what the earlier version wrote for nova.po
    old.write_text(json.dumps({"origin": "nova.po", "schema": 1, "units": []}), encoding="utf-8")
    other = conf.memory_root / "tm" / "glance.tm"  # another file's store stays
    other.write_text(json.dumps({"origin": "glance.po", "schema": 1, "units": []}), encoding="utf-8")
    assert cli_runner(conf.root)("memory", "import", "nova.po").exit_code == 0
    assert sorted(p.name for p in (conf.memory_root / "tm").iterdir()) == ["glance.tm", "nova.po.tm"]


def test_a_name_with_double_underscores_does_not_share_a_folders_store(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document("另一篇。"))
    (conf.root / "a").mkdir()
    (conf.root / "a" / "b.po").write_text(PO.format(en="Instance not found", zh="找不到实例"), encoding="utf-8")
    (conf.root / "a__b.po").write_text(PO.format(en="Volume not found", zh="找不到卷"), encoding="utf-8")
    for name in ("a/b.po", "a__b.po"):
        assert cli_runner(conf.root)("memory", "import", name).exit_code == 0
    origins = sorted(json.loads(p.read_text(encoding="utf-8"))["origin"] for p in (conf.memory_root / "tm").iterdir())
    assert origins == ["a/b.po", "a__b.po"]
