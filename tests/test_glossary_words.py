"""The glossary's per-match rule: Chinese word boundaries (issue 15 item 4), commands and identifiers (item 5).

Real sentences: from the five articles and from the OpenStack documentation's Chinese.
The glossary here is fixed (not `glossary/`, which grows), so each case says what the rule
decides, not what the data happens to hold.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, cli_runner
from test_glossary_enforce import mini_project

from workflow.config import load_settings
from workflow.glossary import qa
from workflow.glossary.enforce import Enforcer
from workflow.glossary.terms import Entry, Glossary, identity, load
from workflow.glossary.words import in_code, in_command, in_identifier
from workflow.store.memory import Record
from workflow.translate.run import translate

TERMS = Glossary([
    Entry("安全组", "security group"),
    Entry("计算节点", "compute node"),
    Entry("节点", "node"),
    Entry("镜像服务", "Image service"),
    Entry("镜像", "image"),
    Entry("实例", "instance"),
    Entry("实例化", "instantiate"),
    Entry("云存储", "cloud storage"),
    Entry("测试", "test"),
    Entry("生态", "ecosystem"),
    Entry("标准", "standard"),
    Entry("私有云", "private cloud"),
    Entry("云计算", "cloud computing"),
    Entry("端口", "port"),
    Entry("可用区", "availability zone"),
    Entry("部署", "deploy"),
    Entry("华为", "Huawei", "name"),
    Entry("OpenStack", "OpenStack", "keep"),
    Entry("Neutron", "Neutron", "keep"),
    Entry("Gerrit", "Gerrit", "keep"),
    Entry("Zuul", "Zuul", "keep"),
    Entry("Hackthon", "hackathon"),
    Entry("Redhat", "Red Hat", "name"),
    Entry("Kolla-Ansible", "Kolla-Ansible", "keep"),
])


def found(text: str, glossary: Glossary = TERMS) -> list[str]:
    return [text[m.start:m.end] for m in glossary.match(text)]


# -- item 4: a term that begins or ends inside a Chinese word is not that term ---------------------

WORD_CASES = [
    # the issue's case: 安全组织 is 安全 + 组织 (security organisation), not 安全组 + 织
    ("OpenStack基金会成立了安全组织，负责漏洞管理。", ["OpenStack"]),
    ("为实例配置安全组规则，允许SSH访问。", ["实例", "安全组"]),
    ("安全组织的安全组规则", ["安全组"]),
    ("在计算节点上安装nova-compute服务。", ["计算节点"]),  # 计算节点 + 上: the term ends at a word edge
    ("每个计算节点都运行一个代理。", ["计算节点"]),
    ("镜像服务（Glance）存储虚拟机镜像。", ["镜像服务", "镜像"]),
    ("镜像服务器的带宽不够，下载很慢。", ["镜像"]),  # 镜像 + 服务器: 镜像服务 gives way to 镜像
    ("实例化一个对象。", ["实例化"]),  # the segmenter's dictionary lacks 实例化: the glossary's entry guards 实例
    ("在Horizon中创建一个实例。", ["实例"]),
    ("一个实例可以挂载多个卷。", ["实例"]),
    ("通过Swift构建的云存储系统，为DOCOMO提供服务", ["云存储"]),  # 云存储 + 系统 (the segmenter prefers 存储系统)
    ("DevStack用于搭建开发/测试环境。", ["测试"]),  # 测试环境 is 测试 + 环境
    ("5. 周边生态建设", ["生态"]),  # 生态建设 is 生态 + 建设
    ("OpenStack的标准化的API", ["OpenStack"]),  # 标准化 (standardise): 标准 ends inside it
    ("私有云计算", ["私有云"]),  # two glossary terms overlap: longest-leftmost decides, as before
    ("云计算和私有云", ["云计算", "私有云"]),
    ("nova-api的端口号是8774。", []),  # 端口号 (port number) is one word
    ("创建一个端口并把它绑定到实例上。", ["端口", "实例"]),
    ("可用区域", []),  # 可用 + 区域: 可用区 ends inside 区域 (the real glossary has 可用区域 itself)
    ("实例运行在不同的可用区。", ["实例", "可用区"]),
    ("华为云也部署了OpenStack。", ["华为", "部署", "OpenStack"]),  # a name applies inside a word
    ("部署者先部署了控制节点。", ["部署", "部署", "节点"]),
]


@pytest.mark.parametrize("text, expected", WORD_CASES)
def test_terms_respect_chinese_word_boundaries(text: str, expected: list[str]) -> None:
    assert found(text) == expected


def test_the_issues_case_in_the_real_glossary() -> None:
    real = load(REPO / "glossary", REPO)
    assert "安全组" not in found("OpenStack基金会成立了安全组织。", real)
    assert any("安全组" in term for term in found("为实例配置安全组规则。", real))  # 安全组 or a longer entry


def test_the_glossarys_terms_are_the_segmenters_user_dictionary() -> None:
    # Without 计算节点 as a word the segmenter might cut 计算/节点上; with it the term is one word.
    assert TERMS.boundaries().cuts("在计算节点上") == ((0, 1), (1, 5), (5, 6))
    assert TERMS.boundaries().cuts("实例化") == ((0, 3),) and Glossary([]).boundaries().cuts("实例化") == ((0, 2), (2, 3))
    assert TERMS.boundaries().is_word("安全组") and not Glossary([]).boundaries().is_word("安全组")


def test_a_term_inside_a_dropped_match_is_left_to_the_engine() -> None:
    with_word = Glossary([Entry("安全组", "security group"), Entry("组织", "organization")])
    assert found("安全组织", with_word) == []  # 安全组 dropped; 组织 starts inside its span: the engine translates it
    assert found("社区组织了安全组的分享", with_word) == ["组织", "安全组"]


# -- item 5: nothing matched in commands and identifiers ---------------------------------------------

CODE_CASES = [
    ("openstack trust list", []),  # the issue's table cell
    ("| openstack trust list | 列出信任关系 |", []),
    ("使用 openstack server create 命令创建实例", ["实例"]),
    ("命令：openstack server list --all-projects", []),
    ("sudo pip install python-openstackclient", []),
    ("neutron net-list", []),  # one argument, but code-like
    ("用openstack-ansible部署OpenStack", ["部署", "OpenStack"]),  # lower-case kebab-case: a repository name
    ("用Kolla-Ansible部署", ["Kolla-Ansible", "部署"]),  # the whole token is the term: prose
    ("访问openstack.org或docs.openstack.org", []),
    ("export OS_CLOUD=openstack", []),
    ("openstack_dashboard目录", []),
    ("--os-cloud=openstack", []),
    ("openstack --os-cloud=devstack server list", []),
    ("yum install redhat-release", []),
    # prose stays prose
    ("Openstack-based和OpenStack/Kubernetes", ["Openstack", "OpenStack"]),
    ("他们的k8s是powered by openstack，他们喜欢opensource", ["openstack"]),
    ("“openstack+containers”已经成为今后的技术方向", ["openstack"]),
    ("社区还做了“neutron logging”的分享", ["neutron"]),  # a topic, not `neutron` with an argument
    ("day to day gerrit/zuul/nodepool 2000+", ["gerrit", "zuul"]),  # a list of tools, not a path
    ("4.Hackthon", ["Hackthon"]),
    ("openstack峰会", ["openstack"]),
]


@pytest.mark.parametrize("text, expected", CODE_CASES)
def test_no_glossary_in_commands_and_identifiers(text: str, expected: list[str]) -> None:
    assert found(text) == expected


def test_command_and_identifier_detection() -> None:
    text = "运行openstack trust list查看"
    assert in_command(text, 2, 11) and in_code(text, 2, 11)
    assert not in_command("openstack峰会", 0, 9)
    assert in_identifier("python-openstackclient/openstack", 23, 32)
    assert not in_identifier("OpenStack-based", 0, 9) and not in_identifier("OpenStack", 0, 9)


def test_enforcement_leaves_a_command_in_a_table_cell_alone() -> None:
    enforcer = Enforcer(TERMS)
    assert enforcer.apply("openstack trust list") == "openstack trust list"
    assert enforcer.apply("Redhat and openstack") == "Red Hat and OpenStack"  # prose: as before
    prepared = enforcer.prepare("运行 openstack trust list 查看实例")
    assert prepared.text == "运行 openstack trust list 查看<g1001>instance</g1001>"


def test_glossary_check_does_not_demand_the_capitalised_form_in_a_command() -> None:
    cell = "openstack trust list"
    command = Record(id="s1", kind="table-cell", line=3, source=cell, source_hash="", machine=cell, final=cell)
    assert qa.segment_problems(command, TERMS) == []
    prose = Record(id="s2", kind="paragraph", line=5, source="用openstack部署", source_hash="",
                   machine="deploy with openstack", final="deploy with openstack")
    assert [k for k, _ in qa.segment_problems(prose, TERMS)] == ["glossary-term", "glossary-stale"]


TABLE = """\
# 常用命令

