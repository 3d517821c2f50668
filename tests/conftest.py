"""Shared fixtures. Environment isolation happens at import, before anything imports argostranslate."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import CliRunner, Result

# argostranslate.settings reads these at import time and creates folders under them.
_ISOLATED = Path(tempfile.mkdtemp(prefix="workflow-tests-"))
for _var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
    os.environ[_var] = str(_ISOLATED / _var.lower())
os.environ["ARGOS_PACKAGES_DIR"] = str(_ISOLATED / "argos-packages")
os.environ["ARGOS_PACKAGE_INDEX"] = "http://127.0.0.1:9/"  # nothing listens: no test reaches the internet
os.environ.pop("NO_COLOR", None)

REPO = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))

PYPROJECT = """\
[tool.workflow]
engine = "copy"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A content repository: the five articles, the project's glossary, a pyproject."""
    root = tmp_path / "site"
    shutil.copytree(REPO / "source_zh", root / "source_zh")
    if (REPO / "glossary").is_dir():
        shutil.copytree(REPO / "glossary", root / "glossary")
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    return root


@pytest.fixture
def empty_project(tmp_path: Path) -> Path:
    """A content repository with an empty source folder and no glossary."""
    root = tmp_path / "blank"
    (root / "source_zh").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    return root


@pytest.fixture
def run(project: Path) -> Callable[..., Result]:
    """Run the CLI in `project` like a user would: `run("translate", "--engine", "copy")`."""
    return cli_runner(project)


def cli_runner(root: Path) -> Callable[..., Result]:
    from workflow.cli import cli

    def invoke(*args: str, input: str | None = None, env: dict[str, Any] | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(cli, ["-C", str(root), *args], input=input, env=env, catch_exceptions=False)

    return invoke
