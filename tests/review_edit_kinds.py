"""The edit kinds editors make, each with what `review` must record or why it must refuse (issue 11).

One article (`CHINESE`) is translated with the pseudo engine; each kind edits the English in
one or more steps (`review` after each) and says what memory must then hold: the final of
each changed segment by label (`{A}` is segment A's machine English, `""` a deletion), or a
refusal with a phrase of its message. `tests/test_review_edit_kinds.py` runs them all and
checks, besides the records, that a refusal names the line and the way out and writes
nothing, and that a recorded edit is written back byte for byte by `translate` and survives
a later change of the Chinese elsewhere in the article. The tally the README gives:
`python tests/test_review_edit_kinds.py` prints how many kinds are recorded, refused and wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CHINESE = """\
---
title: 柏林峰会印象
tags:
  - 容器
categories:
  - 峰会
---

# 柏林峰会见闻

峰会在柏林开幕，近三千人参加，议题超过两百个，现场非常热闹。

日程安排得满满当当，议题全程听下来，收益颇丰，感慨良多。

## 社区的变化

社区在发展，OpenStack不再只是云平台，而是整个基础设施。

StarlingX在十月底发布，引起了电信行业的广泛关注和讨论。

- 第一项：容器的安全隔离
- 第二项：边缘计算的部署

> 引用：开放基础设施是未来。

| 项目 | 说明 |
| --- | --- |
| 星辰 | 边缘云平台 |

```bash
# 创建 文件系统
mkfs.ext4 /dev/sdb
```

