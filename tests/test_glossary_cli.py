"""`workflow glossary …` as an editor runs it: exact exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
from click.testing import Result
from conftest import REPO, cli_runner

from workflow.glossary.terms import load

Run = Callable[..., Result]
TSV = "glossary/openstack.tsv"
ENTRIES = len((REPO / TSV).read_text(encoding="utf-8").splitlines()) - 1  # the header aside
NEXT = ENTRIES + 2  # the file line the next appended entry lands on


def tsv(project: Path) -> Path:
    return project / TSV


def rows(project: Path) -> int:
    return len(tsv(project).read_text(encoding="utf-8").splitlines())


# -- list --------------------------------------------------------------------------------------


def test_list_pattern_as_table(run: Run) -> None:
    result = run("glossary", "list", "启动")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ZH", "EN", "KIND", "CASE", "WHERE", "NOTE"]
    assert lines[1].startswith("从卷启动    boot from volume  term  -     glossary/openstack.tsv:292  启动 = 'boot'")
    assert len(lines) == 7 and result.stderr == "6 entries.\n"


def test_list_kind_json_and_in_text(run: Run) -> None:
    result = run("glossary", "list", "--kind", "keep", "--format", "json")
    entries = json.loads(result.stdout)
    keep_rows = [row for row in (REPO / TSV).read_text(encoding="utf-8").splitlines()[1:] if row.split("\t")[2:3] == ["keep"]]
    assert result.exit_code == 0 and len(entries) == len(keep_rows) >= 191 and {e["kind"] for e in entries} == {"keep"}
    assert entries[0] == {"zh": "OpenStack", "en": "OpenStack", "kind": "keep", "case": "",
                          "note": entries[0]["note"], "source": "official-name", "file": TSV, "line": 2}
    result = run("glossary", "list", "--in-text", "从卷启动的实例和ＯｐｅｎＳｔａｃｋ 基金会", "--format", "json")
    assert [(e["zh"], e["en"]) for e in json.loads(result.stdout)] == [
        ("从卷启动", "boot from volume"), ("实例", "instance"), ("OpenStack基金会", "OpenStack Foundation")]


# -- add / remove ------------------------------------------------------------------------------


def test_add_appends_one_row_and_keeps_the_rest(project: Path, run: Run) -> None:
    before = tsv(project).read_bytes()
    result = run("glossary", "add", "容器编排", "container orchestration", "--note", "Kubernetes sense",
                 "--source", "common")
    assert (result.exit_code, result.output) == (0, "added 容器编排 → container orchestration (term) at "
                                                    f"glossary/openstack.tsv:{NEXT}\n")
    assert tsv(project).read_bytes() == before + "容器编排\tcontainer orchestration\tterm\t\tKubernetes sense\tcommon\n".encode()
    result = run("glossary", "add", "Qinling", "Qinling", "--kind", "keep", "--case", "sensitive")
    assert result.exit_code == 2
    assert result.output == ("error: Qinling → Qinling is already in the glossary (glossary/openstack.tsv:23); "
                             "nothing added.\n")


def test_add_refuses_a_second_rendering(project: Path, run: Run) -> None:
    before = tsv(project).read_bytes()
    result = run("glossary", "add", "容器", "box")
    assert result.exit_code == 2
    assert result.output == (
        "error: 容器 already means 'container' (glossary/openstack.tsv:164); one Chinese term gets one English "
        "rendering. Remove it first (`workflow glossary remove 容器`) or edit that line.\n")
    result = run("glossary", "add", "OPENSTACK", "Open Stack", "--kind", "name")  # same Latin term, other case
    assert result.exit_code == 2 and "OPENSTACK already means 'OpenStack' (glossary/openstack.tsv:2)" in result.output
    assert tsv(project).read_bytes() == before


@pytest.mark.parametrize("args, message", [
    (("Zun", "zun", "--kind", "keep"), "error: a keep entry is written as it is: en must equal zh ('Zun'). "
                                       "Use --kind name for a different English spelling.\n"),
    (("边缘云", "edge\tcloud"), "error: en 'edge\\tcloud' contains a tab or line break; glossary values are one line.\n"),
    (("边缘云", " "), "error: empty zh or en field. Fill both or delete the row.\n"),
])
def test_add_refuses_bad_values(project: Path, run: Run, args: tuple[str, ...], message: str) -> None:
    result = run("glossary", "add", *args)
    assert (result.exit_code, result.output) == (2, message)


def test_add_to_another_file_creates_it_with_a_header(project: Path, run: Run) -> None:
    result = run("glossary", "add", "边缘网关", "edge gateway", "--file", "glossary/edge.csv")
    assert (result.exit_code, result.output) == (0, "added 边缘网关 → edge gateway (term) at glossary/edge.csv:2\n")
    assert (project / "glossary" / "edge.csv").read_text(encoding="utf-8") == (
        "zh,en,kind,case,note,source\n边缘网关,edge gateway,term,,,\n")
    assert load(project / "glossary", project).lookup("边缘网关") is not None


def test_add_keeps_crlf_column_order_and_quoting(project: Path, run: Run) -> None:
    path = project / "glossary" / "extra.csv"
    path.write_bytes(b"en,zh,note\r\nedge,\xe8\xbe\xb9\xe7\xbc\x98,\"a, b\"\r\n")
    result = run("glossary", "add", "边缘节点", "edge node", "--note", 'say "edge"', "--file", "glossary/extra.csv")
    assert result.exit_code == 0, result.output
    assert path.read_bytes().decode() == 'en,zh,note\r\nedge,边缘,"a, b"\r\nedge node,边缘节点,"say ""edge"""\r\n'
    result = run("glossary", "add", "边缘路由", "edge router", "--source", "x", "--file", "glossary/extra.csv")
    assert (result.exit_code, result.output) == (
        2, "error: glossary/extra.csv: has no source column; add it to the header or leave the value out.\n")


