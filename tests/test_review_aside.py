"""`review --set-aside`: after a refusal, the editor's file is kept and the page is written from memory."""

from __future__ import annotations

from pathlib import Path

from conftest import cli_runner
from review_support import configure

CHINESE = "# 标题\n\n- 第一项内容\n- 第二项内容\n\n最后一段。\n"


def test_a_refused_file_is_set_aside_and_written_again_from_memory(empty_project: Path) -> None:
    configure(empty_project)
    (empty_project / "source_zh" / "c.md").write_text(CHINESE, encoding="utf-8")
    run = cli_runner(empty_project)
    assert run("translate").exit_code == 0
    english = empty_project / "output_en" / "c.md"
    pristine = english.read_bytes()
    # a new first item is still refused (issue 11 made an item added after another one recordable)
    edited = english.read_text(encoding="utf-8").replace("- 第一项内容\n", "- A new item.\n- 第一项内容\n")
    english.write_text(edited, encoding="utf-8")
    refused = run("review")
    assert refused.exit_code == 1
    assert "refused: output_en/c.md:" in refused.output and "before the list's first item" in refused.output
    assert "`workflow review --set-aside output_en/c.md`" in refused.output
    assert run("translate").exit_code == 1  # stuck, as before
    done = run("review", "--set-aside", "output_en/c.md")
    assert done.exit_code == 0, done.output
    kept = list((empty_project / "output_en" / ".workflow").glob("c.md.aside-*.md"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == edited
    assert english.read_bytes() == pristine
    assert f"-> output_en/.workflow/{kept[0].name}" in done.output
    assert run("review").exit_code == 0 and run("translate").exit_code == 0
    assert run("check").exit_code == 0
    again = run("review", "--set-aside")  # nothing unrecorded: nothing set aside, nothing deleted
    assert again.exit_code == 0 and "0 set aside" in again.output
    assert list((empty_project / "output_en" / ".workflow").glob("c.md.aside-*.md")) == kept


def test_set_aside_keeps_every_earlier_file(empty_project: Path) -> None:
    configure(empty_project)
    (empty_project / "source_zh" / "c.md").write_text(CHINESE, encoding="utf-8")
    run = cli_runner(empty_project)
    assert run("translate").exit_code == 0
    english = empty_project / "output_en" / "c.md"
    for n in range(2):
        english.write_text(english.read_text(encoding="utf-8").replace("- 第一项内容\n", f"- Item {n}\n- 第一项内容\n"),
                           encoding="utf-8")
        assert run("review").exit_code == 1
        assert run("review", "--set-aside").exit_code == 0
    kept = sorted((empty_project / "output_en" / ".workflow").glob("c.md.aside-*.md"))
    assert len(kept) == 2 and {p.read_text(encoding="utf-8").count("- Item ") for p in kept} == {1}