| 命令 | 说明 |
| --- | --- |
| openstack trust list | 列出信任关系 |
| openstack server list --all-projects | 列出所有实例 |
| Redhat | 厂商 |
"""


def test_translate_keeps_commands_in_table_cells(tmp_path: Path) -> None:
    glossary = "zh\ten\tkind\nOpenStack\tOpenStack\tkeep\n实例\tinstance\tterm\nRedhat\tRed Hat\tname\n"
    root = mini_project(tmp_path / "p", {"cmds.md": TABLE}, glossary=glossary)
    translate(load_settings(root))
    english = (root / "output_en" / "cmds.md").read_text(encoding="utf-8")
    assert "| openstack trust list |" in english and "| openstack server list --all-projects |" in english
    assert "| Red Hat |" in english and "OpenStack trust" not in english
    result = cli_runner(root)("glossary", "check")
    assert result.exit_code == 0, result.output


# -- identity and start-up --------------------------------------------------------------------------


def test_the_segmenter_is_part_of_the_glossarys_identity() -> None:
    from workflow.glossary import terms, words

    entries = [Entry("安全组", "security group")]
    before = identity(entries)
    words.segmenter_version.cache_clear()
    original = words.SEGMENTER
    try:
        words.SEGMENTER = "another-segmenter"
        assert identity(entries) != before
    finally:
        words.SEGMENTER = original
        words.segmenter_version.cache_clear()
    assert identity(entries) == before
    terms.MATCHING, rule = "word-boundaries 0", terms.MATCHING
    try:
        assert identity(entries) != before  # a change of the rule changes the identity too
    finally:
        terms.MATCHING = rule


def test_latin_only_text_never_loads_the_segmenter() -> None:
    code = (
        "import sys\nfrom workflow.glossary.terms import Glossary, Entry\n"
        "g = Glossary([Entry('OpenStack', 'OpenStack', 'keep'), Entry('实例', 'instance')])\n"
        "assert len(g.match('openstack and OpenStack, 实例。')) == 3\n"
        "print('rjieba' in sys.modules)\n"
    )
    assert fresh_python(code).strip() == "False"  # 实例 has no Chinese on either side: no word boundary to ask


def fresh_python(code: str) -> str:
    """What `code` prints, run in a fresh interpreter (nothing imported, no segmenter loaded yet)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}).stdout


