"""An editor's new list items and table rows (`Record.after`, issue 11): recorded, written back byte for
byte, kept when the Chinese changes, moved to the item before when their item's Chinese goes, reported
lost when nothing can take them; old memories read unchanged, the field type-checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import cli_runner
from test_review_edit_kinds import NAME, labelled, memory, setup

from workflow.config import load_settings
from workflow.document.carry import MOVED_ADDITION
from workflow.errors import MemoryCorrupt
from workflow.review.run import review
from workflow.store.memory import Record, parse
from workflow.translate.run import translate

ITEM = "- A third item the editor added."
ROW = "| Kata | Containers |"


def add(root: Path, english: Path, old: str, new: str) -> None:
    text = english.read_text(encoding="utf-8")
    assert old in text
    english.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert review(load_settings(root), [english]).documents[0].state == "recorded"


def change_chinese(root: Path, old: str, new: str) -> None:
    source = root / "source_zh" / NAME
    text = source.read_text(encoding="utf-8")
    assert old in text
    source.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert translate(load_settings(root)).documents[0].state == "translated"


def test_an_added_item_stays_after_its_item_when_that_items_chinese_changes(tmp_path: Path) -> None:
    root = tmp_path / "site"
    english, records = setup(root)
    add(root, english, f"- {records['L2'].machine}\n", f"- {records['L2'].machine}\n{ITEM}\n")
    change_chinese(root, "第二项：边缘计算的部署", "第二项：边缘计算的大规模部署")
    item = next(r for r in memory(root).segments if "大规模" in r.source)
    assert item.after == ITEM and item.status == "needs-review"
    assert item.previous_final == "" and not item.own_english  # its old machine English was nobody's work
    assert f"- {item.final}\n{ITEM}\n" in english.read_text(encoding="utf-8")


def test_an_added_item_moves_to_the_item_before_when_its_items_chinese_is_deleted(tmp_path: Path) -> None:
    root = tmp_path / "site"
    english, records = setup(root)
    add(root, english, f"- {records['L2'].machine}\n", f"- {records['L2'].machine}, edited\n{ITEM}\n")
    change_chinese(root, "- 第二项：边缘计算的部署\n", "")
    first = labelled_one(root, "第一项")
    assert first.after == ITEM and MOVED_ADDITION in first.reasons
    assert f"- {first.final}\n{ITEM}\n\n> " in english.read_text(encoding="utf-8")
    # the item is on the page; what awaits a decision is the reviewed English of the deleted item itself
    assert [(r.source, r.final) for r in memory(root).lost()] == [(records["L2"].source, f"{records['L2'].machine}, edited")]


def test_an_added_item_with_no_item_before_it_is_reported_lost(tmp_path: Path) -> None:
    root = tmp_path / "site"
    english, records = setup(root)
    add(root, english, f"- {records['L1'].machine}\n", f"- {records['L1'].machine}\n{ITEM}\n")
    change_chinese(root, "- 第一项：容器的安全隔离\n", "")
    assert ITEM not in english.read_text(encoding="utf-8")
    lost = memory(root).lost()
    assert [r.after for r in lost] == [ITEM]
    result = cli_runner(root)("check")
    assert result.exit_code == 1 and "lost" in result.output


def test_an_added_row_whose_row_is_deleted_is_reported_lost_not_moved_under_the_header(tmp_path: Path) -> None:
    root = tmp_path / "site"
    english, records = setup(root)
    add(root, english, f"| {records['T4'].machine} |\n", f"| {records['T4'].machine} |\n{ROW}\n")
    assert labelled(memory(root))["T4"].after == ROW
    change_chinese(root, "| 星辰 | 边缘云平台 |\n", "")
    assert ROW not in english.read_text(encoding="utf-8")
    assert ROW in [r.after for r in memory(root).lost()]


def test_an_added_item_is_on_the_bilingual_page(tmp_path: Path) -> None:
    root = tmp_path / "site"
    english, records = setup(root)
    add(root, english, f"- {records['L2'].machine}\n", f"- {records['L2'].machine}\n{ITEM}\n")
    assert cli_runner(root)("publish").exit_code == 0
    page = (root / "output_en" / "bilingual" / NAME).read_text(encoding="utf-8")
    assert f"- {records['L2'].machine}\n{ITEM}\n" in page


def labelled_one(root: Path, chinese: str) -> Record:
    return next(r for r in memory(root).segments if chinese in r.source)


def test_memory_without_after_reads_unchanged_and_a_mistyped_after_is_corrupt(tmp_path: Path) -> None:
    root = tmp_path / "site"
    setup(root)
    path = root / "output_en" / ".workflow" / (NAME + ".json")
    data = path.read_bytes()
    assert b'"after"' not in data  # nothing added: the field is not written
    assert parse(data, "m.json").to_bytes() == data
    raw = json.loads(data)
    raw["segments"][0]["after"] = 3
    with pytest.raises(MemoryCorrupt, match="`after` must be a string"):
        parse(json.dumps(raw, ensure_ascii=False, indent=1).encode(), "m.json")


def english_front(english: Path) -> dict[str, object]:
    import yaml

    found = yaml.safe_load(english.read_text(encoding="utf-8").split("---\n", 2)[1])
    assert isinstance(found, dict)
    return found


def test_added_and_removed_tags_survive_a_change_of_the_chinese_lists(tmp_path: Path) -> None:
    root = tmp_path / "site"
    english, _ = setup(root)
    add(root, english, "tags:\n  - 容器\n", "tags:\n  - 容器\n  - Kubernetes\n")
    add(root, english, "categories:\n  - 峰会\n", "categories: []\n")
    lists = memory(root).extra["front_matter_lists"]
    assert lists == {"tags": {"added": [["容器", "Kubernetes"]], "removed": []},
                     "categories": {"added": [], "removed": ["峰会"]}}
    change_chinese(root, "tags:\n  - 容器\n", "tags:\n  - 容器\n  - 边缘\n")
    change_chinese(root, "categories:\n  - 峰会\n", "categories:\n  - 峰会\n  - 社区\n")
    front = english_front(english)
    assert front["tags"] == ["容器", "Kubernetes", "边缘"]  # the editor's tag stays after its Chinese neighbour
    assert front["categories"] == ["社区"]  # the removed one stays removed, the new one comes in
    change_chinese(root, "tags:\n  - 容器\n  - 边缘\n", "tags:\n  - 边缘\n")
    assert english_front(english)["tags"] == ["边缘", "Kubernetes"]  # its neighbour gone: at the end


NESTED = """# 标题

