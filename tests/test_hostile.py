"""Every command over a corpus of hostile inputs (issue 16): tests/hostile/ plus cases made here that
cannot be committed. Each run must end without a traceback, write nothing outside the output tree
(and the memory folder inside it), still translate the good article beside the bad one, and exit
with the code its case expects; `check` never passes while a document could not be translated."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

from workflow.cli import cli

HOSTILE = Path(__file__).resolve().parent / "hostile"
GOOD = "# 好文章\n\n这是一篇正常的中文文章。\n"
PYPROJECT = '[tool.workflow]\nengine = "pseudo"\nreviewer = "Ada"\n'
COMMANDS: list[tuple[str, ...]] = [
    ("translate",), ("translate",), ("translate", "--dry-run"),
    ("check",), ("check", "--format", "json"), ("status",), ("review",), ("review", "--approve"),
    ("publish",), ("stats",), ("glossary", "check"), ("glossary", "lint"), ("glossary", "list"),
    ("glossary", "export", "--format", "csv"), ("translate", "--force"), ("check", "--require-reviewed"),
]

Setup = Callable[[Path, Path], None]  # (project root, a folder outside it)


def source(name: str, data: bytes | str) -> Setup:
    def setup(root: Path, outside: Path) -> None:
        path = root / "source_zh" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
    return setup


def corpus_file(name: str) -> Setup:
    return source(name, (HOSTILE / "sources" / name).read_bytes())


def symlink_loop_folder(root: Path, outside: Path) -> None:
    (root / "source_zh" / "loop").symlink_to("loop")


def symlink_loop_file(root: Path, outside: Path) -> None:
    (root / "source_zh" / "self.md").symlink_to("self.md")


def symlinked_source_folder(root: Path, outside: Path) -> None:
    (outside / "more").mkdir()
    (outside / "more" / "x.md").write_text("中文。\n", encoding="utf-8")
    (root / "source_zh" / "more").symlink_to(outside / "more", target_is_directory=True)


def symlinked_output_folder(root: Path, outside: Path) -> None:
    source("sub/b.md", "中文。\n")(root, outside)
    (root / "output_en").mkdir(exist_ok=True)
    (outside / "target").mkdir()
    (root / "output_en" / "sub").symlink_to(outside / "target", target_is_directory=True)


def non_utf8_name(root: Path, outside: Path) -> None:
    with open(os.fsencode(root / "source_zh") + b"/\xff\xfe-bad.md", "wb") as handle:
        handle.write("中文。\n".encode())


def corrupt_memory(root: Path, outside: Path) -> None:
    memory = root / "output_en" / ".workflow" / "c.md.json"
    memory.parent.mkdir(parents=True)
    source("c.md", "中文。\n")(root, outside)
    memory.write_text('{"schema": 1, "segments": [', encoding="utf-8")


def memory_of_another_schema(root: Path, outside: Path) -> None:
    memory = root / "output_en" / ".workflow" / "c.md.json"
    memory.parent.mkdir(parents=True)
    source("c.md", "中文。\n")(root, outside)
    memory.write_text(json.dumps({"schema": 999, "segments": 7}), encoding="utf-8")


def leftover_temporary_files(root: Path, outside: Path) -> None:
    (root / "output_en" / ".workflow").mkdir(parents=True)
    for path in (root / "output_en" / ".good.md.ab12cd34.tmp", root / "output_en" / ".workflow" / ".wf.zz99yy88.tmp"):
        path.write_text("half a file", encoding="utf-8")
        os.utime(path, (1, 1))


def english_without_memory(root: Path, outside: Path) -> None:
    source("d.md", "中文。\n")(root, outside)
    (root / "output_en").mkdir(exist_ok=True)
    (root / "output_en" / "d.md").write_text("Written by hand.\n", encoding="utf-8")


def bad_glossary_row(root: Path, outside: Path) -> None:
    (root / "glossary").mkdir()
    (root / "glossary" / "terms.tsv").write_text('zh\ten\n"云\t' + "x" * 200_000 + "\n", encoding="utf-8")


# case -> (setup, exit code translate must give). 2: input error for the bad document, 1: refused.
CASES: dict[str, tuple[Setup, int]] = {
    **{name: (corpus_file(name), code) for name, code in {
        "yaml-alias-bomb.md": 2, "yaml-recursive-alias.md": 2, "yaml-broken.md": 2, "toml-unclosed.md": 2,
        "json-broken.md": 2, "front-matter-not-a-mapping.md": 2, "binary.md": 2, "latin1.md": 2,
        "hexo-front-matter.md": 0, "title-alias.md": 0, "title-escapes.md": 0, "list-nested-12.md": 0,
        "empty.md": 0, "only-front-matter.md": 0, "ellipsis-and-corner-quotes.md": 0, "tags-nested-mapping.md": 0,
        "utf16.md": 0}.items()},
    "json-nested-100k": (source("j.md", "{\n\"a\": " + "[" * 100_000 + "]" * 100_000 + "\n}\n中文。\n"), 2),
    "yaml-nested-100k": (source("y.md", "---\na: " + "[" * 100_000 + "]" * 100_000 + "\n---\n中文。\n"), 2),
    "blockquote-3000-deep": (source("q.md", ">" * 3000 + " 深层引用\n"), 2),
    "list-200-deep": (source("l.md", "".join("  " * i + "- 层\n" for i in range(200))), 2),
    "mixed-newlines": (source("m.md", "# 标题\r\n\r\n中文。\n\n二。\r\n".encode()), 0),
    "name-239-bytes": (source("ab" + "长" * 78 + ".md", "中文。\n"), 0),
    "name-not-utf8": (non_utf8_name, 2),
    "symlink-loop-folder": (symlink_loop_folder, 0),
    "symlink-loop-file": (symlink_loop_file, 0),
    "symlinked-source-folder": (symlinked_source_folder, 0),
    "symlinked-output-folder": (symlinked_output_folder, 2),
    "memory-truncated": (corrupt_memory, 2),
    "memory-other-schema": (memory_of_another_schema, 2),
    "leftover-temporary-files": (leftover_temporary_files, 0),
    "english-without-memory": (english_without_memory, 1),
    "glossary-row-over-128k": (bad_glossary_row, 2),
}
WHOLE_RUN = {"glossary-row-over-128k"}  # the glossary serves every document: no document is translated


def snapshot(top: Path, output: Path) -> dict[str, bytes]:
    """Every file under `top` except the output tree, links not followed."""
    found: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(top):
        if Path(dirpath) == output.parent:
            dirnames[:] = [d for d in dirnames if Path(dirpath) / d != output]
        for name in filenames:
            path = Path(dirpath) / name
            found[os.fsencode(path).decode("utf-8", "backslashreplace")] = (
                b"link:" + os.fsencode(os.readlink(path)) if path.is_symlink() else path.read_bytes())
    return found


def run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["-C", str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.output, result.exception)
    assert "Traceback" not in result.output, (args, result.output)
    return result.exit_code, result.output


def project(tmp_path: Path, setup: Setup) -> tuple[Path, Path]:
    root, outside = tmp_path / "site", tmp_path / "outside"
    (root / "source_zh").mkdir(parents=True)
    outside.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / "source_zh" / "good.md").write_text(GOOD, encoding="utf-8")
    setup(root, outside)
    return root, outside


@pytest.mark.parametrize("case", list(CASES))
def test_every_command_over_a_hostile_input(tmp_path: Path, case: str) -> None:
    setup, expected = CASES[case]
    root, _ = project(tmp_path, setup)
    before = snapshot(tmp_path, root / "output_en")
    codes = {}
    for command in COMMANDS:
        code, output = run(root, *command)
        assert code in (0, 1, 2), (command, output)
        codes.setdefault(command, code)
        assert snapshot(tmp_path, root / "output_en") == before, command  # nothing written outside the output tree
    assert codes[("translate",)] == expected
    if case in WHOLE_RUN:
        assert "terms.tsv:2" in run(root, "translate")[1]
    else:
        english = (root / "output_en" / "good.md").read_text(encoding="utf-8")  # the good article was processed
        assert "这是" not in english and english.count("# ") == 1
    if expected:
        assert codes[("check",)] != 0  # check never passes while a document is not translated


GLOSSARY_FILES = sorted(p.name for p in (HOSTILE / "glossary").iterdir())


@pytest.mark.parametrize("name", GLOSSARY_FILES)
def test_glossary_import_of_a_hostile_file(tmp_path: Path, name: str) -> None:
    root, _ = project(tmp_path, lambda root, outside: None)
    shutil.copy(HOSTILE / "glossary" / name, tmp_path / name)
    before = snapshot(tmp_path, root / "output_en")
    for args in (("--dry-run",), ()):
        code, output = run(root, "glossary", "import", str(tmp_path / name), *args)
        assert code == 2 and name in output, output
    assert snapshot(tmp_path, root / "output_en") == before


def test_the_corpus_counts_are_the_readmes() -> None:
    """README's Reliability section states how many hostile runs the suite makes; keep it in step."""
    runs = len(CASES) * len(COMMANDS) + len(GLOSSARY_FILES) * 2
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert f"{len(CASES)} hostile projects" in readme and f"{runs} command runs" in readme