@pytest.mark.parametrize("first", ["with-term", "without"])
def test_the_first_glossary_takes_the_package_s_segmenter_and_no_other_glossary_sees_its_words(first: str) -> None:
    """The first user dictionary of a process goes into the segmenter `import rjieba` loads; any other
    glossary gets a segmenter of its own, in whichever order they come."""
    code = (
        "import rjieba\nfrom workflow.glossary.terms import Glossary, Entry\n"
        "a = Glossary([Entry('计算节点', 'compute node'), Entry('实例化', 'instantiate')]).boundaries()\n"
        "b = Glossary([Entry('镜像', 'image')]).boundaries()\n"
        f"for w in ((a, b) if {first == 'with-term'!r} else (b, a)):\n    w.cuts('实例')\n"  # which asks first
        "print('claimed')\n"
        "print(a.cuts('在计算节点上实例化'), b.cuts('在计算节点上实例化'))\n"
        "print(a.is_word('计算节点'), b.is_word('计算节点'), a.is_word('镜像'))\n"
        "again = Glossary([Entry('计算节点', 'compute node'), Entry('实例化', 'instantiate')]).boundaries()\n"
        "print(again.cuts('实例化'), rjieba.Jieba().has_word('计算节点'))\n"
    )
    lines = fresh_python(code).splitlines()
    assert lines[1] == "((0, 1), (1, 5), (5, 6), (6, 9)) ((0, 1), (1, 3), (3, 5), (5, 6), (6, 8), (8, 9))"
    assert lines[2] == "True False True"  # 镜像 is a dictionary word anyway
    assert lines[3] == "((0, 3),) False"  # an equal glossary shares it; a fresh segmenter has none of it