最后一段总结了这次峰会的收获。
"""

# label -> a piece of the segment's Chinese
LABELS = {
    "H1": "柏林峰会见闻", "A": "峰会在柏林开幕", "B": "日程安排", "H2": "社区的变化", "C": "社区在发展",
    "D": "StarlingX", "L1": "第一项", "L2": "第二项", "Q": "引用", "T1": "项目", "T2": "说明", "T3": "星辰",
    "T4": "边缘云平台", "Z": "最后一段", "title": "柏林峰会印象", "K": "创建 文件系统",
}
NEW = "An entirely new paragraph the editor wrote about the keynotes."
NOTE = "> Translator's note: the Chinese says three thousand."
HAND_A = "The summit opened in Berlin with nearly three thousand attendees and over two hundred sessions."
HAND_B = "The schedule was packed; we learned a lot and came away with much to think about."


@dataclass(frozen=True)
class Kind:
    name: str
    steps: tuple[tuple[str, str], ...]  # (old, new) replacements of the English, `review` after each
    finals: dict[str, str] = field(default_factory=dict)  # label -> final after the last step
    refused: str = ""  # a phrase of the refusal of the last step
    recorded: bool = True  # False: recorded nothing (no edit)
    markups: dict[str, str] = field(default_factory=dict)  # label -> the editor's markup override
    front: dict[str, object] = field(default_factory=dict)  # front-matter key -> the English value it must keep
    afters: dict[str, str] = field(default_factory=dict)  # label -> the editor's added items or rows after it


def k(name: str, *steps: tuple[str, str], refused: str = "", markups: dict[str, str] | None = None,
      front: dict[str, object] | None = None, afters: dict[str, str] | None = None, **finals: str) -> Kind:
    return Kind(name, tuple(steps), dict(finals), refused,
                recorded=bool(finals or refused or markups or front or afters), markups=markups or {},
                front=front or {}, afters=afters or {})


KINDS = [
    k("nothing edited", ("{A}", "{A}")),
    k("blank lines and trailing spaces only", ("{A}\n", "{A}   \n\n")),
    k("a word changed in a paragraph", ("{A}", "{A} Really."), A="{A} Really."),
    k("a paragraph rewritten from scratch", ("{A}", HAND_A), A=HAND_A),
    k("a heading corrected", ("## {H2}", "## {H2} today"), H2="{H2} today"),
    k("a heading rewritten", ("# {H1}", "# Impressions of Berlin"), H1="Impressions of Berlin"),
    k("a list item corrected", ("- {L1}", "- {L1}, mostly"), L1="{L1}, mostly"),
    k("a quote corrected", ("> {Q}", "> {Q} Indeed."), Q="{Q} Indeed."),
    k("a table cell corrected", ("| {T4} |", "| Edge cloud |"), T4="Edge cloud"),
    k("two table cells corrected", ("| {T3} | {T4} |", "| StarlingX | Edge cloud |"), T3="StarlingX", T4="Edge cloud"),
    k("a table cell emptied", ("| {T3} |", "|  |"), T3=""),
    k("a title corrected", ("title: {title}", "title: Berlin impressions"), title="Berlin impressions"),
    k("a paragraph deleted", ("{A}\n\n", ""), A=""),
    k("the last paragraph deleted", ("\n\n{Z}", ""), Z=""),
    k("a heading deleted", ("## {H2}\n\n", ""), H2=""),
    k("a list item deleted", ("- {L2}\n", ""), L2=""),
    k("a quote deleted", ("> {Q}\n\n", ""), Q=""),
    k("a paragraph split in two", ("{A}", "{A}\n\nSecond half."), A="{A}\n\nSecond half."),
    k("a list item split into two paragraphs", ("- {L1}\n", "- {L1}\n\n  More on it.\n"), L1="{L1}\n\nMore on it."),
    k("two paragraphs merged", ("{A}\n\n{B}", "{A} {B}"), A="{A} {B}", B=""),
    k("a paragraph added after a paragraph", ("{B}\n", "{B}\n\n" + NEW + "\n"), B="{B}\n\n" + NEW),
    k("a paragraph added at the end", ("{Z}", "{Z}\n\n" + NEW), Z="{Z}\n\n" + NEW),
    k("a paragraph added after a heading", ("## {H2}\n\n", "## {H2}\n\n" + NEW + "\n\n"), C=NEW + "\n\n{C}"),
    k("a translator's note (a quote) after a paragraph", ("{A}\n", "{A}\n\n" + NOTE + "\n"), A="{A}\n\n" + NOTE),
    k("two paragraphs edited", ("{A}", "{A} One."), ("{B}", "{B} Two."), A="{A} One.", B="{B} Two."),
    k("one paragraph edited, the next deleted", ("{A}\n\n{B}", "{A} One."), A="{A} One.", B=""),
    k("a heading deleted and the paragraph after it edited", ("## {H2}\n\n{C}", "{C} Edited."), H2="", C="{C} Edited."),
    k("a paragraph edited and a paragraph added after it", ("{A}", "{A} Edited.\n\n" + NEW), A="{A} Edited.\n\n" + NEW),
    k("a heading gets text at its end", ("# {H1}", "# {H1} 2018"), H1="{H1} 2018"),
    k("a deleted paragraph's machine English pasted back", ("{B}\n\n", ""), ("{A}\n", "{A}\n\n{B}\n"), B="{B}"),
    k("a note where a deleted paragraph had been (a quote)", ("{B}\n\n", ""), ("{A}\n", "{A}\n\n" + NOTE + "\n"),
      A="{A}\n\n" + NOTE, B=""),
    # -- refused: the line and the way out -----------------------------------------------------------------
    k("a paragraph typed where a deleted one had been (issue 11, silent before)", ("{B}\n\n", ""),
      ("{A}\n", "{A}\n\n" + NEW + "\n"), refused="stands where the deleted segment"),
    k("a paragraph deleted and the next written as two (issue 11, silent before)",
      ("{A}\n\n{B}", "The schedule was packed.\n\nWe learned a lot and came away with much to think about, "
       "more than at any summit before."), refused="resemble none of their recorded segments"),
    k("two neighbouring paragraphs translated afresh at once", ("{A}\n\n{B}", HAND_A + "\n\n" + HAND_B),
      refused="resemble none of their recorded segments"),
    k("a paragraph moved before another", ("{C}\n\n{D}", "{D}\n\n{C}"), refused="looks moved"),
    k("two paragraphs swapped and edited", ("{A}\n\n{B}", "{B} Yes.\n\n{A} Yes."), refused="moved"),
    k("a heading's level changed", ("## {H2}", "### {H2}"), markups={"H2": "### "}),
    k("a heading's level changed and its text edited", ("## {H2}", "### {H2} now"), H2="{H2} now",
      markups={"H2": "### "}),
    k("a list marker changed", ("- {L1}\n- {L2}", "* {L1}\n* {L2}"), markups={"L1": "* ", "L2": "* "}),
    k("a heading's level changed back", ("## {H2}", "### {H2}"), ("### {H2}", "## {H2}"), markups={"H2": ""}),
    k("a heading made a list item", ("## {H2}", "- {H2}"), refused="changes the structure"),
    k("a list item added (issue 11: was refused)", ("- {L2}\n", "- {L2}\n- A third item the editor added.\n"),
      afters={"L2": "- A third item the editor added."}),
    k("a table row added (issue 11: was refused)", ("| {T3} | {T4} |\n", "| {T3} | {T4} |\n| Kata | Containers |\n"),
      afters={"T4": "| Kata | Containers |"}),
    k("two list items added", ("- {L2}\n", "- {L2}\n- One more.\n- And another.\n"),
      afters={"L2": "- One more.\n- And another."}),
    k("a list item added after the first item", ("- {L1}\n", "- {L1}\n- Between the two.\n"),
      afters={"L1": "- Between the two."}),
    k("a list item edited and an item added after it", ("- {L2}\n", "- {L2}, mostly\n- A third item.\n"),
      L2="{L2}, mostly", afters={"L2": "- A third item."}),
    k("an added list item edited later", ("- {L2}\n", "- {L2}\n- A third item.\n"),
      ("- A third item.", "- A third item, edited."), afters={"L2": "- A third item, edited."}),
    k("an added list item removed again", ("- {L2}\n", "- {L2}\n- A third item.\n"), ("- A third item.\n", ""),
      afters={"L2": ""}),
    k("a list item added after a blank line", ("- {L2}\n", "- {L2}\n\n- A loose item.\n"),
      afters={"L2": "\n- A loose item."}),
    k("a list item added before the first item", ("- {L1}\n", "- Before them all.\n- {L1}\n"),
      refused="before the list's first item"),
    k("a table row added and a cell edited", ("| {T3} | {T4} |\n", "| {T3} | Edge cloud |\n| Kata | Containers |\n"),
      T4="Edge cloud", afters={"T4": "| Kata | Containers |"}),
    k("two table rows added", ("| {T3} | {T4} |\n", "| {T3} | {T4} |\n| Kata | Containers |\n| Zun | Containers too |\n"),
      afters={"T4": "| Kata | Containers |\n| Zun | Containers too |"}),
    k("a table row added before the first row", ("| --- | --- |\n", "| --- | --- |\n| Kata | Containers |\n"),
      refused="right below the header row"),
    k("a table column added", ("| {T3} | {T4} |", "| {T3} | {T4} | More |"), refused="outside the translatable text"),
    k("a code comment translated (issue 11: was refused)", ("# {K}", "# create a file system"), K="create a file system"),
    k("a code comment's text deleted", ("# {K}", "#"), K=""),
    k("a code comment translated and the code beside it changed", ("# {K}\nmkfs.ext4", "# create one\nmkfs.xfs"),
      refused="outside the translatable text"),
    k("a code comment given a second line of code", ("# {K}\n", "# create one\nmkfs.xfs /dev/sdc\n"),
      refused="outside the translatable text"),
    k("a code comment's marker changed", ("# {K}", "## {K}"), refused="outside the translatable text"),
    k("a tag translated differently", ("- 容器", "- containers"), front={"tags": ["containers"]}),
    k("a category edited", ("- 峰会", "- Summit"), front={"categories": ["Summit"]}),
    k("a tag edited, then edited back", ("- 容器", "- containers"), ("- containers", "- 容器"), front={"tags": ["容器"]}),
    k("a tag added (issue 11: was refused)", ("  - 容器\n", "  - 容器\n  - Kubernetes\n"),
      front={"tags": ["容器", "Kubernetes"]}),
    k("a tag added before the first one", ("tags:\n  - 容器\n", "tags:\n  - Kubernetes\n  - 容器\n"),
      front={"tags": ["Kubernetes", "容器"]}),
    k("the only tag removed", ("tags:\n  - 容器\n", "tags: []\n"), front={"tags": []}),
    k("a category added and the tag edited", ("  - 峰会\n", "  - 峰会\n  - Berlin\n"), ("- 容器", "- containers"),
      front={"categories": ["峰会", "Berlin"], "tags": ["containers"]}),
    k("a tag added, then removed again", ("  - 容器\n", "  - 容器\n  - Kubernetes\n"), ("- Kubernetes\n", ""),
      front={"tags": ["容器"]}),
    k("a tag edited and another added at one place", ("  - 容器\n", "  - containers\n  - Kubernetes\n"),
      refused="both changed and added or removed"),
    k("the title removed", ("title: {title}\n", ""), refused="front-matter key `title` was removed"),
    k("a front-matter key added", ("title: {title}\n", "title: {title}\nauthor: Ada\n"), refused="front matter"),
    k("a paragraph added before the first heading", ("# {H1}", NEW + "\n\n# {H1}"), refused="attach"),
]
