"""The argos engine and `workflow models`, run for real on a tiny Argos package built offline.

The package (tests/argos_package.py) is a real SentencePiece + CTranslate2 model with
random weights: its English is gibberish, which is what makes it a good test of
placeholder repair, flagging and provenance. No test reaches the network: the
package index and downloads are served by an HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import functools
import http.server
import json
import re
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import argos_package
import pytest
from click.testing import CliRunner, Result

from workflow.config import load_settings
from workflow.engines import argos_packages as packages
from workflow.engines.argos import ArgosEngine, single_line
from workflow.errors import ConfigError, EngineUnavailable
from workflow.store.memory import load as load_memory
from workflow.store.post import parse
from workflow.text import skeleton

REPO = Path(__file__).resolve().parent.parent
MAX_LEN = 12  # the random model never emits </s>: keep its sentences short
LEAK = re.compile(r"</?[gx]\d+/?>")
ARGOS_PYPROJECT = f"""\
[tool.workflow]
engine = "argos"

[tool.workflow.argos]
max-decoding-length = {MAX_LEN}
beam-size = 1
"""


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two tiny zh→en packages, same name and version, different weights (seed 0 and 1)."""
    return {
        "seed0": argos_package.build_package(tmp_path_factory.mktemp("tiny-seed0")),
        "seed1": argos_package.build_package(tmp_path_factory.mktemp("tiny-seed1"), seed=1),
    }


@pytest.fixture
def argos_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty packages dir, index cache and hash cache for this test (argostranslate already imported)."""
    from argostranslate import settings

    home = tmp_path / "argos"
    (home / "packages").mkdir(parents=True)
    (home / "downloads").mkdir()
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(home / "packages"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setattr(settings, "package_data_dir", home / "packages")
    monkeypatch.setattr(settings, "package_dirs", [home / "packages"])
    monkeypatch.setattr(settings, "downloads_dir", home / "downloads")
    monkeypatch.setattr(settings, "local_package_index", home / "index.json")
    monkeypatch.setattr(settings, "remote_package_index", "http://127.0.0.1:9/index.json")
    return home / "packages"


def invoke(root: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    from workflow.cli import cli

    return CliRunner().invoke(cli, ["-C", str(root), *args], env=env, catch_exceptions=False)


@pytest.fixture
def argos_project(project: Path) -> Path:
    (project / "pyproject.toml").write_text(ARGOS_PYPROJECT, encoding="utf-8")
    return project


# -- a package index on 127.0.0.1 ----------------------------------------------------------


@pytest.fixture
def index_server(tmp_path: Path, tiny: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
                 argos_home: Path) -> Iterator[dict[str, Any]]:
    """Serves index.json and the seed-0 package; argostranslate's index URL points at it."""
    from argostranslate import settings

    site = tmp_path / "site"
    site.mkdir()
    package = site / tiny["seed0"].name
    package.write_bytes(tiny["seed0"].read_bytes())
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    with zipfile.ZipFile(package) as zf:
        metadata = json.loads(zf.read("translate-zh_en-0_0_1/metadata.json"))
    metadata["links"] = [base + package.name]
    (site / "index.json").write_text(json.dumps([metadata]), encoding="utf-8")
    monkeypatch.setattr(settings, "remote_package_index", base + "index.json")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"base": base, "size": package.stat().st_size}
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


# -- models install / list / remove --------------------------------------------------------


def test_install_from_file_list_and_remove(tiny: dict[str, Path], argos_home: Path, empty_project: Path) -> None:
    result = invoke(empty_project, "models", "install", "--file", str(tiny["seed0"]))
    assert result.exit_code == 0, result.output
    assert "Installed translate-zh_en 0.0.1 (zh→en, " in result.output
    assert (argos_home / "translate-zh_en-0_0_1" / "model" / "model.bin").is_file()

    listing = invoke(empty_project, "models", "list")
    assert listing.exit_code == 0
    assert re.search(r"translate-zh_en\s+0\.0\.1\s+zh→en\s+[\d.]+ MB\s+.*translate-zh_en-0_0_1", listing.output)
    data = json.loads(invoke(empty_project, "models", "list", "--format", "json").output)
    assert data["packages_dir"] == str(argos_home)
    [entry] = data["installed"]
    assert (entry["name"], entry["version"], entry["from"], entry["to"]) == ("translate-zh_en", "0.0.1", "zh", "en")
    assert entry["size"] > 0

    removed = invoke(empty_project, "models", "remove", "translate-zh_en")
    assert removed.exit_code == 0
    assert "Removed translate-zh_en 0.0.1" in removed.output
    assert not (argos_home / "translate-zh_en-0_0_1").exists()
    again = invoke(empty_project, "models", "remove", "translate-zh_en")
    assert again.exit_code == 2
    assert "no installed package `translate-zh_en`" in again.output