def test_remove(project: Path, run: Run) -> None:
    before = tsv(project).read_text(encoding="utf-8").splitlines(keepends=True)
    result = run("glossary", "remove", "容器")
    assert (result.exit_code, result.output) == (0, "removed 容器 → container (term) from glossary/openstack.tsv:164\n")
    assert tsv(project).read_text(encoding="utf-8") == "".join(before[:163] + before[164:])
    result = run("glossary", "remove", "容器")
    assert (result.exit_code, result.output) == (
        2, "error: no entry for 容器 in glossary/. `workflow glossary list 容器` searches the glossary.\n")
    result = run("glossary", "remove", "openstack")  # by the entry's case rule
    assert result.output == "removed OpenStack → OpenStack (keep) from glossary/openstack.tsv:2\n"
    assert run("glossary", "remove", "nova").exit_code == 2  # Nova is case-sensitive


def test_remove_keeps_other_lines_byte_for_byte(project: Path, run: Run) -> None:
    path = project / "glossary" / "extra.csv"
    path.write_bytes("zh,en,note\r\n边缘,edge,a\u2028b\r\n边缘节点,edge node,\"x\r\ny\"\r\n雾计算,fog computing,\r\n".encode())
    result = run("glossary", "remove", "边缘节点", "--file", "glossary/extra.csv")
    assert (result.exit_code, result.output) == (0, "removed 边缘节点 → edge node (term) from glossary/extra.csv:3\n")
    assert path.read_bytes() == "zh,en,note\r\n边缘,edge,a\u2028b\r\n雾计算,fog computing,\r\n".encode()


# -- lint --------------------------------------------------------------------------------------


def test_lint_the_real_glossary_is_clean(run: Run) -> None:
    result = run("glossary", "lint", "-q")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "0 problems, 0 notes in 1 files.\n")
    result = run("glossary", "lint")
    assert result.exit_code == 0
    assert ("glossary/openstack.tsv:652: guard: 规范 → specification (glossary/openstack.tsv:342) does not apply "
            "inside 行为规范 → Code of Conduct (deliberate guard)") in result.stdout.splitlines()


