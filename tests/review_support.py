"""Helpers shared by the review tests: read and edit the English, read memory."""

from __future__ import annotations

from pathlib import Path

import yaml

from workflow.config import Settings, load_settings
from workflow.store.memory import Memory, Record
from workflow.store.memory import load as load_memory

BERLIN = "2018-11-15-openstack-berlin-summit-impressions.md"
BOSTON = "2017-05-08-openstack-boston-summit.md"
SCHEDULE = "整个日程安排的满满当当，议题全程听下来，收益颇丰，感慨良多。"  # a Berlin paragraph
NOW = "2026-01-02T03:04:05+00:00"


def configure(root: Path, engine: str = "copy", reviewer: str = "Ada") -> Settings:
    (root / "pyproject.toml").write_text(f'[tool.workflow]\nengine = "{engine}"\nreviewer = "{reviewer}"\n',
                                         encoding="utf-8")
    return load_settings(root)


def english_path(root: Path, name: str = BERLIN) -> Path:
    return root / "output_en" / name


def read(root: Path, name: str = BERLIN) -> str:
    return english_path(root, name).read_text(encoding="utf-8")


def write(root: Path, text: str, name: str = BERLIN) -> None:
    english_path(root, name).write_text(text, encoding="utf-8")


def replace(root: Path, old: str, new: str, name: str = BERLIN) -> str:
    text = read(root, name)
    assert old in text, old
    edited = text.replace(old, new, 1)
    write(root, edited, name)
    return edited


def memory(root: Path, name: str = BERLIN) -> Memory:
    found = load_memory(root / "output_en" / ".workflow" / (name + ".json"), name)
    assert found is not None
    return found


def record(root: Path, chinese: str, name: str = BERLIN) -> Record:
    """The record whose Chinese contains `chinese` (live or retired)."""
    mem = memory(root, name)
    found = [r for r in (*mem.segments, *mem.retired) if chinese in r.source]
    assert found, chinese
    return found[0]


def front(root: Path, name: str = BERLIN) -> dict[str, object]:
    return dict(yaml.safe_load(read(root, name).split("---\n", 2)[1]))


def body(root: Path, name: str = BERLIN) -> str:
    return read(root, name).split("---\n", 2)[2]


def paragraph(text: str, contains: str) -> str:
    """The line of `text` that contains `contains`."""
    return next(line for line in text.split("\n") if contains in line)
