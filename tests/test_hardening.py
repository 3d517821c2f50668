"""Issue 16, hardening: each class of fault a red-team pass found, with a test that failed before its fix."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest

import workflow.store.files
from workflow.config import Settings, load_settings
from workflow.document.output import lock_path
from workflow.review.run import review
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
    assert english.read_text(encoding="utf-8") == second_save  # not overwritten by what review rendered
    assert report.exit_code == 1 and "saved while this run" in report.documents[0].message


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


def cli(root: Path, *args: str) -> tuple[int, str]:
    from click.testing import CliRunner

    from workflow.cli import cli as main

    result = CliRunner().invoke(main, ["-C", str(root), *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_check_never_passes_on_nothing(tmp_path: Path) -> None:
    assert cli(tmp_path, "check")[0] == 2  # no source folder here: the wrong root or a misnamed folder
    code, output = cli(tmp_path / "nope", "check")
    assert code == 2 and "does not exist" in output
    (tmp_path / "pyproject.toml").write_text('[tool.workflow]\nsource = "sources_zh"\n', encoding="utf-8")
    (tmp_path / "source_zh").mkdir()
    (tmp_path / "source_zh" / "a.md").write_text(ARTICLE, encoding="utf-8")
    code, output = cli(tmp_path, "check")
    assert code == 2 and "sources_zh/ does not exist" in output
    assert cli(tmp_path, "translate")[0] == 2
    (tmp_path / "pyproject.toml").write_text('[tool.workflow]\nengine = "copy"\n', encoding="utf-8")
    (tmp_path / "source_zh" / "a.md").unlink()
    code, output = cli(tmp_path, "check")
    assert code == 2 and "nothing to check" in output


# -- front matter: bounded, and read as authors write it ---------------------------------------------

BOMB = "---\na: &a [" + ",".join(["中"] * 9) + "]\n" + "".join(
    f"{b}: &{b} [" + ",".join([f"*{a}"] * 9) + "]\n" for a, b in zip("abcdef", "bcdefg")) + "tags: [" + ",".join(["*g"] * 9) + "]\n---\n中文。\n"


@pytest.mark.parametrize(("text", "message"), [
    (BOMB, "expands to more than"),
    ("---\ntags: &a [*a]\n---\n中文。\n", "refers to itself"),
    ("{\n\"a\": " + "[" * 100_000 + "]" * 100_000 + "\n}\n中文。\n", "nests too deeply"),
    ("---\na: " + "[" * 100_000 + "]" * 100_000 + "\n---\n中文。\n", "YAML front matter"),
])
def test_hostile_front_matter_is_a_clear_error_and_the_run_goes_on(tmp_path: Path, text: str, message: str) -> None:
    conf = small_project(tmp_path, **{"a.md": ARTICLE, "bad.md": text})
    report = translate(conf)
    states = {d.source: (d.state, d.message) for d in report.documents}
    assert states["source_zh/a.md"][0] == "translated"
    assert states["source_zh/bad.md"][0] == "error" and message in states["source_zh/bad.md"][1]
    assert report.exit_code == 2


def test_hexo_front_matter_is_front_matter(tmp_path: Path) -> None:
    conf = small_project(tmp_path, **{"a.md": "title: 你好\ndate: 2018-01-01\ntags:\n- 云\n---\n中文。\n"})
    assert translate(conf).exit_code == 0
    english = (conf.output / "a.md").read_text(encoding="utf-8")
    assert english.startswith("title: ondj\ndate: 2018-01-01\ntags:\n- 云\n")  # no opening `---` added
    assert english.count("---\n") == 1 and english.endswith("---\ntbrx.\n")
    from workflow.store.post import parse

    assert parse(b"key: value\n\nSome text.\n---\nmore\n", "b.md").front is None  # a paragraph, not front matter


def test_an_aliased_title_is_replaced_not_repeated(tmp_path: Path) -> None:
    conf = small_project(tmp_path, **{"a.md": "---\nx: &t 你好\ntitle: *t\n---\n中文。\n"})
    assert translate(conf).exit_code == 0
    english = (conf.output / "a.md").read_text(encoding="utf-8")
    assert english.count("title:") == 1 and "title: ondj\n" in english and "x: &t 你好\n" in english


def test_a_derived_title_drops_markdown_escapes_and_attributes(tmp_path: Path) -> None:
    conf = small_project(tmp_path, **{"a.md": "# 1\\. 标题 {#intro}\n\n中文。\n"})
    assert translate(conf).exit_code == 0
    assert "title: 1. hwmg\n" in (conf.output / "a.md").read_text(encoding="utf-8")


def test_mixed_line_endings_are_kept_line_by_line(tmp_path: Path) -> None:
    source = "# 标题\r\n\r\n中文。\n\n二。\r\n".encode()
    conf = small_project(tmp_path, engine="copy")
    (conf.source / "a.md").write_bytes(source)
    assert translate(conf).exit_code == 0
    english = (conf.output / "a.md").read_bytes()
    assert english.endswith(source)  # the copy engine's body is the Chinese, byte for byte


def test_documented_snippets_pin_no_tag_that_does_not_exist() -> None:
    import re

    repo = Path(__file__).resolve().parent.parent
    for doc in [repo / "README.md", *sorted((repo / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        assert not re.search(r"workflow@v\d|rev: v\d", text), doc  # no release is tagged: pin a commit


def test_translate_accepts_english_paths_and_errors_name_the_path_given(tmp_path: Path) -> None:
    conf = small_project(tmp_path, **{"a.md": ARTICLE, "sub/b.md": ARTICLE})
    assert [d.state for d in translate(conf, [Path("output_en/sub/")]).documents] == ["translated"]  # not written yet
    assert translate(conf, [Path("output_en/a.md")]).documents[0].state == "translated"
    [reviewed] = review(conf, [Path("output_en/nope.md")]).documents
    assert reviewed.message.startswith("output_en/nope.md: no such file")
    [translated] = translate(conf, [Path("output_en/nope.md")]).documents
    assert translated.message.startswith("output_en/nope.md: no such file")


def test_a_crashed_runs_temporary_files_are_removed_and_said(tmp_path: Path) -> None:
    conf = small_project(tmp_path)
    assert translate(conf).exit_code == 0
    left = [conf.output / ".a.md.abcd1234.tmp", conf.memory_root / ".wf.zz_9y8x7.tmp"]
    mine = conf.output / ".notes.tmp"  # not a name the tool makes: kept
    for path in [*left, mine]:
        path.write_text("half", encoding="utf-8")
        os.utime(path, (1, 1))
    report = translate(conf)
    assert not any(p.exists() for p in left) and mine.exists()
    assert sum("removed a temporary file" in w for w in report.warnings) == 2


# -- no traceback: a clear message naming the file, the run goes on -------------------------------------


def test_glossary_files_no_codec_or_csv_reads_are_clear_errors(tmp_path: Path) -> None:
    small_project(tmp_path, engine="copy")
    po = tmp_path / "g.po"
    po.write_bytes(b'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=base64\\n"\n\nmsgid "Nova"\nmsgstr "Nova"\n')
    code, output = cli(tmp_path, "glossary", "import", str(po))
    assert code == 2 and "g.po" in output and "is not a readable PO file" in output
    big = tmp_path / "big.csv"
    big.write_text('zh,en\n"云,' + "x" * 200_000 + '\n', encoding="utf-8")
    code, output = cli(tmp_path, "glossary", "import", str(big))
    assert code == 2 and "big.csv:2" in output and "quote not closed" in output


@pytest.mark.parametrize("error", [28, 30])  # ENOSPC, EROFS
def test_a_failed_write_names_the_file_and_the_run_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           error: int) -> None:
    conf = small_project(tmp_path, **{"a.md": ARTICLE, "b.md": ARTICLE + "\n又一段。\n"})

    def full(path: Path) -> None:
        if path.name.startswith("a.md"):
            raise OSError(error, os.strerror(error))

    monkeypatch.setattr(workflow.store.files, "before_write", full)
    report = translate(conf)
    states = {d.source: (d.state, d.message) for d in report.documents}
    assert states["source_zh/b.md"][0] == "translated"
    assert states["source_zh/a.md"][0] == "error" and "cannot write" in states["source_zh/a.md"][1]
    assert states["source_zh/a.md"][1].startswith("output_en/a.md: ")
    assert report.exit_code == 2


@pytest.mark.parametrize("corrupt", ["truncated", "version"])
def test_corrupt_memory_is_a_clear_message_in_every_command(tmp_path: Path, corrupt: str) -> None:
    """MemoryCorrupt (the memory's own validation is issue 10's) reaches the user as a message naming the file."""
    import json

    small_project(tmp_path, engine="copy", **{"a.md": ARTICLE, "b.md": ARTICLE + "\n又一段。\n"})
    assert cli(tmp_path, "translate")[0] == 0
    memory = tmp_path / "output_en" / ".workflow" / "a.md.json"
    text = memory.read_text(encoding="utf-8")
    data = json.loads(text)
    memory.write_text(text[: len(text) // 2] if corrupt == "truncated" else json.dumps({**data, "schema": 999}),
                      encoding="utf-8")
    (tmp_path / "source_zh" / "a.md").write_text(ARTICLE + "\n新的一段。\n", encoding="utf-8")
    for command in (["translate"], ["check"], ["review"], ["publish"], ["stats"]):
        code, output = cli(tmp_path, *command)
        assert "Traceback" not in output
        assert code in (1, 2), (command, output)
        assert "a.md.json" in output, (command, output)
    code, output = cli(tmp_path, "status")  # a table, exit 0 by its contract; the row says it
    assert code == 0 and re.search(r"source_zh/a\.md .* corrupt-memory", output), output


def test_a_full_disk_under_any_command_is_a_message_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small_project(tmp_path, engine="copy")
    (tmp_path / "glossary").mkdir()
    (tmp_path / "glossary" / "terms.tsv").write_text("zh\ten\n云\tcloud\n", encoding="utf-8")

    def full(path: Path) -> None:
        raise OSError(28, os.strerror(28), str(path))

    monkeypatch.setattr(workflow.store.files, "before_write", full)
    code, output = cli(tmp_path, "glossary", "add", "边缘", "edge")
    assert code == 2 and "terms.tsv" in output and os.strerror(28) in output
    assert (tmp_path / "glossary" / "terms.tsv").read_text(encoding="utf-8") == "zh\ten\n云\tcloud\n"


def test_an_english_file_linked_inside_the_output_is_reported_as_the_file_written(tmp_path: Path) -> None:
    """`output_en/a.md` a link to another file of the output: the write replaces the link, and the
    report names `a.md`, the file written (not the link's old target)."""
    conf = small_project(tmp_path / "site", **{"a.md": ARTICLE})
    assert translate(conf).exit_code == 0
    english = conf.output / "a.md"
    (conf.output / "a_real.md").write_bytes(english.read_bytes())
    english.unlink()
    english.symlink_to("a_real.md")
    source = conf.source / "a.md"
    source.write_text(source.read_text(encoding="utf-8") + "\n新的一段。\n", encoding="utf-8")
    report = translate(conf, force=True)
    assert [(d.output, d.state) for d in report.documents] == [("output_en/a.md", "translated")]
    assert not english.is_symlink()


def _held_elsewhere(lock: workflow.store.files.Lock, by_process: bool) -> bool:
    """Whether another thread (or a forked process) finds `lock` held: it tries for 0.1 s."""
    import multiprocessing

    from workflow.store.files import Busy

    def attempt() -> bool:
        try:
            with locked(lock, wait=0.1):
                return False
        except Busy:
            return True

    if not by_process:
        answer: list[bool] = []
        thread = threading.Thread(target=lambda: answer.append(attempt()))
        thread.start()
        thread.join()
        return answer[0]
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe()
    proc = context.Process(target=lambda: child.send(attempt()))
    proc.start()
    held = bool(parent.recv())
    proc.join()
    return held


@pytest.mark.parametrize("by_process", [False, True])
@pytest.mark.parametrize("ranges", [True, False])  # a byte of one lock file (Linux), or a lock file per document
def test_a_document_s_lock_excludes_other_threads_and_processes_and_only_that_document(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by_process: bool, ranges: bool) -> None:
    if ranges and not workflow.store.files.RANGE_LOCKS:
        pytest.skip("open file description locks are Linux's")
    monkeypatch.setattr(workflow.store.files, "RANGE_LOCKS", ranges)
    memory_root = tmp_path / "output_en" / ".workflow"
    one, other = lock_path(memory_root / "a.md.json"), lock_path(memory_root / "b" / "a.md.json")
    assert one != other
    with locked(one):
        assert _held_elsewhere(one, by_process)
        assert not _held_elsewhere(other, by_process)  # another document is written meanwhile
    assert not _held_elsewhere(one, by_process)  # released with the block


def test_a_first_run_makes_one_lock_file_not_one_per_document(tmp_path: Path) -> None:
    if not workflow.store.files.RANGE_LOCKS:
        pytest.skip("open file description locks are Linux's")
    conf = small_project(tmp_path, **{f"d{n}.md": ARTICLE for n in range(5)})
    assert translate(conf).exit_code == 0
    assert os.listdir(conf.memory_root / ".locks") == ["documents.lock"]
    assert (conf.memory_root / ".locks" / "documents.lock").stat().st_size == 0  # locks beyond the end: no data


def test_a_file_system_without_range_locks_locks_the_whole_file(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import fcntl

    real = fcntl.fcntl

    def no_range_locks(fd: int, cmd: int, arg: object = 0) -> object:
        if cmd == getattr(fcntl, "F_OFD_SETLK", None):
            raise OSError(errno.ENOLCK, "No locks available")
        return real(fd, cmd, arg)  # type: ignore[call-overload]

    monkeypatch.setattr(fcntl, "fcntl", no_range_locks)
    lock = workflow.store.files.Lock(tmp_path / ".locks" / "documents.lock", 12345)
    with locked(lock):
        assert _held_elsewhere(workflow.store.files.Lock(lock.file), by_process=False)  # flock'ed whole
    assert not _held_elsewhere(workflow.store.files.Lock(lock.file), by_process=False)


def test_an_output_folder_swapped_for_a_link_during_a_run_takes_no_more_writes(tmp_path: Path) -> None:
    # the output folder's real place is resolved once per run (process): a link put in its place
    # meanwhile leads the later writes elsewhere, away from it, and they are refused
    from workflow.errors import WorkflowError
    from workflow.store.files import _real_folder, confined

    output, elsewhere = tmp_path / "output_en", tmp_path / "elsewhere"
    (output / "sub").mkdir(parents=True)
    _real_folder.cache_clear()
    confined(output / "sub" / "a.md", output, "a.md")
    output.rename(elsewhere)
    output.symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(WorkflowError, match="outside output_en/"):
        confined(output / "sub" / "b.md", output, "b.md")
    _real_folder.cache_clear()  # a new run: an output folder that is a link is written through, as ever
    confined(output / "sub" / "b.md", output, "b.md")


@pytest.mark.parametrize("proc", [True, False], ids=["proc-status", "set-and-reset"])
def test_new_files_get_the_umask_s_permissions_and_the_umask_is_left_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, proc: bool) -> None:
    files = workflow.store.files
    if proc and files._proc_umask() is None:
        pytest.skip("no /proc/self/status Umask line here")
    if not proc:
        monkeypatch.setattr(files, "_proc_umask", lambda: None)  # as on a platform without /proc
    old = os.umask(0o027)
    try:
        monkeypatch.setattr(files, "_UMASK", files._read_umask())  # read again, as at import, under this umask
        assert files.process_umask() == 0o027
        threads = [threading.Thread(target=workflow.store.files.atomic_write, args=(tmp_path / f"d{i}" / "f.md", b"x"))
                   for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert os.umask(0o027) == 0o027
    finally:
        os.umask(old)
    assert {(tmp_path / f"d{i}" / "f.md").stat().st_mode & 0o777 for i in range(8)} == {0o640}
    assert {(tmp_path / f"d{i}").stat().st_mode & 0o777 for i in range(8)} == {0o750}