BROKEN = """\
zh\ten\tkind\tcase\tnote\tsource
容器\tcontainer\tterm\t\t\t
容器\tcontainer\tterm\t\t\t
节点\tnode\tterm\t\t\t
节点\tnodes\tterm\t\t\t
 集群\tcluster\tterm\t\t\t
Zun\tzun\tkeep\t\t\t
网络\t\tterm\t\t\t
存储\tstorage\tnoun\tyes\t\t
容器云\tcloud platform\tterm\t\t\t
镜像\timage\tterm\t\tBut not 镜像站.\t
镜像站\tmirror site\tterm\t\t\t
extra\textra\tkeep\t\t\t\tsurplus
"""


def test_lint_reports_every_problem(project: Path, run: Run) -> None:
    (project / "glossary" / "broken.tsv").write_text(BROKEN, encoding="utf-8")
    result = run("glossary", "lint", "glossary/broken.tsv")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "glossary/broken.tsv:3: duplicate: 容器 → container repeats glossary/broken.tsv:2",
        "glossary/broken.tsv:5: conflict: 节点 has two English renderings: 'node' (glossary/broken.tsv:4) and "
        "'nodes'; keep one",
        "glossary/broken.tsv:6: padded: zh ' 集群' has leading or trailing white space",
        "glossary/broken.tsv:7: keep-differs: keep entry 'Zun' has en 'zun'; a keep entry is written as it is "
        "(use kind name for a different English spelling)",
        "glossary/broken.tsv:8: empty: en is empty; fill it or delete the row",
        "glossary/broken.tsv:9: bad-case: case 'yes' must be 'sensitive' or empty",
        "glossary/broken.tsv:9: bad-kind: kind 'noun' is not term, keep or name",
        "glossary/broken.tsv:10: shadowed: 容器 → container (glossary/broken.tsv:2) does not apply inside "
        "容器云 → cloud platform; if deliberate, name 容器 in the note of 容器云",
        "glossary/broken.tsv:12: guard: 镜像 → image (glossary/broken.tsv:11) does not apply inside 镜像站 → "
        "mirror site (deliberate guard)",
        "glossary/broken.tsv:13: extra-fields: 1 field(s) beyond the header's 6 (a stray delimiter?)",
    ]
    assert result.stderr == "9 problems, 1 notes in 1 files.\n"
    data = json.loads(run("glossary", "lint", "glossary/broken.tsv", "-q", "--format", "json").stdout)
    assert data["problems"] == 9 and len(data["findings"]) == 9
    # translate refuses the broken file with a pointer to lint
    assert run("translate").output == ("error: glossary/broken.tsv:8: empty zh or en field. Fill both or delete the row. "
                                      "(`workflow glossary lint` lists every problem.)\n")


def test_lint_missing_file_is_a_usage_error(run: Run) -> None:
    result = run("glossary", "lint", "glossary/nope.tsv")
    assert result.exit_code == 2 and "no such glossary file: glossary/nope.tsv" in result.output


# -- import ------------------------------------------------------------------------------------


def test_import_csv(project: Path, run: Run) -> None:
    (project / "new.csv").write_text(
        "zh,en,kind,note\n容器,container,term,\n容器编排,container orchestration,term,k8s\n节点,server,term,\n"
        "边缘网关,edge gateway,,\n,x,term,\n", encoding="utf-8")
    before = rows(project)
    result = run("glossary", "import", "new.csv", "--dry-run")
    assert result.exit_code == 1 and rows(project) == before
    result = run("glossary", "import", "new.csv")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"added: 容器编排 → container orchestration (term) from new.csv:3 at glossary/openstack.tsv:{NEXT}",
        f"added: 边缘网关 → edge gateway (term) from new.csv:5 at glossary/openstack.tsv:{NEXT + 1}",
        "duplicate: 容器 → container (new.csv:2) is already at glossary/openstack.tsv:164; skipped",
        "conflict: 节点 → server (new.csv:4) contradicts 节点 → node (glossary/openstack.tsv:246); not imported",
        "invalid: new.csv:6: empty zh or en field. Fill both or delete the row. Not imported.",
    ]
    assert result.stderr == "2 added, 1 skipped as duplicates, 1 conflicting, 1 invalid.\n"
    assert tsv(project).read_text(encoding="utf-8").endswith(
        "容器编排\tcontainer orchestration\tterm\t\tk8s\tnew.csv\n边缘网关\tedge gateway\tterm\t\t\tnew.csv\n")
    result = run("glossary", "import", "new.csv")  # again: everything is known now
    assert result.stderr == "0 added, 3 skipped as duplicates, 1 conflicting, 1 invalid.\n"