def test_install_file_rejects_what_is_not_a_package(tmp_path: Path, argos_home: Path, empty_project: Path) -> None:
    text = tmp_path / "notes.argosmodel"
    text.write_text("hello", encoding="utf-8")
    result = invoke(empty_project, "models", "install", "--file", str(text))
    assert result.exit_code == 2
    assert "is not an Argos package (.argosmodel files are zip archives)" in result.output

    bare = tmp_path / "bare.argosmodel"
    with zipfile.ZipFile(bare, "w") as zf:
        zf.writestr("pkg/model/model.bin", b"")
    result = invoke(empty_project, "models", "install", "--file", str(bare))
    assert result.exit_code == 2
    assert "pkg/metadata.json is missing" in result.output

    result = invoke(empty_project, "models", "install", "--file", str(tmp_path / "missing.argosmodel"))
    assert result.exit_code == 2
    assert "no such file" in result.output
    assert list(argos_home.iterdir()) == []


def test_install_replaces_another_version(tmp_path: Path, argos_home: Path, empty_project: Path) -> None:
    old = argos_package.build_package(tmp_path / "old", package_version="0.0.1")
    new = argos_package.build_package(tmp_path / "new", package_version="0.0.2")
    assert invoke(empty_project, "models", "install", "--file", str(old)).exit_code == 0
    result = invoke(empty_project, "models", "install", "--file", str(new))
    assert result.exit_code == 0
    assert "Removed translate-zh_en 0.0.1" in result.output
    assert [p.name for p in argos_home.iterdir()] == ["translate-zh_en-0_0_2"]


def assert_downloaded(result: Result, index_server: dict[str, Any], argos_home: Path) -> None:
    """The command said what it downloads and how big, then installed the package."""
    assert result.exit_code == 0, result.output
    size = packages.human_size(index_server["size"])
    assert (f"Downloading translate-zh_en 0.0.1 (zh→en, {size}) from "
            f"{index_server['base']}translate-zh_en-0_0_1.argosmodel") in result.output
    assert "Installed translate-zh_en 0.0.1" in result.output
    assert (argos_home / "translate-zh_en-0_0_1" / "sentencepiece.model").is_file()


def test_install_downloads_from_the_index(index_server: dict[str, Any], argos_home: Path, empty_project: Path) -> None:
    result = invoke(empty_project, "models", "install")
    assert_downloaded(result, index_server, argos_home)
    assert not any(Path(str(argos_home.parent / "downloads")).iterdir())  # the download is removed

    available = invoke(empty_project, "models", "list", "--available")
    assert available.exit_code == 0
    assert f"Available from {index_server['base']}index.json:" in available.output
    assert "Chinese → English" in available.output


def test_translate_downloads_a_missing_model_then_translates(index_server: dict[str, Any], argos_home: Path,
                                                             argos_project: Path) -> None:
    dry = invoke(argos_project, "translate", "--dry-run")  # a dry run downloads nothing
    assert dry.exit_code == 0 and not (argos_home / "translate-zh_en-0_0_1").exists()
    result = invoke(argos_project, "translate")
    assert_downloaded(result, index_server, argos_home)
    assert "5 documents: 5 translated." in result.output
    assert "engine argos translate-zh_en 0.0.1" in result.output


def test_engine_error_names_what_install_downloads(index_server: dict[str, Any], argos_home: Path,
                                                    argos_project: Path) -> None:
    from workflow.config import load_settings
    from workflow.engines import load_engine
    from workflow.errors import ModelNotInstalled

    with pytest.raises(ModelNotInstalled) as caught:
        load_engine(load_settings(argos_project))
    size = packages.human_size(index_server["size"])
    message = str(caught.value)
    assert "the Argos Translate package `translate-zh_en` is not installed in" in message
    assert f"Run `workflow models install translate-zh_en`: it downloads translate-zh_en 0.0.1 (zh→en, {size})" in message
    assert "`workflow models install --file PATH.argosmodel`" in message and caught.value.package == "translate-zh_en"


