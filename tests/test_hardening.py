"""Issue 16, hardening: each class of fault a red-team pass found, with a test that failed before its fix."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

import workflow.store.files
from workflow.config import Settings, load_settings
from workflow.document.output import lock_path
from workflow.review.record import review
from workflow.store.files import locked
from workflow.translate.run import translate

ARTICLE = "# 标题\n\n第一段中文。\n\n第二段中文。\n"


def small_project(root: Path, engine: str = "pseudo", **files: str) -> Settings:
    (root / "source_zh").mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f'[tool.workflow]\nengine = "{engine}"\nreviewer = "Ada"\n', encoding="utf-8")
    for name, text in (files or {"a.md": ARTICLE}).items():
        path = root / "source_zh" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return load_settings(root)


def save_during_write(monkeypatch: pytest.MonkeyPatch, target: Path, text: str) -> None:
    """An editor saves `target` at the moment the tool starts replacing it (deterministic: the write hook)."""

    def hook(path: Path) -> None:
        if path == target:
            monkeypatch.setattr(workflow.store.files, "before_write", lambda p: None)
            target.write_text(text, encoding="utf-8")

    monkeypatch.setattr(workflow.store.files, "before_write", hook)


# -- data loss -------------------------------------------------------------------------------


def test_an_editors_save_during_translate_is_kept_and_the_document_refused(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    conf = small_project(tmp_path)
    assert translate(conf).exit_code == 0
    english = conf.output / "a.md"
    memory_before = (conf.memory_root / "a.md.json").read_bytes()
    (conf.source / "a.md").write_text(ARTICLE + "\n第三段中文。\n", encoding="utf-8")
    saved = english.read_text(encoding="utf-8") + "\nThe editor's sentence.\n"
    save_during_write(monkeypatch, english, saved)
    report = translate(conf)
    assert english.read_text(encoding="utf-8") == saved
    assert report.exit_code == 1
    [doc] = report.documents
    assert doc.state == "refused" and "saved while this run" in doc.message
    assert (conf.memory_root / "a.md.json").read_bytes() == memory_before
    monkeypatch.setattr(workflow.store.files, "before_write", lambda p: None)
    assert review(conf).exit_code == 0  # the save is recorded like any edit
    assert "The editor's sentence." in english.read_text(encoding="utf-8")


def test_an_editors_save_during_review_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = small_project(tmp_path)
    assert translate(conf).exit_code == 0
    english = conf.output / "a.md"
    first = english.read_text(encoding="utf-8")
    edited = first.replace("\n\n", "\n\nEdited. ", 2)
    english.write_text(edited, encoding="utf-8")
    (conf.source / "a.md").write_text(ARTICLE + "\n第三段中文。\n", encoding="utf-8")  # review rewrites the English
    second_save = edited + "\nA second save.\n"
    save_during_write(monkeypatch, english, second_save)
    report = review(conf)
    assert english.read_text(encoding="utf-8") == second_save or english.read_text(encoding="utf-8") == edited
    if english.read_text(encoding="utf-8") != second_save:
        pytest.fail("review overwrote a save made while it ran")
    assert report.exit_code == 1


def test_a_first_translation_does_not_replace_a_file_an_editor_created_meanwhile(tmp_path: Path,
                                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    conf = small_project(tmp_path)
    english = conf.output / "a.md"
    save_during_write(monkeypatch, english, "Written by hand.\n")
    assert translate(conf).exit_code == 1
    assert english.read_text(encoding="utf-8") == "Written by hand.\n"
    assert not (conf.memory_root / "a.md.json").exists()


def test_two_runs_never_write_one_document_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = small_project(tmp_path)
    monkeypatch.setattr(workflow.store.files, "LOCK_WAIT", 0.2)
    held = threading.Event()
    release = threading.Event()

    def other_run() -> None:  # holds every document lock the way a second run writing would
        with locked(lock_path(conf.memory_root / "a.md.json")):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=other_run)
    thread.start()
    held.wait(5)
    try:
        report = translate(conf)
    finally:
        release.set()
        thread.join()
    [doc] = report.documents
    assert report.exit_code == 2 and "another workflow run" in doc.message
    assert not (conf.output / "a.md").exists()
    assert translate(conf).exit_code == 0  # once the other run is done


def test_the_lock_file_name_fits_any_document_name(tmp_path: Path) -> None:
    name = "ab" + "长" * 78 + ".md"  # 239 bytes: the memory's `.json` fits NAME_MAX, so must its temporary name
    assert len(name.encode()) == 239
    conf = small_project(tmp_path, **{name: ARTICLE})
    report = translate(conf)
    assert report.exit_code == 0, report.documents
    assert (conf.memory_root / (name + ".json")).is_file()
    assert all(len(p.encode()) <= 255 for p in os.listdir(conf.memory_root / ".locks"))


# -- nothing written outside the project's output folder ------------------------------------------


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_symlinked_folder_in_the_output_is_refused(tmp_path: Path) -> None:
    conf = small_project(tmp_path / "site", **{"a.md": ARTICLE, "sub/b.md": ARTICLE})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (conf.output).mkdir()
    (conf.output / "sub").symlink_to(elsewhere, target_is_directory=True)
    for force in (False, True):
        report = translate(conf, force=force)
        states = {d.source: d.state for d in report.documents}
        assert states == {"source_zh/a.md": "translated" if not force else "unchanged", "source_zh/sub/b.md": "error"}
        assert "outside output_en/" in next(d.message for d in report.documents if d.state == "error")
        assert report.exit_code == 2
        assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize(("source", "output"), [("docs", "docs"), ("docs", "docs/en"), ("out/zh", "out"), ("docs", "./docs/")])
def test_source_and_output_folders_must_be_apart(tmp_path: Path, source: str, output: str) -> None:
    from workflow.errors import ConfigError

    (tmp_path / "pyproject.toml").write_text(f'[tool.workflow]\nsource = "{source}"\noutput = "{output}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="Give two separate folders"):
        load_settings(tmp_path)


# -- silent wrong results ---------------------------------------------------------------------------


def nested_list(depth: int) -> str:
    return "".join("  " * i + f"- 第{i}层的中文\n" for i in range(depth))


def test_a_list_nested_twelve_levels_is_translated_to_the_bottom(tmp_path: Path) -> None:
    conf = small_project(tmp_path, **{"a.md": nested_list(12)})
    assert translate(conf).exit_code == 0
    english = (conf.output / "a.md").read_text(encoding="utf-8")
    assert "第" not in english and english.count("- ") == 12


@pytest.mark.parametrize("text", [">" * 3000 + " 深层引用中文\n", nested_list(200)])
def test_nesting_deeper_than_the_parser_follows_is_a_clear_error(tmp_path: Path, text: str) -> None:
    conf = small_project(tmp_path, **{"a.md": ARTICLE, "deep.md": text})
    report = translate(conf)
    states = {d.source: (d.state, d.message) for d in report.documents}
    assert states["source_zh/a.md"][0] == "translated"
    assert states["source_zh/deep.md"][0] == "error" and "nest deeper than" in states["source_zh/deep.md"][1]
    assert report.exit_code == 2
    assert not (conf.output / "deep.md").exists()  # so `check` reports it untranslated