PO = """\
# OpenStack i18n glossary, zh_CN
msgid ""
msgstr ""
"Project-Id-Version: PACKAGE VERSION\\n"
"Language: zh_CN\\n"
"Content-Type: text/plain; charset=utf-8\\n"

#. Horizon term
msgid "availability zone"
msgstr "可用区域"

msgid "CIDR"
msgstr "CIDR"

msgid "body"
msgstr ""

#, fuzzy
msgid "shard"
msgstr "分片"

msgid "association"
msgstr "关联"

msgid "associate IP"
msgstr "关联"

msgid "container"
msgstr "容器"

#~ msgid "Quotas"
#~ msgstr "配额"
"""


def test_import_openstack_i18n_po(project: Path, run: Run) -> None:
    (project / "glossary.po").write_text(PO, encoding="utf-8")
    result = run("glossary", "import", "glossary.po", "--source", "openstack-i18n")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [  # a PO entry's line is where it starts (its comments)
        f"added: CIDR → CIDR (keep) from glossary.po:12 at glossary/openstack.tsv:{NEXT}",
        f"added: 关联 → association (term) from glossary.po:22 at glossary/openstack.tsv:{NEXT + 1}",
        "duplicate: 可用区域 → availability zone (glossary.po:8) is already at glossary/openstack.tsv:265; skipped",
        "duplicate: 容器 → container (glossary.po:28) is already at glossary/openstack.tsv:164; skipped",
        "conflict: 关联 → associate IP (glossary.po:25) contradicts 关联 → association (glossary.po:22); "
        "not imported",
    ]
    assert result.stderr == ("2 added, 2 skipped as duplicates, 1 conflicting, 0 invalid; "
                             "3 untranslated, fuzzy or obsolete PO entries ignored.\n")
    glossary = load(project / "glossary", project)
    entry = glossary.lookup("CIDR")
    assert entry is not None and (entry.kind, entry.source, entry.line) == ("keep", "openstack-i18n", NEXT)


def test_import_po_keep_and_wrong_language(project: Path, run: Run) -> None:
    (project / "k.po").write_text('msgid ""\nmsgstr ""\n"Language: zh_CN\\n"\n\nmsgid "vCPU"\nmsgstr "vCPU"\n',
                                  encoding="utf-8")
    result = run("glossary", "import", "k.po")
    assert result.exit_code == 0 and result.stdout == f"added: vCPU → vCPU (keep) from k.po:5 at glossary/openstack.tsv:{NEXT}\n"
    (project / "fr.po").write_text('msgid ""\nmsgstr ""\n"Language: fr\\n"\n\nmsgid "volume"\nmsgstr "volume"\n',
                                   encoding="utf-8")
    result = run("glossary", "import", "fr.po")
    assert (result.exit_code, result.output) == (
        2, "error: fr.po: is a 'fr' PO file; the glossary imports Chinese (zh_CN) msgstr.\n")


# -- export and round trips --------------------------------------------------------------------


def test_export_tsv_is_the_glossary_file(project: Path, run: Run) -> None:
    result = run("glossary", "export", "--format", "tsv")
    assert result.exit_code == 0 and result.stdout_bytes == tsv(project).read_bytes()