def test_offline_errors_give_the_file_command(argos_home: Path, argos_project: Path) -> None:
    for args in (("models", "install"), ("models", "install", "translate-zh_en"), ("models", "list", "--available")):
        result = invoke(argos_project, *args)
        assert result.exit_code == 2, args
        assert "cannot read the Argos package index http://127.0.0.1:9/index.json" in result.output
        assert "workflow models install --file PATH.argosmodel" in result.output
    result = invoke(argos_project, "translate")  # it needs the model, tries the index, says how to go on
    assert result.exit_code == 2
    assert "error: cannot read the Argos package index http://127.0.0.1:9/index.json" in result.output
    assert "workflow models install --file PATH.argosmodel" in result.output
    assert not (argos_project / "output_en").exists()


def test_unknown_package_name(index_server: dict[str, Any], empty_project: Path) -> None:
    result = invoke(empty_project, "models", "install", "translate-xx_yy")
    assert result.exit_code == 2
    assert "has no package `translate-xx_yy`" in result.output


# -- the engine ------------------------------------------------------------------------------


def install(zip_path: Path) -> None:
    packages.install_file(zip_path)


def engine(root: Path, **overrides: Any) -> ArgosEngine:
    flags = {"argos.max-decoding-length": MAX_LEN, "argos.beam-size": 1, **overrides}
    return ArgosEngine(load_settings(root, overrides=flags))


def test_single_line() -> None:
    assert single_line("第一行\n第二行") == "第一行第二行"
    assert single_line("第一行，\n  第二行") == "第一行，第二行"
    assert single_line("OpenStack\n峰会") == "OpenStack 峰会"
    assert single_line("峰会 \r\nOpenStack") == "峰会 OpenStack"
    assert single_line("<x1/>\n中文") == "<x1/> 中文"
    assert single_line("no breaks") == "no breaks"


def test_translate_batches_keeps_order_and_reports_progress(tiny: dict[str, Path], argos_home: Path,
                                                            empty_project: Path) -> None:
    install(tiny["seed0"])
    eng = engine(empty_project)
    texts = ["OpenStack峰会在东京举行。", "", "请参见<x1/>和<g2>部署指南</g2>。", "第一行\n第二行", "短"]
    done: list[int] = []
    out = eng.translate(texts, done.append)
    assert sum(done) == len(texts)
    assert len(out) == len(texts) and out[1] == ""
    assert all(isinstance(t, str) and t == t.strip() for t in out)
    assert all(t for i, t in enumerate(out) if i != 1)
    # One by one gives the same (float32, greedy: padding does not change results).
    assert [eng.translate([t])[0] for t in texts] == out
    # The soft line break is joined before tokenizing.
    assert eng.translate(["第一行第二行"]) == [out[3]]


def test_target_prefix_is_sent_and_stripped(tmp_path: Path, argos_home: Path, empty_project: Path) -> None:
    import ctranslate2

    install(argos_package.build_package(tmp_path, target_prefix="▁OpenStack"))
    eng = engine(empty_project)
    [text] = eng.translate(["峰会在东京举行。"])
    pkg = eng.pkg
    raw = ctranslate2.Translator(str(pkg.package_path / "model")).translate_batch(
        [pkg.tokenizer.encode("峰会在东京举行。")], target_prefix=[["▁OpenStack"]],
        max_decoding_length=MAX_LEN, beam_size=1)[0].hypotheses[0]
    assert raw[0] == "▁OpenStack"
    assert text == pkg.tokenizer.decode(raw[1:]).strip()


def test_constructing_is_cheap_and_info_names_the_model(tiny: dict[str, Path], argos_home: Path,
                                                        empty_project: Path) -> None:
    install(tiny["seed0"])
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from workflow.config import load_settings\n"
        "from workflow.engines import load_engine\n"
        f"info = load_engine(load_settings(Path({str(empty_project)!r}), overrides={{'engine': 'argos'}})).info\n"
        "print(info.name, info.model, info.version, info.model_hash)\n"
        "print('ctranslate2' in sys.modules, 'argostranslate.translate' in sys.modules)\n"
    )
    import os

    env = {**os.environ, "ARGOS_PACKAGES_DIR": str(argos_home)}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    first, second = out.splitlines()
    name, model, version, model_hash = first.split()
    assert (name, model, version) == ("argos", "translate-zh_en", "0.0.1")
    assert model_hash == packages.model_hash(argos_home / "translate-zh_en-0_0_1")
    assert second == "False False"


