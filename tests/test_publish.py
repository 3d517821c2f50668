"""`workflow publish`: the paired bilingual view."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from click.testing import Result

from workflow.report.publish import block_spans, interleave
from workflow.text.segment import segment_body


def test_interleave_pairs_blocks_and_writes_shared_ones_once() -> None:
    zh = "# 标题\n\n第一段。\n第二行\n\n![图](/a.png)\n\n- 一\n- 二\n\n```\ncode\n```\n\n噪音\n"
    segments = segment_body(zh)
    assert [s.source for s in segments] == ["标题", "第一段。\n第二行", "![图](/a.png)", "一", "二", "噪音"]
    finals = ["Title", "First paragraph. Second line", "![Figure](/a.png)", "one", "two", ""]
    assert block_spans(zh)[:2] == [(0, 4), (6, 14)]
    assert interleave(zh, segments, finals) == (
        "# 标题\n\n# Title\n\n第一段。\n第二行\n\nFirst paragraph. Second line\n\n![图](/a.png)\n\n"
        "![Figure](/a.png)\n\n- 一\n- 二\n\n- one\n- two\n\n```\ncode\n```\n\n噪音\n"  # deleted: Chinese only
    )


def test_publish_writes_one_bilingual_file_per_article(project: Path, run: Callable[..., Result]) -> None:
    assert run("publish").exit_code == 2  # nothing translated yet
    assert run("translate", "--engine", "pseudo").exit_code == 0
    result = run("publish")
    assert result.exit_code == 0 and "5 documents: 5 written." in result.output
    page = (project / "output_en" / "bilingual" / "2017-05-08-openstack-boston-summit.md").read_text(encoding="utf-8")
    assert "lang: en\n" in page and "languages:\n- zh\n- en\n" in page and "bilingual: true" in page
    zh = page.index("2017年波士顿OpenStack Summit在Hynes会议中心如期举办")
    assert page.index("Keynote会场") > zh  # Chinese blocks in order, each followed by its English
    assert page.count("![image](/images/openstack_boston_summit/1.png)") == 1
    again = run("publish")
    assert "5 documents: 0 written." in again.output
    source = project / "source_zh" / "2017-05-08-openstack-boston-summit.md"
    source.write_text(source.read_text(encoding="utf-8") + "\n新的一段。\n", encoding="utf-8")
    stale = run("publish", str(source.relative_to(project)))
    assert stale.exit_code == 2
    assert "source_zh/2017-05-08-openstack-boston-summit.md: changed since it was translated." in stale.output


LINKS = """# 标题

见[上一篇](../2017/a.md)和[本节](#sec)，图：![图](images/x.png "t")，[外链](https://example.org/a.png)。

<img src="../images/y.png">

[ref]: ./b.md#part

```
[不是链接](code.md)
```
"""


def relative_links(text: str) -> list[str]:
    import re

    text = re.sub(r"^```.*?^```$", "", text, flags=re.MULTILINE | re.DOTALL)  # code holds no links
    found = re.findall(r"\]\(<?([^)\s>]+)", text) + re.findall(r"src=\"([^\"]+)", text)
    found += re.findall(r"^\[ref\]: (\S+)", text, re.MULTILINE)
    return [u for u in found if not re.match(r"^(?:[a-z]+:|/|#)", u)]


def test_published_pages_keep_their_relative_links_working(empty_project: Path) -> None:
    """Every relative link of the bilingual page reaches the file the English page's link reaches."""
    import posixpath

    from conftest import cli_runner

    article = empty_project / "source_zh" / "2018" / "post.md"
    article.parent.mkdir()
    article.write_text(LINKS, encoding="utf-8")
    run = cli_runner(empty_project)
    assert run("translate", "--engine", "pseudo").exit_code == 0
    assert run("publish").exit_code == 0
    english = (empty_project / "output_en" / "2018" / "post.md").read_text(encoding="utf-8")
    page = (empty_project / "output_en" / "bilingual" / "2018" / "post.md").read_text(encoding="utf-8")
    wanted = sorted(posixpath.normpath(posixpath.join("output_en/2018", u.split("#")[0])) for u in relative_links(english))
    reached = [posixpath.normpath(posixpath.join("output_en/bilingual/2018", u.split("#")[0])) for u in relative_links(page)]
    assert len(wanted) == 4 and sorted(set(reached)) == sorted(set(wanted))
    assert "[不是链接](code.md)" in page  # code is not a link


def test_interleave_applies_the_editors_markup_as_translate_does() -> None:
    zh = "## 标题\n\n- 一\n- 二\n"
    segments = segment_body(zh)
    assert interleave(zh, segments, ["Title", "one", "two"], ["### ", "* ", "* "]) == (
        "## 标题\n\n### Title\n\n- 一\n- 二\n\n* one\n* two\n")


def test_publish_shows_a_heading_level_the_editor_changed(project: Path, run: Callable[..., Result]) -> None:
    assert run("translate", "--engine", "pseudo").exit_code == 0
    name = "2017-05-08-openstack-boston-summit.md"
    english = project / "output_en" / name
    text = english.read_text(encoding="utf-8")
    heading = next(line for line in text.split("\n") if line.startswith("## "))
    english.write_text(text.replace(heading + "\n", "#" + heading + "\n", 1), encoding="utf-8")
    assert run("review", "--reviewer", "Ada", f"output_en/{name}").exit_code == 0
    assert run("publish").exit_code == 0
    page = (project / "output_en" / "bilingual" / name).read_text(encoding="utf-8")
    assert "\n#" + heading + "\n" in page