def test_tbx_to_tsv_to_tbx_keeps_every_entry(project: Path, empty_project: Path, run: Run) -> None:
    result = run("glossary", "export", "--format", "tbx", "-o", "openstack.tbx")
    assert (result.exit_code, result.stderr) == (0, f"exported {ENTRIES} entries to openstack.tbx (tbx)\n")
    tbx = (project / "openstack.tbx").read_bytes()
    assert tbx.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<martif type=\"TBX-Basic\" xml:lang=\"zh-CN\">")
    (empty_project / "openstack.tbx").write_bytes(tbx)
    other = cli_runner(empty_project)
    result = other("glossary", "import", "openstack.tbx")
    assert (result.exit_code, result.stderr) == (0, f"{ENTRIES} added, 0 skipped as duplicates, 0 conflicting, 0 invalid.\n")
    original = load(project / "glossary", project).entries
    imported = load(empty_project / "glossary", empty_project).entries
    assert [e.fields() for e in imported] == [e.fields() for e in original]  # field by field, in order
    assert (empty_project / TSV).read_bytes() == tsv(project).read_bytes()
    assert other("glossary", "export").stdout_bytes == tbx


WEBLATE_TBX = """\
<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE martif PUBLIC "ISO 12200:1999A//DTD MARTIF core (DXFcdV04)//EN" "TBXcdv04.dtd">
<martif type="TBX" xml:lang="zh_CN">
  <text><body>
    <termEntry>
      <note>Shown in the glossary
        of Weblate</note>
      <langSet xml:lang="zh_CN"><tig><term>编排服务</term></tig></langSet>
      <langSet xml:lang="en"><tig><term>Orchestration service</term></tig></langSet>
    </termEntry>
    <termEntry>
      <langSet xml:lang="zh-Hans"><tig><term>华为</term><termNote type="partOfSpeech">properNoun</termNote></tig>
        <tig><term>华为公司</term></tig></langSet>
      <langSet xml:lang="en-US"><tig><term>Huawei</term></tig></langSet>
    </termEntry>
    <termEntry>
      <langSet xml:lang="zh"><tig><term>Zun</term></tig></langSet>
      <langSet xml:lang="en"><tig><term>Zun</term></tig></langSet>
    </termEntry>
  </body></text>
</martif>
"""


def test_import_foreign_tbx(project: Path, run: Run) -> None:
    (project / "weblate.tbx").write_text(WEBLATE_TBX, encoding="utf-8")
    result = run("glossary", "import", "weblate.tbx", "--dry-run")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "would add: 编排服务 → Orchestration service (term) from weblate.tbx:5",
        "would add: 华为公司 → Huawei (name) from weblate.tbx:11",
        "duplicate: 华为 → Huawei (weblate.tbx:11) is already at glossary/openstack.tsv:502; skipped",
        "duplicate: Zun → Zun (weblate.tbx:16) is already at glossary/openstack.tsv:45; skipped",
    ]
    assert rows(project) == ENTRIES + 1  # a dry run writes nothing
    assert run("glossary", "import", "weblate.tbx").exit_code == 0
    entry = load(project / "glossary", project).lookup("编排服务")
    assert entry is not None and (entry.note, entry.source) == ("Shown in the glossary of Weblate", "weblate.tbx")


BILLION_LAUGHS = """\
<?xml version="1.0"?>
<!DOCTYPE martif [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<martif><text><body><termEntry><langSet xml:lang="zh"><tig><term>&lol9;</term></tig></langSet>
<langSet xml:lang="en"><tig><term>x</term></tig></langSet></termEntry></body></text></martif>
"""
EXTERNAL_ENTITY = """\
<?xml version="1.0"?>
<!DOCTYPE martif [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<martif><text><body><termEntry><langSet xml:lang="zh"><tig><term>秘密</term></tig></langSet>
<langSet xml:lang="en"><tig><term>&secret;</term></tig></langSet></termEntry></body></text></martif>
"""