def test_model_hash_is_cached_and_follows_the_files(tiny: dict[str, Path], argos_home: Path, tmp_path: Path) -> None:
    install(tiny["seed0"])
    path = argos_home / "translate-zh_en-0_0_1"
    first = packages.model_hash(path)
    assert re.fullmatch(r"[0-9a-f]{16}", first)
    cache = tmp_path / "argos" / "cache" / "workflow" / "model-hashes.json"
    data = json.loads(cache.read_text())
    data[str(path.resolve())]["hash"] = "cached-value"
    cache.write_text(json.dumps(data))
    assert packages.model_hash(path) == "cached-value"  # same files: not hashed again
    install(tiny["seed1"])  # same name and version, other weights
    second = packages.model_hash(path)
    assert second not in (first, "cached-value")
    install(tiny["seed0"])
    assert packages.model_hash(path) == first


def test_bad_settings_are_config_errors(tiny: dict[str, Path], argos_home: Path, empty_project: Path) -> None:
    install(tiny["seed0"])
    with pytest.raises(ConfigError, match="`argos.device` must be one of auto, cpu, cuda"):
        engine(empty_project, **{"argos.device": "tpu"})
    with pytest.raises(ConfigError, match="`argos.batch-tokens` must be at least 1"):
        engine(empty_project, **{"argos.batch-tokens": 0})
    with pytest.raises(EngineUnavailable, match="`translate-en_zh` is not installed"):
        engine(empty_project, **{"argos.package": "translate-en_zh"})


def test_unloadable_model_says_what_to_do(tiny: dict[str, Path], argos_home: Path, empty_project: Path) -> None:
    install(tiny["seed0"])
    eng = engine(empty_project, **{"argos.compute-type": "no-such-type"})
    with pytest.raises(EngineUnavailable, match="cannot load the model of argos translate-zh_en 0.0.1 on cpu"):
        eng.translate(["峰会"])


# -- end to end: the five articles ---------------------------------------------------------


def _bodies(root: Path) -> Iterator[tuple[Path, str, str]]:
    for source in sorted((root / "source_zh").glob("*.md")):
        output = root / "output_en" / source.name
        assert output.is_file(), output
        yield source, parse(source.read_bytes(), str(source)).body, parse(output.read_bytes(), str(output)).body


def _memories(root: Path) -> list[Any]:
    return [load_memory(p, str(p)) for p in sorted((root / "output_en" / ".workflow").rglob("*.json"))]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted((root / "output_en").rglob("*")) if p.is_file()}


def _count_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original: Callable[..., list[str]] = ArgosEngine.translate

    def counting(self: ArgosEngine, texts: list[str], progress: Any = None) -> list[str]:
        calls.append(len(texts))
        return original(self, texts, progress)

    monkeypatch.setattr(ArgosEngine, "translate", counting)
    return calls


