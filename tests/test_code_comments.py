"""Chinese comments in code blocks (issue 11): translated, reviewable, the code byte for byte.

Real runs of translate (pseudo and copy engines) and review on a small project; the cases of
the segmentation itself are in tests/fixtures/stages/code.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow.config import load_settings
from workflow.errors import ConfigError, WorkflowError
from workflow.review.run import review
from workflow.store.memory import Memory
from workflow.store.memory import load as load_memory
from workflow.text.chars import has_han
from workflow.translate.run import translate

NAME = "fs.md"
CHINESE = """\
---
title: 文件系统
---

# 创建文件系统

先格式化磁盘。

```bash
# ext 文件系统
mkfs.ext4 /dev/sdb   # 格式化
```

```python
import os  # 导入 os 模块
print("你好")
```

```c
int a; /* 中文注释 */
```

```foo
# 未知语言的注释
```

最后一段。
"""
CODE_LINES = ["mkfs.ext4 /dev/sdb   # ", "import os  # ", 'print("你好")', "int a; /* ", "# 未知语言的注释"]


def project(root: Path, engine: str = "pseudo", extra: str = "") -> Path:
    (root / "source_zh").mkdir(parents=True)
    (root / "pyproject.toml").write_text(f'[tool.workflow]\nengine = "{engine}"\nreviewer = "Ada"\n{extra}',
                                         encoding="utf-8")
    (root / "source_zh" / NAME).write_text(CHINESE, encoding="utf-8")
    report = translate(load_settings(root))
    assert report.documents[0].state == "translated", report.documents[0]
    return root / "output_en" / NAME


def memory(root: Path) -> Memory:
    found = load_memory(root / "output_en" / ".workflow" / (NAME + ".json"), NAME)
    assert found is not None
    return found


def comments(root: Path) -> dict[str, str]:
    return {r.source: r.final for r in memory(root).segments if r.kind == "code-comment"}


def test_comments_are_translated_and_the_code_stays(tmp_path: Path) -> None:
    english = project(tmp_path / "site").read_text(encoding="utf-8")
    found = comments(tmp_path / "site")
    assert set(found) == {"ext 文件系统", "格式化", "导入 os 模块", "中文注释"}  # not the unknown language's
    assert all(not has_han(final) and final for final in found.values())
    for line in CODE_LINES:
        assert line in english  # markers, code, the string (code-strings is off), the unknown block
    assert "```bash\n# " in english and " */\n```" in english
    assert "\\" not in english.split("```bash", 1)[1]  # no Markdown escaping inside code


def test_the_copy_engine_gives_the_code_back_byte_for_byte(tmp_path: Path) -> None:
    english = project(tmp_path / "site", engine="copy").read_text(encoding="utf-8")
    body = CHINESE.split("---\n", 2)[2]
    assert english.endswith(body)


def test_an_edited_comment_is_recorded_and_survives_translate(tmp_path: Path) -> None:
    root = tmp_path / "site"
    path = project(root)
    machine = comments(root)["ext 文件系统"]
    path.write_text(path.read_text(encoding="utf-8").replace(f"# {machine}\n", "# ext file system\n"), encoding="utf-8")
    doc = review(load_settings(root), [path]).documents[0]
    assert doc.state == "recorded", doc.message
    assert [(c.kind, c.action) for c in doc.changes] == [("code-comment", "edited")]
    record = next(r for r in memory(root).segments if r.source == "ext 文件系统")
    assert (record.final, record.status, record.reviewer) == ("ext file system", "reviewed", "Ada")
    written = path.read_bytes()
    again = translate(load_settings(root)).documents[0]
    assert again.state == "unchanged" and path.read_bytes() == written
    source = root / "source_zh" / NAME
    source.write_text(source.read_text(encoding="utf-8").replace("最后一段。", "最后一段，改过。"), encoding="utf-8")
    assert translate(load_settings(root)).documents[0].state == "translated"
    assert "# ext file system\nmkfs.ext4 /dev/sdb   # " in path.read_text(encoding="utf-8")
    assert comments(root)["ext 文件系统"] == "ext file system"


def test_code_changed_beside_a_comment_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "site"
    path = project(root)
    before = path.read_bytes()
    edited = path.read_text(encoding="utf-8").replace("mkfs.ext4", "mkfs.xfs")
    path.write_text(edited, encoding="utf-8")
    line = edited[:edited.index("mkfs.xfs")].count("\n") + 1
    doc = review(load_settings(root), [path]).documents[0]
    assert doc.state == "refused"
    assert f"output_en/{NAME}:{line}: " in doc.message and "set-aside" in doc.message
    assert before != path.read_bytes()  # the editor's file is kept as it is


def test_english_that_would_end_the_comment_is_refused_and_flagged(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "glossary").mkdir(parents=True)
    (root / "glossary" / "terms.tsv").write_text("zh\ten\tkind\n注释\tnote */ x\tterm\n", encoding="utf-8")
    path = project(root)
    record = next(r for r in memory(root).segments if r.source == "中文注释")
    assert record.status == "needs-review" and record.final == "中文注释"
    assert any("structure" in reason for reason in record.reasons)
    assert "int a; /* 中文注释 */\n" in path.read_text(encoding="utf-8")


def test_code_strings_when_configured(tmp_path: Path) -> None:
    root = tmp_path / "site"
    english = project(root, extra="code-strings = true\n").read_text(encoding="utf-8")
    strings = [r for r in memory(root).segments if r.kind == "code-string"]
    assert [r.source for r in strings] == ["你好"]
    assert 'print("你好")' not in english and 'print("' in english


def test_code_comments_can_be_turned_off(tmp_path: Path) -> None:
    root = tmp_path / "site"
    english = project(root, extra="code-comments = false\n").read_text(encoding="utf-8")
    assert not comments(root)
    assert "# ext 文件系统\n" in english


@pytest.mark.parametrize(("table", "message"), [
    ('code-comments = "yes"', "`code-comments` must be"),
    ("code-string = true", "Did you mean `code-strings`?"),
])
def test_code_settings_are_validated(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.workflow]\n{table}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    assert message in str(caught.value)


def test_turning_code_comments_on_translates_them_in_an_unchanged_document(tmp_path: Path) -> None:
    root = tmp_path / "site"
    path = project(root, extra="code-comments = false\n")
    assert "# ext 文件系统\n" in path.read_text(encoding="utf-8")
    config = root / "pyproject.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("code-comments = false\n", ""), encoding="utf-8")
    assert translate(load_settings(root)).documents[0].state == "unchanged"  # answered from hashes
    assert translate(load_settings(root), force=True).documents[0].state == "translated"
    assert "# ext 文件系统\n" not in path.read_text(encoding="utf-8") and len(comments(root)) == 4
    assert translate(load_settings(root)).documents[0].state == "unchanged"
    config.write_text(config.read_text(encoding="utf-8") + "code-comments = false\n", encoding="utf-8")
    assert translate(load_settings(root), force=True).documents[0].state == "translated"
    assert "# ext 文件系统\n" in path.read_text(encoding="utf-8") and not comments(root)


def test_a_comment_english_that_ends_the_comment_is_refused_by_interactive_and_import(tmp_path: Path) -> None:
    import polib

    from workflow.review.exchange import export, import_file
    from workflow.review.views import decide

    root = tmp_path / "site"
    path = project(root)
    before = path.read_bytes()
    record = next(r for r in memory(root).segments if r.source == "中文注释")
    settings = load_settings(root)
    with pytest.raises(WorkflowError) as caught:
        decide(settings, root / "source_zh" / NAME, record.id, final="a */ b", reviewer="Ada", now="2026-01-01T00:00:00Z")
    assert "code block" in str(caught.value) and path.read_bytes() == before
    po = tmp_path / "x.po"
    po.write_bytes(export(settings, [], "po", everything=True).data)
    catalog = polib.pofile(str(po))
    for entry in catalog:
        if entry.msgid == "中文注释":
            entry.msgstr, entry.flags = "a */ b", []
    catalog.save(str(po))
    report = import_file(settings, po, reviewer="Ada", now="2026-01-01T00:00:00Z")
    assert report.documents[0].state == "refused" and "code block" in report.documents[0].message
    assert path.read_bytes() == before
    record = next(r for r in memory(root).segments if r.source == "中文注释")
    assert record.status == "machine"
