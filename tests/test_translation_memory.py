"""The project-wide translation memory: an editor's English follows its Chinese, and is never silently lost.

The scenarios of issue 10: edit a sentence, insert a paragraph before, delete one, swap two
paragraphs or list items, move a paragraph to another file, rename a file, a translator's
note whose paragraph is deleted; the README's garbling example; the match levels.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import cli_runner
from review_support import BOSTON, configure

from workflow.config import Settings
from workflow.document.carry import carry_over
from workflow.engines import Progress
from workflow.engines.pseudo import pseudo
from workflow.glossary.terms import load as load_glossary
from workflow.report.check import check
from workflow.review.run import review
from workflow.store.memory import EngineInfo, Memory, Record
from workflow.store.memory import load as load_memory
from workflow.text.diff import apply_patch, make_patch
from workflow.translate.run import translate

P = ["柏林峰会在十一月正式闭幕。", "社区的视野早已扩展到了云计算的各个领域。", "容器与虚拟机的融合受到了广泛关注。",
     "边缘计算成为热门议题。", "裸机部署越来越常见。"]


class CountingEngine:
    identity = False

    def __init__(self) -> None:
        self.info = EngineInfo("pseudo", version="1")
        self.calls: list[str] = []

    def translate(self, texts: list[str], progress: Progress | None = None) -> list[str]:
        self.calls += texts
        return [pseudo(t) for t in texts]


def document(*paragraphs: str, items: tuple[str, ...] = ()) -> str:
    return "# 峰会观感\n\n" + "".join(p + "\n\n" for p in paragraphs) + "".join(f"- {i}\n" for i in items)


def site(tmp_path: Path, **files: str) -> Settings:
    root = tmp_path / "site"
    (root / "source_zh").mkdir(parents=True)
    for name, text in files.items():
        (root / "source_zh" / f"{name}.md").write_text(text, encoding="utf-8")
    conf = configure(root, engine="pseudo")
    assert translate(conf).exit_code == 0
    return conf


def write_source(conf: Settings, name: str, text: str) -> None:
    (conf.source / f"{name}.md").write_text(text, encoding="utf-8")


def english(conf: Settings, name: str = "a") -> str:
    return (conf.output / f"{name}.md").read_text(encoding="utf-8")


def mem(conf: Settings, name: str = "a") -> Memory:
    found = load_memory(conf.memory_root / f"{name}.md.json", name)
    assert found is not None
    return found


def rec(conf: Settings, chinese: str, name: str = "a") -> Record:
    (found,) = [r for r in mem(conf, name).segments if r.source == chinese]
    return found


def edit(conf: Settings, chinese: str, new: str, name: str = "a") -> None:
    """Replace the English of the segment whose Chinese is `chinese` by `new`, and record it."""
    path = conf.output / f"{name}.md"
    text = path.read_text(encoding="utf-8")
    old = rec(conf, chinese, name).final
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    assert review(conf).exit_code == 0


def lost(conf: Settings) -> list[str]:
    return [f.detail for f in check(conf).findings if f.kind == "lost-english"]


# -- the README's example: never a mix -------------------------------------------------------


def test_the_readme_example_keeps_the_editors_english_instead_of_a_mix(project: Path) -> None:
    conf = configure(project, engine="copy")
    assert translate(conf).exit_code == 0
    path = conf.output / BOSTON
    path.write_text(path.read_text(encoding="utf-8").replace("\nKeynote会场\n", "\nThe keynote hall\n"), encoding="utf-8")
    assert review(conf).exit_code == 0
    source = conf.source / BOSTON
    source.write_text(source.read_text(encoding="utf-8").replace("Keynote会场", "Keynote主会场"), encoding="utf-8")
    assert translate(conf).exit_code == 0
    page = path.read_text(encoding="utf-8")
    assert "\nThe keynote hall\n" in page and "The keynote主 hall场" not in page and "Keynote主" not in page
    (record,) = [r for r in mem(conf, BOSTON[:-3]).segments if r.source == "Keynote主会场"]
    assert (record.final, record.machine, record.status, record.match) == (
        "The keynote hall", "Keynote主会场", "needs-review", "carried")
    assert (record.previous_source, record.previous_final) == ("Keynote会场", "The keynote hall")
    assert "it would mix Chinese into the English: 主场" in record.reasons[-1]
    assert check(conf).exit_code == 0 and not lost(conf)  # a warning (needs-review), nothing lost


def test_an_edit_that_applies_cleanly_is_re_applied(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document(*P))
    machine = rec(conf, P[1]).final
    edit(conf, P[1], machine + " (a note)")
    write_source(conf, "a", document(P[0], "据悉，" + P[1], *P[2:]))
    assert translate(conf).exit_code == 0
    record = rec(conf, "据悉，" + P[1])
    assert record.final == record.machine + " (a note)" and record.match == "carried"
    assert record.final in english(conf)


def test_an_edit_that_would_lose_a_glossary_term_keeps_the_editors_english(tmp_path: Path) -> None:
    (tmp_path / "terms.tsv").write_text("zh\ten\tkind\n边缘计算\tedge computing\tterm\n", encoding="utf-8")
    glossary = load_glossary(tmp_path)
    machine = "Edge computing is hot."
    previous = Record(id="s1", kind="paragraph", line=3, source_hash="h", source="边缘计算很热。", machine=machine,
                      final="Edge is hot.", status="reviewed", reviewer="Ada", patch=make_patch(machine, "Edge is hot."))
    new = Record(id="s1", kind="paragraph", line=3, source_hash="h2", source="边缘计算非常热。",
                 machine="Edge computing is very hot.", final="Edge computing is very hot.")
    assert apply_patch(previous.patch, new.machine) == "Edge is very hot."  # applies, but drops the term
    carried = carry_over(new, previous, glossary)
    assert (carried.final, carried.status) == ("Edge is hot.", "needs-review")
    assert "it would lose the glossary term 边缘计算 → edge computing" in carried.reasons[-1]
    assert carry_over(new, previous).final == "Edge is very hot."  # without a glossary: re-applied


# -- moves: exact and context matches ------------------------------------------------------------


def test_swapping_two_reviewed_paragraphs_keeps_both_without_the_engine(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document(*P))
    edit(conf, P[1], "The community looks far beyond.")
    edit(conf, P[2], "Containers and VMs converge.")
    write_source(conf, "a", document(P[0], P[2], P[1], *P[3:]))
    engine = CountingEngine()
    report = translate(conf, engine=engine)
    assert report.exit_code == 0 and engine.calls == []
    for chinese, final in ((P[1], "The community looks far beyond."), (P[2], "Containers and VMs converge.")):
        record = rec(conf, chinese)
        assert (record.final, record.status, record.reviewer) == (final, "reviewed", "Ada")
        assert final in english(conf)
    assert english(conf).index("Containers") < english(conf).index("The community")
    assert report.matches()["exact"] >= 1 and report.matches()["engine"] == 0
    assert check(conf).exit_code == 0 and not lost(conf) and not mem(conf).retired


def test_swapping_two_list_items_keeps_their_english(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document(P[0], items=(P[3], P[4])))
    edit(conf, P[3], "Edge is hot.")
    edit(conf, P[4], "Bare metal is common.")
    write_source(conf, "a", document(P[0], items=(P[4], P[3])))
    assert translate(conf).exit_code == 0
    page = english(conf)
    assert "- Bare metal is common.\n- Edge is hot.\n" in page
    assert check(conf).exit_code == 0 and not lost(conf)


def test_inserting_a_paragraph_before_keeps_the_reviewed_english_as_a_context_match(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document(*P))
    edit(conf, P[1], "The community looks far beyond.")
    write_source(conf, "a", document(P[0], "新的段落。", *P[1:]))
    report = translate(conf)
    assert rec(conf, P[1]).status == "reviewed" and "The community looks far beyond." in english(conf)
    levels = report.matches()
    assert levels["engine"] == 1 and levels["context"] >= 4 and sum(levels.values()) == len(mem(conf).segments)


def test_a_paragraph_moved_to_another_file_brings_its_english_flagged(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document(*P), b=document("另一篇文章。"))
    edit(conf, P[2], "Containers and VMs converge.")
    write_source(conf, "a", document(*P[:2], *P[3:]))
    write_source(conf, "b", document("另一篇文章。", P[2]))
    engine = CountingEngine()
    report = translate(conf, engine=engine)
    assert report.exit_code == 0 and P[2] not in engine.calls
    moved = rec(conf, P[2], "b")
    assert (moved.final, moved.status, moved.match) == ("Containers and VMs converge.", "needs-review", "exact")
    assert "exact match from source_zh/a.md (reviewed)" in moved.reasons[-1]
    assert "Containers and VMs converge." in english(conf, "b")
    # a's retired English is on b's page: decided as moved, not reported lost
    assert not lost(conf) and [r.decision for r in mem(conf).retired] == ["moved"]


def test_a_renamed_file_finds_its_english_in_the_old_memory(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document(*P))
    edit(conf, P[1], "The community looks far beyond.")
    (conf.source / "a.md").rename(conf.source / "renamed.md")
    engine = CountingEngine()
    assert translate(conf, engine=engine).exit_code == 0
    assert P[1] not in engine.calls
    assert rec(conf, P[1], "renamed").final == "The community looks far beyond."


def test_exact_matches_from_another_document_can_count_as_reviewed(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document(*P))
    edit(conf, P[1], "The community looks far beyond.")
    text = (conf.root / "pyproject.toml").read_text(encoding="utf-8")
    (conf.root / "pyproject.toml").write_text(
        text + '\n[tool.workflow.exact-match-status]\nother-document = "reviewed"\n', encoding="utf-8")
    conf = configure_again(conf)
    write_source(conf, "b", document(P[1]))
    assert translate(conf).exit_code == 0
    assert (rec(conf, P[1], "b").status, rec(conf, P[1], "b").reviewer) == ("reviewed", "Ada")


def configure_again(conf: Settings) -> Settings:
    from workflow.config import load_settings

    return load_settings(conf.root)


# -- nothing silently lost ----------------------------------------------------------------------


def test_deleting_a_reviewed_paragraph_is_reported_until_dismissed(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document(*P))
    edit(conf, P[2], "Containers and VMs converge.")
    write_source(conf, "a", document(*P[:2], *P[3:]))
    assert translate(conf).exit_code == 0
    (detail,) = lost(conf)
    assert "«Containers and VMs converge.»" in detail and check(conf).exit_code == 1
    (finding,) = [f for f in check(conf).findings if f.kind == "lost-english"]
    assert finding.path == "source_zh/a.md" and finding.line == 7
    key = mem(conf).lost()[0].key
    run = cli_runner(conf.root)
    status = run("status")
    assert "lost English: source_zh/a.md:7" in status.stdout
    result = run("memory", "dismiss", "source_zh/a.md", key)
    assert result.exit_code == 0, result.output
    assert check(conf).exit_code == 0 and not lost(conf)
    (retired,) = mem(conf).retired
    assert (retired.decision, retired.decided_by, retired.final) == ("dismissed", "Ada", "Containers and VMs converge.")


def test_restore_puts_lost_english_back_on_the_page(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document(*P))
    edit(conf, P[2], "Containers and VMs converge.")
    write_source(conf, "a", document(*P[:2], *P[3:]))
    assert translate(conf).exit_code == 0
    key = mem(conf).lost()[0].key
    result = cli_runner(conf.root)("memory", "restore", "source_zh/a.md", key)
    assert result.exit_code == 0, result.output
    assert "Containers and VMs converge." in english(conf)
    assert not lost(conf) and check(conf).exit_code == 0
    assert review(conf).exit_code == 0 and translate(conf).exit_code == 0
    assert "Containers and VMs converge." in english(conf)


def test_a_replaced_paragraph_is_reported_lost(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document(*P))
    edit(conf, P[2], "Containers and VMs converge.")
    write_source(conf, "a", document(*P[:2], "完全不同的内容，毫无关系。", *P[3:]))
    assert translate(conf).exit_code == 0
    assert "Containers and VMs converge." not in english(conf)
    (detail,) = lost(conf)
    assert "«Containers and VMs converge.»" in detail and check(conf).exit_code == 1


def test_a_translators_note_moves_to_the_nearest_neighbour_when_its_paragraph_goes(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document(*P))
    machine = rec(conf, P[2]).final
    path = conf.output / "a.md"
    path.write_text(path.read_text(encoding="utf-8").replace(machine, machine + "\n\n[Translator's note: VMs.]"),
                    encoding="utf-8")
    assert review(conf).exit_code == 0
    assert "[Translator's note: VMs.]" in rec(conf, P[2]).final
    write_source(conf, "a", document(*P[:2], *P[3:]))
    assert translate(conf).exit_code == 0
    assert "[Translator's note: VMs.]" in english(conf)
    host = rec(conf, P[1])
    assert host.final.endswith("\n\n[Translator's note: VMs.]") and host.status == "needs-review"
    assert review(conf).exit_code == 0 and translate(conf).exit_code == 0
    assert "[Translator's note: VMs.]" in english(conf)


# -- reporting and laziness -----------------------------------------------------------------------


def test_translate_counts_match_levels_in_text_and_json(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document(*P))
    edit(conf, P[1], "The community looks far beyond.")
    write_source(conf, "b", document(P[1], "社区的视野早已扩展到了云计算的很多领域。"))
    result = cli_runner(conf.root)("translate", "--format", "json")
    data = json.loads(result.stdout)
    assert data["matches"] == {"context": 0, "exact": 1, "fuzzy": 1, "engine": 2, "carried": 0}  # + heading, title
    (b,) = [d for d in data["documents"] if d["source"] == "source_zh/b.md"]
    assert b["matches"]["exact"] == 1
    fuzzy = rec(conf, "社区的视野早已扩展到了云计算的很多领域。", "b")
    assert fuzzy.match == "fuzzy" and fuzzy.matches[0]["target"] == "The community looks far beyond."
    assert fuzzy.matches[0]["score"] >= 75 and fuzzy.matches[0]["origin"] == "source_zh/a.md"
    write_source(conf, "c", document("又一个全新的句子。"))
    text = cli_runner(conf.root)("translate")
    assert "matches: 0 context, 0 exact, 0 fuzzy, 3 engine, 0 carried (segments)." in text.stdout


def test_a_run_with_nothing_new_reads_no_other_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = site(tmp_path, a=document(*P), b=document("另一篇文章。"))
    from workflow.store import tm

    def refuse(*args: object) -> object:
        raise AssertionError("the translation memory was read")

    monkeypatch.setattr(tm, "memory_units", refuse)
    monkeypatch.setattr(tm, "memory_paths", refuse)  # the index (and its cache) reads through this
    assert translate(conf).exit_code == 0  # nothing changed
    write_source(conf, "a", document(*P[:4]))  # a deletion needs no new text
    assert translate(conf).exit_code == 0


def test_review_views_show_fuzzy_matches_previous_text_and_lost_english(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document(*P))
    edit(conf, P[1], "The community looks far beyond.")
    edit(conf, P[2], "Containers and VMs converge.")
    write_source(conf, "a", document(P[0], P[1][:-3] + "很多领域。", *P[3:]))  # P[1] changed, P[2] deleted
    write_source(conf, "b", document("社区的视野早已扩展到了云计算的所有领域。"))
    assert translate(conf).exit_code == 0
    run = cli_runner(conf.root)
    shown = run("review", "--show", env={"NO_COLOR": "1"}).stdout
    assert "tm " in shown and "The community looks far beyond.  (source_zh/a.md, reviewed)" in shown
    assert f"zh then: {P[1]}" in shown
    assert "lost English" in shown and "Containers and VMs converge." in shown
    assert run("review", "--html", "report.html").exit_code == 0
    page = (conf.root / "report.html").read_text(encoding="utf-8")
    assert "% match</b> (source_zh/a.md, reviewed): The community looks far beyond." in page
    assert "English no longer on the page (1)" in page and "Containers and VMs converge." in page
    data = json.loads(run("review", "--show", "--format", "json").stdout)
    (b,) = [d for d in data if d["source"] == "source_zh/b.md"]
    assert any(s["matches"] for s in b["segments"])


@pytest.mark.parametrize(("table", "message"), [
    ("fuzzy-threshold = 0", "`fuzzy-threshold` must be a percentage from 1 to 100, not 0."),
    ('fuzzy-threshold = "high"', "`fuzzy-threshold` must be an integer"),
    ('[tool.workflow.exact-match-status]\nother-document = "yes"',
     "`exact-match-status.other-document` must be one of reviewed, needs-review, not 'yes'."),
    ('[tool.workflow.exact-match-status]\nsame-doc = "reviewed"', "Did you mean `same-document`?"),
])
def test_translation_memory_settings_are_validated(tmp_path: Path, table: str, message: str) -> None:
    from workflow.config import load_settings
    from workflow.errors import ConfigError

    (tmp_path / "pyproject.toml").write_text(f"[tool.workflow]\n{table}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    assert message in str(caught.value)


# -- settled against the pages (a fresh-eyes review's findings) ----------------------------------


def test_a_renamed_and_edited_file_reports_the_english_no_page_holds(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document(*P))
    edit(conf, P[1], "The community looks far beyond.")
    edit(conf, P[3], "Edge computing is the hot topic.")
    (conf.source / "a.md").unlink()
    write_source(conf, "renamed", document(P[0], P[1], P[2], "边缘计算成为本届峰会的热门议题。", P[4]))
    assert translate(conf).exit_code == 0
    assert rec(conf, P[1], "renamed").final == "The community looks far beyond."  # exact: brought over
    found = check(conf)
    stranded = [f for f in found.findings if f.kind == "lost-english" and f.path.endswith(".workflow/a.md.json")]
    assert found.exit_code == 1 and len(stranded) == 1
    assert "holds 1 segment of English a person wrote that no page holds" in stranded[0].detail
    assert "«Edge computing is the hot" in stranded[0].detail  # the edited paragraph: only a fuzzy match
    assert "The community looks far beyond." not in stranded[0].detail


def test_a_paragraph_moved_in_two_runs_is_not_reported_lost(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document(*P), b=document("另一篇文章。"))
    edit(conf, P[2], "Containers and VMs converge.")
    write_source(conf, "b", document("另一篇文章。", P[2]))  # first copied to b
    assert translate(conf).exit_code == 0
    write_source(conf, "a", document(*P[:2], *P[3:]))  # then deleted from a, in a later run
    assert translate(conf).exit_code == 0
    assert "Containers and VMs converge." in english(conf, "b")
    assert not lost(conf)


def test_english_marked_moved_is_reported_when_no_page_holds_it(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document(*P), b=document("另一篇文章。"))
    edit(conf, P[2], "Containers and VMs converge.")
    b_page, b_memory = english(conf, "b"), (conf.memory_root / "b.md.json").read_bytes()
    write_source(conf, "a", document(*P[:2], *P[3:]))
    write_source(conf, "b", document("另一篇文章。", P[2]))
    assert translate(conf).exit_code == 0
    assert [r.decision for r in mem(conf).retired] == ["moved"]
    # b's page and memory as they were: as if b's write had failed after a was settled
    (conf.output / "b.md").write_text(b_page, encoding="utf-8")
    (conf.memory_root / "b.md.json").write_bytes(b_memory)
    write_source(conf, "b", document("另一篇文章。"))
    details = lost(conf)
    assert len(details) == 1 and "«Containers and VMs converge" in details[0]


def test_restore_and_dismiss_take_the_english_path_too(tmp_path: Path) -> None:
    conf = site(tmp_path, a=document(*P))
    edit(conf, P[2], "Containers and VMs converge.")
    edit(conf, P[3], "Edge computing is the hot topic.")
    write_source(conf, "a", document(*P[:2], P[4]))
    assert translate(conf).exit_code == 0
    first, second = (r.key for r in mem(conf).lost())
    run = cli_runner(conf.root)
    assert run("memory", "restore", "output_en/a.md", first).exit_code == 0
    assert run("memory", "dismiss", "output_en/a.md", second).exit_code == 0
    assert not lost(conf)