@pytest.mark.slow
def test_five_articles_end_to_end(tiny: dict[str, Path], argos_home: Path, argos_project: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    root = argos_project
    calls = _count_calls(monkeypatch)
    assert invoke(root, "models", "install", "--file", str(tiny["seed0"])).exit_code == 0
    first_hash = packages.model_hash(argos_home / "translate-zh_en-0_0_1")

    result = invoke(root, "translate")
    assert result.exit_code == 0, result.output
    assert "engine argos translate-zh_en 0.0.1:" in result.output
    assert len(calls) == 1  # one batched call for the whole run

    for source, zh, en in _bodies(root):
        assert skeleton.difference(zh, en) == "", source
        for target in re.findall(r"\]\(([^)\s]+)", zh):  # every link and image target survives
            assert target in en, (source, target)
        for code in re.findall(r"```.*?```", zh, re.S):
            assert code in en, source
        assert not LEAK.search(en), (source, LEAK.search(en))

    records = [r for m in _memories(root) for r in m.segments]
    machine = [r for r in records if r.engine]
    assert machine and all((r.engine, r.model, r.version, r.model_hash) == ("argos", "translate-zh_en", "0.0.1", first_hash)
                           for r in machine)
    assert all(m.engine == "argos translate-zh_en 0.0.1" for m in _memories(root))
    flagged = [r for r in machine if r.status == "needs-review"]
    assert flagged and all(r.reasons for r in flagged)
    reasons = " ".join(reason for r in flagged for reason in r.reasons)
    assert "dropped by the engine" in reasons or "broken by the engine" in reasons or "lost by the engine" in reasons

    # Nothing changed: no engine call, nothing rewritten.
    before = _snapshot(root)
    again = invoke(root, "translate")
    assert again.exit_code == 0
    assert len(calls) == 1
    assert _snapshot(root) == before

    # An editor reviews one segment; then the model changes (other weights, same name and version).
    memory_path = sorted((root / "output_en" / ".workflow").rglob("*.json"))[0]
    memory = load_memory(memory_path, "memory")
    index = next(i for i, r in enumerate(memory.segments) if r.engine)
    kept = dataclasses.replace(memory.segments[index], status="reviewed", reviewer="editor", reasons=())
    segments = list(memory.segments)
    segments[index] = kept
    memory_path.write_bytes(dataclasses.replace(memory, segments=tuple(segments)).to_bytes())

    assert invoke(root, "models", "install", "--file", str(tiny["seed1"])).exit_code == 0
    second_hash = packages.model_hash(argos_home / "translate-zh_en-0_0_1")
    assert second_hash != first_hash
    third = invoke(root, "translate")
    assert third.exit_code == 0, third.output
    assert len(calls) == 2
    records = [r for m in _memories(root) for r in m.segments]
    assert kept in records  # the reviewed segment: untouched, still from the first model
    others = [r for r in records if r.engine and r != kept]
    assert others and all(r.model_hash == second_hash for r in others)
    for _, zh, en in _bodies(root):
        assert skeleton.difference(zh, en) == ""
        assert not LEAK.search(en)


def test_help_imports_no_translation_library() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from workflow.cli import cli\n"
        "for args in (['--help'], ['models', '--help'], ['models', 'install', '--help'], ['translate', '--help']):\n"
        "    assert CliRunner().invoke(cli, args).exit_code == 0, args\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ctranslate2', 'argostranslate')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- issue 16: a bad archive never damages an installed package ---------------------------------


def corrupted(package_zip: Path, out: Path) -> Path:
    """The package with bytes of model/model.bin flipped: the zip opens, extracting it fails its CRC."""
    data = bytearray(package_zip.read_bytes())
    with zipfile.ZipFile(package_zip) as zf:
        info = next(i for i in zf.infolist() if i.filename.endswith("model/model.bin"))
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(start + 64, start + 64 + 256):
        data[offset] ^= 0xFF
    out.write_bytes(bytes(data))
    return out


def test_a_corrupt_archive_leaves_the_installed_model_intact(tmp_path: Path, tiny: dict[str, Path], argos_home: Path,
                                                             empty_project: Path) -> None:
    assert invoke(empty_project, "models", "install", "--file", str(tiny["seed0"])).exit_code == 0
    [folder] = list(argos_home.iterdir())
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    bad = corrupted(tiny["seed1"], tmp_path / "bad.argosmodel")
    result = invoke(empty_project, "models", "install", "--file", str(bad))
    assert result.exit_code == 2 and "nothing installed" in result.output
    assert "Traceback" not in result.output
    assert {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    assert [p.name for p in argos_home.iterdir()] == [folder.name]  # no staging folder left


@pytest.mark.parametrize("top", ["", ".", ".."])
def test_a_package_whose_folder_is_not_a_folder_is_refused(tmp_path: Path, argos_home: Path, empty_project: Path,
                                                           top: str) -> None:
    metadata = json.dumps({"from_code": "zh", "to_code": "en", "package_version": "1.0"})
    bad = tmp_path / "bad.argosmodel"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr(f"{top}/metadata.json", metadata)
        zf.writestr(f"{top}/model/model.bin", b"x")
    result = invoke(empty_project, "models", "install", "--file", str(bad))
    assert result.exit_code == 2 and "outside its folder" in result.output, result.output
    assert list(argos_home.iterdir()) == []
    assert not (argos_home.parent / "metadata.json").exists()


def test_an_installed_package_with_wrong_metadata_types_is_not_a_package(argos_home: Path, empty_project: Path) -> None:
    folder = argos_home / "broken"
    (folder / "model").mkdir(parents=True)
    (folder / "model" / "model.bin").write_bytes(b"x")
    (folder / "metadata.json").write_text('{"from_code": ["zh"], "to_code": 1, "package_version": 2}', encoding="utf-8")
    result = invoke(empty_project, "models", "list")
    assert result.exit_code == 0 and "Traceback" not in result.output
