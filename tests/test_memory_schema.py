"""Memory schema 3: migration from schemas 1 and 2 without loss, validation on read, stable serialisation."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

from workflow.config import load_settings
from workflow.errors import MemoryCorrupt
from workflow.report.check import check
from workflow.store.memory import SCHEMA, Record, parse
from workflow.translate.run import translate

MEMORIES = sorted((REPO / "output_en" / ".workflow").glob("*.json"))


def as_schema_2(data: bytes) -> bytes:
    """A current file as the previous version wrote it: schema 2, no `units` count."""
    text = data.decode("utf-8").replace(f'"schema": {SCHEMA},', '"schema": 2,', 1)
    return re.sub(r',\n  "units": \d+', "", text, count=1).encode("utf-8")


def as_schema_1(data: bytes) -> bytes:
    """A current file as the version before wrote it: schema 1, no `lost` count."""
    text = as_schema_2(data).decode("utf-8").replace('"schema": 2,', '"schema": 1,', 1)
    return text.replace('\n  "lost": 0,', "", 1).encode("utf-8")


def published(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    for folder in ("source_zh", "output_en", "glossary"):
        shutil.copytree(REPO / folder, root / folder)
    (root / "pyproject.toml").write_text('[tool.workflow]\nengine = "copy"\n', encoding="utf-8")
    return root


@pytest.mark.parametrize("older", [as_schema_1, as_schema_2])
def test_the_published_articles_migrate_with_their_english_byte_for_byte(tmp_path: Path, older: Any) -> None:
    root = published(tmp_path)
    assert len(MEMORIES) == 5
    for path in MEMORIES:
        (root / "output_en" / ".workflow" / path.name).write_bytes(older(path.read_bytes()))
        assert (root / "output_en" / ".workflow" / path.name).read_bytes() != path.read_bytes()
    english = {p.name: p.read_bytes() for p in (REPO / "output_en").glob("*.md")}
    conf = load_settings(root)
    assert check(conf).exit_code == 0  # an older schema is read as it is
    report = translate(conf)
    assert report.exit_code == 0 and {d.state for d in report.documents} == {"unchanged"}
    assert {p.name: p.read_bytes() for p in (root / "output_en").glob("*.md")} == english
    for path in MEMORIES:  # migrated on this first run: exactly the repository's files, current schema
        migrated = (root / "output_en" / ".workflow" / path.name).read_bytes()
        assert json.loads(migrated)["schema"] == SCHEMA
        assert migrated == path.read_bytes()
    assert translate(conf).exit_code == 0 and check(conf).exit_code == 0


def test_records_round_trip_with_stable_bytes() -> None:
    for path in MEMORIES:
        data = path.read_bytes()
        assert parse(data, path.name).to_bytes() == data


def test_new_fields_serialise_sorted_and_round_trip() -> None:
    record = Record(id="s1", kind="paragraph", line=3, source_hash="h", source="中文", machine="m", final="f",
                    match="exact", matches=({"target": "t", "score": 80, "source": "中", "origin": "a.md",
                                             "status": "reviewed"},))
    data = record.to_json()
    assert list(data) == sorted(data) and list(data["matches"][0]) == sorted(data["matches"][0])
    assert Record.from_json(json.loads(json.dumps(data))) == record


@pytest.mark.parametrize(("old", "new", "message"), [
    ('"segments": [', '"segments": {"x": 1}, "y": [', "`segments` must be a list"),
    ('"source": "source_zh', '"source": 7, "s": "source_zh', "`source` must be a string"),
    ('"status": "reviewed"', '"status": "done"', "`status` must be one of machine, needs-review, reviewed"),
    ('"final": "', '"final": 1, "f": "', "`final` must be a string"),
    ('"line": ', '"line": "1", "l": ', "`line` must be an integer"),
])
def test_a_mistyped_memory_is_corrupt_naming_file_and_line(old: str, new: str, message: str) -> None:
    data = MEMORIES[0].read_bytes().decode("utf-8").replace(old, new, 1).encode("utf-8")
    with pytest.raises(MemoryCorrupt) as caught:
        parse(data, "m.json")
    assert message in caught.value.message and caught.value.path == "m.json"
    assert caught.value.line is not None and caught.value.line > 1


def test_check_reports_a_mistyped_memory_and_goes_on(tmp_path: Path) -> None:
    root = published(tmp_path)
    path = root / "output_en" / ".workflow" / MEMORIES[0].name
    path.write_text(path.read_text(encoding="utf-8").replace('"retired"', '"x"').replace(
        '"segments": [', '"retired": 5,\n "segments": [', 1), encoding="utf-8")
    report = check(load_settings(root))
    assert report.exit_code == 1
    assert [(f.kind, f.path) for f in report.findings] == [("corrupt-memory", f"output_en/.workflow/{path.name}")]
    assert "`retired` must be a list" in report.findings[0].detail
    assert len(report.documents) == 5
