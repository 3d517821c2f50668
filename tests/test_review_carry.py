"""Re-translation after the Chinese changes keeps every edit; `translate --force` records before it writes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import cli_runner
from review_support import (
    BERLIN,
    SCHEDULE,
    body,
    configure,
    english_path,
    memory,
    paragraph,
    read,
    record,
    replace,
    write,
)

from workflow.config import Settings
from workflow.engines import Progress
from workflow.engines.pseudo import pseudo
from workflow.review.run import review
from workflow.store.memory import EngineInfo, Record
from workflow.text.diff import apply_patch, make_patch
from workflow.translate.run import carry_over, translate

SOURCE = Path("source_zh") / BERLIN
AMBITION = "参与完整届峰会后，我们的最大感受是"


class CountingEngine:
    identity = False

    def __init__(self) -> None:
        self.info = EngineInfo("pseudo", version="1")
        self.calls: list[list[str]] = []

    def translate(self, texts: list[str], progress: Progress | None = None) -> list[str]:
        self.calls.append(list(texts))
        return [pseudo(t) for t in texts]


@pytest.fixture
def site(project: Path) -> Settings:
    settings = configure(project, engine="pseudo")
    assert translate(settings).exit_code == 0
    return settings


def change_chinese(settings: Settings, old: str, new: str) -> None:
    path = settings.root / SOURCE
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def edit_and_review(settings: Settings, chinese: str, edit: str) -> str:
    """Append `edit` to the English of the paragraph whose Chinese contains `chinese`; record it."""
    machine = record(settings.root, chinese).final
    replace(settings.root, machine, machine + edit)
    assert review(settings).exit_code == 0
    return machine + edit


def test_unchanged_segments_keep_their_reviewed_english_without_the_engine(site: Settings) -> None:
    final = edit_and_review(site, SCHEDULE, " (edited)")
    change_chinese(site, AMBITION, "参加完峰会后，我们的最大感受是")
    engine = CountingEngine()
    report = translate(site, engine=engine)
    assert report.exit_code == 0
    assert len(engine.calls) == 1 and all("日程" not in t for t in engine.calls[0])
    kept = record(site.root, SCHEDULE)
    assert (kept.final, kept.status, kept.reviewer) == (final, "reviewed", "Ada")
    assert final in read(site.root)


def test_a_changed_segment_gets_the_editors_patch_re_applied(site: Settings) -> None:
    final = edit_and_review(site, SCHEDULE, " We loved it.")
    change_chinese(site, SCHEDULE, "据悉，" + SCHEDULE)
    assert translate(site).exit_code == 0
    rec = record(site.root, SCHEDULE)
    assert rec.status == "needs-review"
    assert rec.final == rec.machine + " We loved it." and rec.machine.startswith(pseudo("据悉"))
    assert (rec.previous_source, rec.previous_final) == (SCHEDULE, final)
    assert "the Chinese changed; the earlier edit was re-applied to the new machine text" in rec.reasons
    assert rec.final in read(site.root)


def test_a_rewrite_is_carried_over_and_flagged(site: Settings) -> None:
    machine = record(site.root, SCHEDULE).final
    replace(site.root, machine, "A completely different English sentence by the editor.")
    assert review(site).exit_code == 0
    change_chinese(site, SCHEDULE, "整个日程安排得很满，议题全程听下来，我们学到很多。")
    assert translate(site).exit_code == 0
    rec = record(site.root, "整个日程安排得很满")
    assert rec.status == "needs-review" and rec.final == "A completely different English sentence by the editor."
    assert rec.previous_final == "A completely different English sentence by the editor."


def previous_edit() -> Record:
    machine = "The schedule was packed, and we learned a lot from the sessions."
    final = "The agenda was packed, and we learned a lot from the talks."
    return Record(id="s1", kind="paragraph", line=3, source_hash="h", source="旧", machine=machine, final=final,
                  status="reviewed", patch=make_patch(machine, final), reviewer="Ada")


def new_machine(machine: str) -> Record:
    return Record(id="s1", kind="paragraph", line=3, source_hash="h2", source="新", machine=machine, final=machine)


def test_an_edit_that_no_longer_applies_keeps_the_editors_english_on_the_page() -> None:
    machine = "Tomorrow, nothing of this will matter to anybody at all."
    rec = carry_over(new_machine(machine), previous_edit())
    assert rec.status == "needs-review" and rec.final == previous_edit().final and rec.machine == machine
    assert apply_patch(rec.patch, machine) == rec.final and rec.match == "carried"
    assert (rec.previous_source, rec.previous_final) == ("旧", previous_edit().final)
    assert rec.reasons == ("the Chinese changed and the earlier edit does not apply cleanly (a part of the edit no "
                           "longer matches the machine English); the editor's previous English is kept on the page "
                           "and the new machine English is in memory: check it against the new Chinese",)


def test_an_edit_that_applies_is_carried_with_a_new_patch() -> None:
    machine = "The schedule was packed, and we learned a lot from the sessions in Berlin."
    rec = carry_over(new_machine(machine), previous_edit())
    assert rec.final == "The agenda was packed, and we learned a lot from the talks in Berlin."
    assert apply_patch(rec.patch, machine) == rec.final and rec.status == "needs-review"


def test_a_deleted_segment_stays_deleted_when_its_chinese_changes(site: Settings) -> None:
    machine = record(site.root, SCHEDULE).final
    replace(site.root, machine + "\n\n", "")
    assert review(site).exit_code == 0
    change_chinese(site, SCHEDULE, SCHEDULE + "真的。")
    assert translate(site).exit_code == 0
    rec = record(site.root, "真的。")
    assert (rec.final, rec.status) == ("", "needs-review") and rec.machine
    assert "the editor had deleted this segment" in rec.reasons[-1]
    assert rec.machine not in read(site.root)


def test_two_changes_before_a_review_keep_the_editors_own_text(site: Settings) -> None:
    machine = record(site.root, SCHEDULE).final
    replace(site.root, machine, "Edited by a person.")
    assert review(site).exit_code == 0
    change_chinese(site, SCHEDULE, "整个日程安排得很满，议题全程听下来，我们学到很多。")
    translate(site)
    change_chinese(site, "整个日程安排得很满，议题全程听下来，我们学到很多。", "整个日程安排得很满，议题全程听下来，学到很多。")
    translate(site)
    rec = record(site.root, "学到很多")
    assert (rec.previous_source, rec.previous_final) == (SCHEDULE, "Edited by a person.")


def test_a_superseded_previous_final_retires_instead_of_vanishing(site: Settings) -> None:
    machine = record(site.root, SCHEDULE).final
    replace(site.root, machine, "First edit.")
    review(site)
    change_chinese(site, SCHEDULE, "整个日程安排得很满，议题全程听下来，我们学到很多。")
    translate(site)
    new_machine = record(site.root, "学到很多").final
    replace(site.root, new_machine, "Second edit.")
    review(site)
    change_chinese(site, "我们学到很多。", "我们学到了很多东西。")
    translate(site)
    mem = memory(site.root)
    kept = [r.previous_final for r in (*mem.segments, *mem.retired)]
    assert "First edit." in kept and "Second edit." in kept


def test_a_segment_with_nothing_to_translate_is_not_flagged_when_it_changes(site: Settings) -> None:
    change_chinese(site, "![](images/berlin_01.jpg)", "![](images/berlin_01.png)")
    assert translate(site).exit_code == 0
    rec = record(site.root, "berlin_01.png")
    assert (rec.status, rec.reviewer) == ("reviewed", "workflow")


def test_carry_over_without_a_previous_edit_is_the_new_record(site: Settings) -> None:
    rec = record(site.root, SCHEDULE)
    assert carry_over(rec, None) is rec
    assert carry_over(rec, dataclasses.replace(rec, status="machine")) is rec


def test_an_interrupted_write_is_finished_by_the_next_translate(site: Settings) -> None:
    english = english_path(site.root)
    old = english.read_bytes()
    change_chinese(site, SCHEDULE, SCHEDULE + "真的。")
    assert translate(site).exit_code == 0
    english.write_bytes(old)  # the English write never happened; memory says in flight
    mem_path = site.memory_root / (BERLIN + ".json")
    mem = memory(site.root)
    from workflow.store.files import sha256

    mem_path.write_bytes(dataclasses.replace(mem, output_hash_previous=sha256(old)).to_bytes())
    report = translate(site)
    assert [d.state for d in report.documents if BERLIN in d.source] == ["translated"]
    assert pseudo("真的") in read(site.root)
    assert "output_hash_previous" not in mem_path.read_text(encoding="utf-8")


# -- translate --force ------------------------------------------------------------------------


def test_force_records_unrecorded_edits_then_translates(project: Path) -> None:
    configure(project)
    run = cli_runner(project)
    run("translate")
    edited = replace(project, SCHEDULE, "The schedule was packed.")
    change_chinese(configure(project), AMBITION, "参加完峰会后，我们的最大感受是")
    refused = run("translate")
    assert refused.exit_code == 1 and read(project) == edited
    forced = run("translate", "--force")
    assert forced.exit_code == 0, forced.output
    rec = record(project, SCHEDULE)
    assert (rec.final, rec.status, rec.reviewer) == ("The schedule was packed.", "reviewed", "Ada")
    text = read(project)
    assert "The schedule was packed." in text and "参加完峰会后" in text


def test_force_refuses_edits_it_cannot_record(project: Path) -> None:
    configure(project)
    run = cli_runner(project)
    run("translate")
    edited = replace(project, "![](images/berlin_01.jpg)\n", "![](images/berlin_01.jpg)\n\n    indented code\n")
    result = run("translate", "--force")
    assert result.exit_code == 1
    assert f"refused: output_en/{BERLIN}:" in result.output and "Nothing was recorded for this file." in result.output
    assert read(project) == edited


def hand_translation(root: Path) -> str:
    chinese = (root / SOURCE).read_text(encoding="utf-8")
    english = chinese.replace(SCHEDULE, "The schedule was packed and we learned a lot.")
    english = english.replace(paragraph(chinese, "柏林时间2018年"), "Berlin, 15 November 2018: the summit closed.")
    english = english.replace("# OpenStack柏林峰会 观感", "# OpenStack Berlin Summit: impressions")
    path = english_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(english, encoding="utf-8")
    return english


def test_force_adopts_an_english_file_that_has_no_memory(project: Path) -> None:
    configure(project)
    english = hand_translation(project)
    run = cli_runner(project)
    refused = run("translate", str(project / SOURCE))
    assert refused.exit_code == 1 and "has no memory" in refused.output
    forced = run("translate", "--force")
    assert forced.exit_code == 0, forced.output
    assert body(project) == english
    assert record(project, SCHEDULE).final == "The schedule was packed and we learned a lot."
    assert record(project, "OpenStack柏林峰会").status == "reviewed"
    assert record(project, SCHEDULE).machine == SCHEDULE  # the copy engine's machine text
    again = run("translate")
    assert again.exit_code == 0 and "5 documents: 5 unchanged." in again.output


def test_force_adopts_a_hand_translation_that_dropped_a_heading(project: Path) -> None:
    configure(project)
    english = hand_translation(project).replace("## 一、社区在发展\n\n", "")
    write(project, english)
    assert cli_runner(project)("translate", "--force").exit_code == 0
    assert body(project) == english and record(project, "一、社区在发展").final == ""


def test_force_refuses_to_adopt_an_english_file_of_another_structure(project: Path) -> None:
    configure(project)
    english = hand_translation(project).replace("## 一、社区在发展\n", "## 一、社区在发展\n\n```\nnotes\n```\n")
    write(project, english)
    result = cli_runner(project)("translate", "--force")
    assert result.exit_code == 1
    assert (f"refused: output_en/{BERLIN}:11: this edit is outside the translatable text or changes the structure "
            "in a way that cannot be recorded") in result.output
    assert read(project) == english
    assert not (project / "output_en" / ".workflow" / (BERLIN + ".json")).exists()