@pytest.mark.parametrize("name, text, detail", [
    ("laughs.tbx", BILLION_LAUGHS, "EntitiesForbidden(name='lol', system_id=None, public_id=None)"),
    ("xxe.tbx", EXTERNAL_ENTITY, "EntitiesForbidden(name='secret', system_id='file:///etc/passwd', public_id=None)"),
])
def test_malicious_tbx_is_refused(project: Path, run: Run, name: str, text: str, detail: str) -> None:
    (project / name).write_text(text, encoding="utf-8")
    before = tsv(project).read_bytes()
    result = run("glossary", "import", name)
    assert result.exit_code == 2
    assert result.output == (
        f"error: {name}: refused: the XML declares an entity ({detail}). Entities can expand without bound "
        "(billion laughs) or read other files (XXE); a TBX file needs none. Remove the DOCTYPE's entity "
        "declarations.\n")
    assert tsv(project).read_bytes() == before


def test_import_bad_files(project: Path, run: Run) -> None:
    (project / "broken.tbx").write_text("<martif><text></martif>", encoding="utf-8")
    result = run("glossary", "import", "broken.tbx")
    assert (result.exit_code, result.output) == (
        2, "error: broken.tbx:1: is not well-formed XML (mismatched tag: line 1, column 16).\n")
    (project / "other.xml").write_text("<tmx/>", encoding="utf-8")
    result = run("glossary", "import", "other.xml")
    assert result.output == "error: other.xml: is not TBX: its root element is <tmx>, not <martif> or <tbx>.\n"
    result = run("glossary", "import", "missing.csv")
    assert (result.exit_code, result.output) == (2, "error: missing.csv: cannot read the file (No such file or directory).\n")
    (project / "terms.txt").write_text("x", encoding="utf-8")
    result = run("glossary", "import", "terms.txt")
    assert result.exit_code == 2 and "cannot tell the format from the suffix '.txt'; give --format" in result.output


# -- check -------------------------------------------------------------------------------------

ARTICLE = """\
---
title: 从卷启动
---

# 容器与OpenStack

我们在OpenStack上从卷启动实例，并由中国移动运营。

`容器` 和 [容器](https://example.org/容器) 都在这里。
"""


def mini(tmp_path: Path, engine: str = "pseudo") -> Path:
    root = tmp_path / "site"
    (root / "source_zh").mkdir(parents=True)
    (root / "source_zh" / "a.md").write_text(ARTICLE, encoding="utf-8")
    (root / "glossary").mkdir()
    (root / "glossary" / "openstack.tsv").write_bytes((REPO / TSV).read_bytes())
    (root / "pyproject.toml").write_text(f'[tool.workflow]\nengine = "{engine}"\n', encoding="utf-8")
    return root


def edit(root: Path, old: str, new: str) -> int:
    """An editor's correction, as `review` records it: the English file and the segment's final."""
    english = root / "output_en" / "a.md"
    text = english.read_text(encoding="utf-8")
    assert old in text
    english.write_text(text.replace(old, new), encoding="utf-8")
    memory = root / "output_en" / ".workflow" / "a.md.json"
    data = json.loads(memory.read_text(encoding="utf-8"))
    for segment in data["segments"]:
        segment["final"] = segment["final"].replace(old, new)
    memory.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return next(n for n, line in enumerate(text.replace(old, new).splitlines(), start=1) if new in line)


def test_check_clean_after_pseudo_translation(tmp_path: Path) -> None:
    root = mini(tmp_path)
    run = cli_runner(root)
    assert run("translate").exit_code == 0
    result = run("glossary", "check")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "0 findings in 4 segments of 1 documents.\n")


def test_check_finds_an_editors_wrong_rendering(tmp_path: Path) -> None:
    root = mini(tmp_path)
    run = cli_runner(root)
    assert run("translate").exit_code == 0
    line = edit(root, "boot from volume", "start from a volume")
    result = run("glossary", "check")
    assert result.exit_code == 1
    assert result.stdout == (
        f"output_en/a.md:{line}: glossary-term: 从卷启动 must be rendered 'boot from volume' "
        "(term, glossary/openstack.tsv:292); the English does not have it\n")
    github = run("glossary", "check", "--format", "github").stdout
    assert github == (f"::error file=output_en/a.md,line={line},title=glossary glossary-term::从卷启动 must be rendered "
                      "'boot from volume' (term, glossary/openstack.tsv:292); the English does not have it\n")
    data = json.loads(run("glossary", "check", "--format", "json", "output_en/a.md").stdout)
    assert (data["exit_code"], data["documents"], len(data["findings"])) == (1, 1, 1)
    assert data["findings"][0]["line"] == line