> - 引用列表一
> - 引用列表二

1. 第一步
2. 第二步

- 外层一
  - 内层一
  - 内层二
- 外层二

> | 甲 | 乙 |
> | --- | --- |
> | 丙 | 丁 |

结尾。
"""


@pytest.mark.parametrize(("old", "new", "owner", "after"), [
    ("> - 引用列表二\n", "> - 引用列表二\n> - New quoted item\n", "引用列表二", "- New quoted item"),
    ("2. 第二步\n", "2. 第二步\n3. Third step\n\n   More on it.\n", "第二步", "3. Third step\n\n   More on it."),
    ("  - 内层二\n", "  - 内层二\n  - New inner item\n", "内层二", "- New inner item"),
    ("> | 丙 | 丁 |\n", "> | 丙 | 丁 |\n> | New | Row |\n", "丁", "| New | Row |"),
])
def test_added_items_inside_quotes_nested_lists_and_quoted_tables(tmp_path: Path, old: str, new: str, owner: str,
                                                                   after: str) -> None:
    root = tmp_path / "site"
    (root / "source_zh").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.workflow]\nengine = "copy"\nreviewer = "Ada"\n', encoding="utf-8")
    (root / "source_zh" / NAME).write_text(NESTED, encoding="utf-8")
    assert translate(load_settings(root)).documents[0].state == "translated"
    english = root / "output_en" / NAME
    add(root, english, old, new)
    assert {r.source: r.after for r in memory(root).segments if r.after} == {owner: after}
    body = english.read_text(encoding="utf-8").split("---\n", 2)[2]
    assert body == NESTED.replace(old, new)
    assert translate(load_settings(root)).documents[0].state == "unchanged"


def test_an_item_after_a_nested_list_is_refused_in_those_words(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "source_zh").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.workflow]\nengine = "copy"\nreviewer = "Ada"\n', encoding="utf-8")
    (root / "source_zh" / NAME).write_text(NESTED, encoding="utf-8")
    assert translate(load_settings(root)).documents[0].state == "translated"
    english = root / "output_en" / NAME
    english.write_text(english.read_text(encoding="utf-8").replace("  - 内层二\n", "  - 内层二\n- New outer\n"),
                       encoding="utf-8")
    doc = review(load_settings(root), [english]).documents[0]
    assert doc.state == "refused" and "at another depth than the item before it (after a nested list" in doc.message


def test_show_and_the_html_report_give_the_added_items(tmp_path: Path) -> None:
    root = tmp_path / "site"
    english, records = setup(root)
    add(root, english, f"- {records['L2'].machine}\n", f"- {records['L2'].machine}\n{ITEM}\n")
    shown = cli_runner(root)("review", "--show", f"output_en/{NAME}")
    assert shown.exit_code == 0 and f"    added:   {ITEM}" in shown.output
    assert cli_runner(root)("review", "--html", "r.html", f"output_en/{NAME}").exit_code == 0
    assert f'<ins class="after">{ITEM}</ins>' in (root / "r.html").read_text(encoding="utf-8")


def test_an_item_moved_out_of_its_list_leaves_its_added_items_in_the_list(tmp_path: Path) -> None:
    root = tmp_path / "site"
    english, records = setup(root)
    add(root, english, f"- {records['L2'].machine}\n", f"- {records['L2'].machine}\n{ITEM}\n")
    source = root / "source_zh" / NAME
    text = source.read_text(encoding="utf-8").replace("- 第二项：边缘计算的部署\n", "")
    source.write_text(text.replace("最后一段", "第二项：边缘计算的部署\n\n最后一段"), encoding="utf-8")
    assert translate(load_settings(root)).documents[0].state == "translated"
    moved = labelled_one(root, "第二项")
    assert moved.kind == "paragraph" and moved.after == "" and moved.final == records["L2"].final
    first = labelled_one(root, "第一项")
    assert first.after == ITEM and MOVED_ADDITION in first.reasons
    assert english.read_text(encoding="utf-8").count(ITEM) == 1


def test_an_item_moved_within_its_list_takes_its_added_items_along_once(tmp_path: Path) -> None:
    root = tmp_path / "site"
    english, records = setup(root)
    add(root, english, f"- {records['L2'].machine}\n", f"- {records['L2'].machine}\n{ITEM}\n")
    source = root / "source_zh" / NAME
    source.write_text(source.read_text(encoding="utf-8").replace(
        "- 第一项：容器的安全隔离\n- 第二项：边缘计算的部署\n", "- 第二项：边缘计算的部署\n- 第一项：容器的安全隔离\n"),
        encoding="utf-8")
    assert translate(load_settings(root)).documents[0].state == "translated"
    text = english.read_text(encoding="utf-8")
    assert text.count(ITEM) == 1
    assert f"- {records['L2'].final}\n{ITEM}\n- {records['L1'].final}\n" in text


def test_a_moved_paragraph_takes_its_added_paragraph_along_once(tmp_path: Path) -> None:
    """The same for an added paragraph (kept in the record's final): it was copied to the neighbour too."""
    root = tmp_path / "site"
    english, records = setup(root)
    new = "An entirely new paragraph the editor wrote about the keynotes."
    add(root, english, f"{records['B'].machine}\n", f"{records['B'].machine}\n\n{new}\n")
    source = root / "source_zh" / NAME
    text = source.read_text(encoding="utf-8")
    a = next(line for line in text.split("\n") if line.startswith("峰会在柏林开幕"))
    b = next(line for line in text.split("\n") if line.startswith("日程安排"))
    source.write_text(text.replace(f"{a}\n\n{b}\n", f"{b}\n\n{a}\n"), encoding="utf-8")
    assert translate(load_settings(root)).documents[0].state == "translated"
    assert english.read_text(encoding="utf-8").count(new) == 1


def test_force_adopts_a_hand_translation_with_an_added_item(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "source_zh").mkdir(parents=True)
    (root / "output_en").mkdir()
    (root / "pyproject.toml").write_text('[tool.workflow]\nengine = "copy"\nreviewer = "Ada"\n', encoding="utf-8")
    (root / "source_zh" / NAME).write_text(NESTED, encoding="utf-8")
    hand = NESTED.replace("2. 第二步\n", "2. 第二步\n3. A third step\n")
    (root / "output_en" / NAME).write_text(hand, encoding="utf-8")
    forced = cli_runner(root)("translate", "--force")
    assert forced.exit_code == 0, forced.output
    assert (root / "output_en" / NAME).read_text(encoding="utf-8").split("---\n", 2)[2] == hand
    assert labelled_one(root, "第二步").after == "3. A third step"


def test_memory_restore_puts_a_lost_records_added_items_back_after_an_item(tmp_path: Path) -> None:
    root = tmp_path / "site"
    english, records = setup(root)
    add(root, english, f"- {records['L1'].machine}\n", f"- {records['L1'].machine}, edited\n{ITEM}\n")
    change_chinese(root, "- 第一项：容器的安全隔离\n", "")
    [lost] = memory(root).lost()
    key = lost.key
    result = cli_runner(root)("memory", "restore", f"source_zh/{NAME}", key, "--reviewer", "Ed")
    assert result.exit_code == 0, result.output
    second = labelled_one(root, "第二项")
    assert second.after == ITEM and second.status == "needs-review"
    assert second.final.endswith(f"\n\n{lost.final}")  # the item's reviewed English too, as restore does
    assert f"{ITEM}\n" in english.read_text(encoding="utf-8")
    assert memory(root).lost() == [] and cli_runner(root)("check").exit_code == 0


def test_a_tag_added_and_another_removed_is_an_override_not_a_renaming(tmp_path: Path) -> None:
    """Review finding 1: with the lists the same length, values were paired by position (边缘→Kubernetes,
    社区→边缘) and no override recorded; translate then lost Kubernetes and brought 社区 back."""
    root = tmp_path / "site"
    english, _ = setup(root)
    change_chinese(root, "tags:\n  - 容器\n", "tags:\n  - 容器\n  - 边缘\n  - 社区\n")
    add(root, english, "tags:\n  - 容器\n  - 边缘\n  - 社区\n", "tags:\n  - 容器\n  - Kubernetes\n  - 边缘\n")
    mem = memory(root)
    assert "front_matter_terms" not in mem.extra
    assert mem.extra["front_matter_lists"] == {"tags": {"added": [["容器", "Kubernetes"]], "removed": ["社区"]}}
    change_chinese(root, "最后一段总结了", "最后一段回顾了")
    assert english_front(english)["tags"] == ["容器", "Kubernetes", "边缘"]


def test_an_override_stays_when_a_later_edit_makes_the_lists_the_same_length(tmp_path: Path) -> None:
    root = tmp_path / "site"
    english, _ = setup(root)
    add(root, english, "tags:\n  - 容器\n", "tags:\n  - 容器\n  - Kubernetes\n")
    add(root, english, "tags:\n- 容器\n- Kubernetes\n", "tags:\n- Kubernetes\n")
    mem = memory(root)
    assert "front_matter_terms" not in mem.extra
    assert mem.extra["front_matter_lists"] == {"tags": {"added": [["容器", "Kubernetes"]], "removed": ["容器"]}}
    change_chinese(root, "tags:\n  - 容器\n", "tags:\n  - 容器\n  - 边缘\n")
    assert english_front(english)["tags"] == ["Kubernetes", "边缘"]


def test_an_item_made_a_heading_in_place_leaves_its_added_items_in_the_list(tmp_path: Path) -> None:
    """Review finding 2: the record kept its `after` as a heading, and the page got a list after the heading."""
    root = tmp_path / "site"
    english, records = setup(root)
    add(root, english, f"- {records['L2'].machine}\n", f"- {records['L2'].machine}\n{ITEM}\n")
    change_chinese(root, "- 第二项：边缘计算的部署\n", "\n## 第二项：边缘计算的部署\n")
    heading = labelled_one(root, "第二项")
    assert heading.kind.startswith("heading") and heading.after == ""
    first = labelled_one(root, "第一项")
    assert first.after == ITEM and MOVED_ADDITION in first.reasons
    text = english.read_text(encoding="utf-8")
    assert text.count(ITEM) == 1 and f"- {first.final}\n{ITEM}\n" in text


def test_a_changed_item_made_a_heading_with_no_item_before_reports_its_added_items_lost(tmp_path: Path) -> None:
    root = tmp_path / "site"
    english, records = setup(root)
    add(root, english, f"- {records['L1'].machine}\n", f"- {records['L1'].machine}\n{ITEM}\n")
    change_chinese(root, "- 第一项：容器的安全隔离\n", "## 第一项：容器的隔离\n\n")
    heading = labelled_one(root, "第一项")
    assert heading.kind.startswith("heading") and heading.after == ""
    assert ITEM not in english.read_text(encoding="utf-8")
    assert [r.after for r in memory(root).lost()] == [ITEM]
    assert cli_runner(root)("check").exit_code == 1


SWAPPED = "| 星辰 | 边缘云平台 |\n| --- | --- |\n| 项目 | 说明 |\n"


def test_an_added_row_never_lands_on_a_header_cell(tmp_path: Path) -> None:
    """Review finding 3: the Chinese swapped header and body rows; the added row was written above the
    delimiter row (the table destroyed) and check said current."""
    root = tmp_path / "site"
    english, records = setup(root)
    add(root, english, f"| {records['T4'].machine} |\n", f"| {records['T4'].machine} |\n{ROW}\n")
    change_chinese(root, "| 项目 | 说明 |\n| --- | --- |\n| 星辰 | 边缘云平台 |\n", SWAPPED)
    assert {r.source: r.after for r in memory(root).segments if r.after} == {}
    text = english.read_text(encoding="utf-8")
    assert ROW not in text
    assert ROW in [r.after for r in memory(root).lost()]
    assert cli_runner(root)("check").exit_code == 1


def test_restore_refuses_a_header_cell_and_puts_rows_after_a_body_row_without_replace(tmp_path: Path) -> None:
    root = tmp_path / "site"
    english, records = setup(root)
    add(root, english, f"| {records['T4'].machine} |\n", f"| {records['T4'].machine} |\n{ROW}\n")
    change_chinese(root, "| 项目 | 说明 |\n| --- | --- |\n| 星辰 | 边缘云平台 |\n", SWAPPED)
    [lost] = [r for r in memory(root).lost() if r.after == ROW]
    header = labelled_one(root, "边缘云平台")
    body_cell = labelled_one(root, "说明")
    written = english.read_bytes()
    refused = cli_runner(root)("memory", "restore", f"source_zh/{NAME}", lost.key, "--onto", header.id, "--replace")
    assert refused.exit_code == 2 and "header row" in refused.output and body_cell.id in refused.output
    assert english.read_bytes() == written
    result = cli_runner(root)("memory", "restore", f"source_zh/{NAME}", lost.key, "--onto", body_cell.id)
    assert result.exit_code == 0, result.output
    text = english.read_text(encoding="utf-8")
    assert f"| {body_cell.final} |\n{ROW}\n" in text and text.count(header.final) == 1
    assert labelled_one(root, "说明").final == body_cell.final  # the cell's English stays: only the rows came
    assert memory(root).lost() == [] and cli_runner(root)("check").exit_code == 0


def test_a_lost_added_item_is_not_hidden_by_a_longer_item_elsewhere(tmp_path: Path) -> None:
    """Review finding 4: `- Kata` counted as kept because `- Kata Containers` (another item's) contains it."""
    root = tmp_path / "site"
    english, records = setup(root)
    add(root, english, f"- {records['L1'].machine}\n", f"- {records['L1'].machine}\n- Kata\n")
    add(root, english, f"- {records['L2'].machine}\n", f"- {records['L2'].machine}\n- Kata Containers\n")
    change_chinese(root, "- 第一项：容器的安全隔离\n", "## 第一项：容器的安全隔离\n\n")  # its English stays on the page
    assert [r.after for r in memory(root).lost()] == ["- Kata"]
    assert cli_runner(root)("check").exit_code == 1


def test_adding_an_item_does_not_approve_the_item_above_it(tmp_path: Path) -> None:
    """Review finding 5: the item's untouched machine English became `reviewed` (by the editor), counted for
    --require-reviewed and entered the translation memory as reviewed."""
    root = tmp_path / "site"
    english, records = setup(root)
    add(root, english, f"- {records['L2'].machine}\n", f"- {records['L2'].machine}\n{ITEM}\n")
    item = labelled(memory(root))["L2"]
    assert item.after == ITEM and (item.status, item.reviewer) == (records["L2"].status, records["L2"].reviewer)
    assert item.status != "reviewed" and item.human
    change_chinese(root, "第二项：边缘计算的部署", "第二项：边缘计算的大规模部署")  # the addition is still kept
    assert labelled_one(root, "大规模").after == ITEM


def nested_site(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "site"
    (root / "source_zh").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.workflow]\nengine = "copy"\nreviewer = "Ada"\n', encoding="utf-8")
    (root / "source_zh" / NAME).write_text(NESTED, encoding="utf-8")
    assert translate(load_settings(root)).documents[0].state == "translated"
    return root, root / "output_en" / NAME


def test_a_moved_added_item_keeps_its_depth_or_is_reported_lost(tmp_path: Path) -> None:
    """Review finding 6: a deleted outer item's added item went onto the nested item before it, written nested."""
    root, english = nested_site(tmp_path)
    add(root, english, "- 外层二\n", "- 外层二\n- New outer\n")
    add(root, english, "  - 内层二\n", "  - 内层二\n  - New inner\n")
    change_chinese(root, "  - 内层二\n- 外层二\n", "")
    text = english.read_text(encoding="utf-8")
    assert "  - 内层一\n  - New inner\n" in text  # an inner item's addition goes to the inner item before it
    assert "New outer" not in text and [r.after for r in memory(root).lost()] == ["- New outer"]
    assert {r.source: r.after for r in memory(root).segments if r.after} == {"内层一": "- New inner"}
