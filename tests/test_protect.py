"""Protect, then verify: placeholders in, placeholders out, and repair of what an engine breaks."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import PARAGRAPH

from workflow.config import load_settings
from workflow.engines import Progress
from workflow.store.memory import EngineInfo
from workflow.store.memory import load as load_memory
from workflow.text.protect import RULE_STARTS, find_spans, mask, parsed_spans, repair
from workflow.text.sentences import join, split
from workflow.text.skeleton import difference
from workflow.translate.run import translate

LEFTOVER = re.compile(r"</?g\d+>|<x\d+/>")


@settings(max_examples=300, deadline=None)
@given(text=PARAGRAPH)
def test_protect_then_restore_is_identity(text: str) -> None:
    masked = mask(text)
    assert masked.unmask(masked.text) == text
    units = split(masked)
    assert join(units, [u.core for u in units]) == masked.text


def test_what_is_protected() -> None:
    masked = mask("见`nova boot`和[文档](https://docs.openstack.org/ \"标题\")，{{ site.url }} https://x.org/a。  \n下一行")
    assert masked.text == "见<x1/>和<g2>文档</g2>，<x4/> <x5/>。<x6/>下一行"
    assert masked.originals["</g2>"] == '](https://docs.openstack.org/ "标题")'
    assert masked.originals["<x6/>"] == "  \n" and "<x6/>" in masked.breaks


def test_reference_links_keep_their_label() -> None:
    env = {"references": {"REF": {"href": "/r", "title": ""}}}
    assert mask("[全文][ref] 和 [ref] 和 [ref][]", env).text == "<g1>全文</g1> 和 <x3/> 和 <x4/>"


def test_repair_cases() -> None:
    assert repair("<g1>Docs</g1> and <x3/>", "<g1>文档</g1>和<x3/>") == ("<g1>Docs</g1> and <x3/>", [])
    text, reasons = repair("Docs and", "<g1>文档</g1>和<x3/>")
    assert text == "Docs and <x3/> <g1>文档</g1>"
    assert reasons == [
        "placeholder <x3/> dropped by the engine; re-inserted at the end",
        "link/image <g1>…</g1> broken by the engine; restored at the end with its source text",
    ]
    assert repair("</g1>Docs<g1> < X3 / > <x3/>", "<g1>文档</g1><x3/>") == (
        "<g1>Docs</g1> <x3/> ",
        ["placeholder <x3/> duplicated by the engine; extra copy removed",
         "placeholders <g1></g1> reordered by the engine; swapped back"],
    )
    assert repair("a <x9/> b <x1/>", "<x1/>")[1] == ["engine invented placeholder <x9/>; removed"]


class ManglingEngine:
    """Drops, duplicates and reorders placeholders on purpose."""

    identity = False

    def __init__(self) -> None:
        self.info = EngineInfo("mangler", version="1")

    def translate(self, texts: list[str], progress: Progress | None = None) -> list[str]:
        out = []
        for i, text in enumerate(texts):
            tokens = LEFTOVER.findall(text)
            words = LEFTOVER.sub(" ", text)
            if i % 3 == 0:
                out.append(f"mangled {words}")  # every placeholder dropped
            elif i % 3 == 1:
                out.append(" ".join(reversed(tokens)) + f" {words} " + " ".join(tokens))  # reversed + duplicated
            else:
                out.append(text)
        return out


def test_an_engine_that_mangles_placeholders_never_breaks_links_or_code(project: Path) -> None:
    source = project / "source_zh" / "links.md"
    source.write_text(
        "# 标题\n\n请看[项目浏览](https://www.openstack.org/software/)和`nova list`的输出。\n\n"
        "**重要**：使用![图](/img/a.png)和<span>标签</span>。\n\n- 列表[链接](https://a.org)项\n",
        encoding="utf-8",
    )
    report = translate(load_settings(project), [source], engine=ManglingEngine())
    assert report.exit_code == 0
    english = (project / "output_en" / "links.md").read_text(encoding="utf-8")
    body = english.split("---\n", 2)[2]
    assert difference(source.read_text(encoding="utf-8"), body) == ""  # links, images, code, list intact
    assert not LEFTOVER.search(english)
    memory = load_memory(project / "output_en" / ".workflow" / "links.md.json", "m")
    assert memory is not None
    flagged = [r for r in memory.segments if r.status == "needs-review"]
    assert flagged and all(r.reasons for r in flagged)
    reasons = " ".join(reason for r in flagged for reason in r.reasons)
    assert "broken by the engine; restored at the end" in reasons
    assert "duplicated by the engine; extra copy removed" in reasons
    assert "reordered by the engine; swapped back" in reasons


# Every character that starts some Markdown construct, or ends a URL, or is Chinese: text drawn
# from it without the inline rules' start characters must get from the fast path exactly what the
# recording parser finds (issue 14: plain paragraphs are not parsed a second time).
PLAIN = "云计算峰会。，：；！？（）《》“” abcXYZ019-./:=#$%+|>{}()~@'\"\t" + "{{ x }}{% y %}https://a.org/b_(c) "


MARKUP = ["&amp;", "&#123;", "**粗**", "_斜_", "`code`", "[链接](https://a.org)", "![图](/i.png)", "<span>", "<https://a.org>",
          "\\*", "[^1]", "^[注]", "行  \n行", "行\\\n行", "\n", "[ref]", "!"]
PIECES = st.lists(st.one_of(st.text(alphabet=PLAIN, max_size=12), st.sampled_from(MARKUP)), max_size=6).map("".join)


@settings(max_examples=500, deadline=None)
@given(text=st.one_of(PIECES, st.text(alphabet=PLAIN + "\n\\`*_[!^<&", max_size=60)))
def test_the_plain_text_fast_path_finds_what_the_parser_finds(text: str) -> None:
    assert find_spans(text) == parsed_spans(text)


def test_the_fast_path_is_taken_for_plain_text_only() -> None:
    plain = "OpenStack的第12个版本发布，见 https://www.openstack.org/software/ 和 {{ site.url }}。"
    assert find_spans(plain) == parsed_spans(plain) and len(find_spans(plain)) == 2
    assert RULE_STARTS.isdisjoint(plain)
    marked = plain + " **重要**"
    assert not RULE_STARTS.isdisjoint(marked) and len(find_spans(marked)) == 4
