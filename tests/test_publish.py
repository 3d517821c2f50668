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
    assert "lang: zh, en" in page and "bilingual: true" in page
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