def test_check_accepts_inflections_and_reports_han(tmp_path: Path) -> None:
    root = mini(tmp_path)
    run = cli_runner(root)
    assert run("translate").exit_code == 0
    edit(root, "boot from volume", "Boot-From-Volume")
    line = edit(root, "China Mobile", "China Mobile 中国移动")
    result = run("glossary", "check")
    assert (result.exit_code, result.stdout) == (
        1, f"output_en/a.md:{line}: han-left: Chinese left in the English: 中国移动\n")


def test_check_after_copy_reports_untranslated_text(tmp_path: Path) -> None:
    root = mini(tmp_path, engine="copy")
    run = cli_runner(root)
    assert run("translate").exit_code == 0
    result = run("glossary", "check")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "output_en/a.md:2: glossary-term: 从卷启动 must be rendered 'boot from volume' (term, "
        "glossary/openstack.tsv:292); the English does not have it",
        "output_en/a.md:2: han-left: Chinese left in the English: 从卷启动",
        "output_en/a.md:11: glossary-term: 容器 must be rendered 'container' (term, glossary/openstack.tsv:164); "
        "the English does not have it",
        "output_en/a.md:11: han-left: Chinese left in the English: 容器与",
        "output_en/a.md:13: glossary-term: 从卷启动 must be rendered 'boot from volume' (term, "
        "glossary/openstack.tsv:292); the English does not have it",
        "output_en/a.md:13: glossary-term: 实例 must be rendered 'instance' (term, glossary/openstack.tsv:190); "
        "the English does not have it",
        "output_en/a.md:13: glossary-term: 中国移动 must be rendered 'China Mobile' (name, "
        "glossary/openstack.tsv:493); the English does not have it",
        "output_en/a.md:13: han-left: Chinese left in the English: 我们在, 上从卷启动实例, 并由中国移动运营",
        # the link text counts; the code span and the URL do not
        "output_en/a.md:15: glossary-term: 容器 must be rendered 'container' (term, glossary/openstack.tsv:164); "
        "the English does not have it",
        "output_en/a.md:15: han-left: Chinese left in the English: 和, 容器, 都在这里",
    ]
    english = (root / "output_en" / "a.md").read_text(encoding="utf-8").splitlines()
    assert (english[1], english[10], english[14]) == ("title: 从卷启动", "# 容器与OpenStack",
                                                      "`容器` 和 [容器](https://example.org/容器) 都在这里。")


def test_check_errors(tmp_path: Path) -> None:
    root = mini(tmp_path)
    run = cli_runner(root)
    result = run("glossary", "check")
    assert (result.exit_code, result.stderr) == (0, "0 findings in 0 segments of 0 documents.\n")
    result = run("glossary", "check", "output_en/nope.md")
    assert (result.exit_code, result.output) == (
        2, "error: output_en/nope.md: has no translation memory: nothing translated there yet. "
           "Run `workflow translate` first.\n")


# -- help and start-up -------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["list", "add", "remove", "lint", "import", "export", "check"])
def test_every_subcommand_has_help_with_examples(run: Run, command: str) -> None:
    result = run("glossary", command, "--help")
    assert result.exit_code == 0 and "Examples:" in result.output and f"workflow glossary {command}" in result.output


def test_glossary_commands_import_no_translation_engine(project: Path) -> None:
    code = ("import sys; from workflow.cli import cli\n"
            "try: cli(['-C', sys.argv[1], 'glossary', 'list', '启动'])\n"
            "except SystemExit: pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ctranslate2', 'argostranslate')))")
    out = subprocess.run([sys.executable, "-c", code, str(project)], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "[]"
