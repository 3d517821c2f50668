"""Tests of tests/argos_package.py: a real, deterministic, offline Argos package."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import ctranslate2
import pytest
import sentencepiece as spm

try:
    import argos_package
except ModuleNotFoundError:  # e.g. tests/ became a package or --import-mode=importlib
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import argos_package

SENTENCES = [
    "OpenStack峰会在东京举行。",
    "请参见<x1/>和<g2>部署指南</g2>。",
    "龘靐齉 are not in the training corpus: 7M+ lines, v2.1!",
]
MAX_LEN = 16


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _extract(zip_path: Path, dest: Path) -> Path:
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(dest)
    return dest / zip_path.name.removesuffix(".argosmodel")


@pytest.fixture(scope="module")
def package_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default tiny package, built once for this module."""
    return argos_package.build_package(tmp_path_factory.mktemp("argos-build"))


@pytest.fixture(scope="module")
def package_dir(package_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _extract(package_zip, tmp_path_factory.mktemp("argos-extracted"))


@pytest.fixture
def argos_packages_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point an (possibly already imported) argostranslate at a temp packages dir.

    The env vars only matter if argostranslate.settings is imported for the
    first time here (they keep it from creating dirs under $HOME); the two
    attribute patches are what install_from_path/get_installed_packages read.
    """
    packages = tmp_path / "packages"
    packages.mkdir()
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(packages))
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    from argostranslate import settings

    monkeypatch.setattr(settings, "package_data_dir", packages)
    monkeypatch.setattr(settings, "package_dirs", [packages])
    return packages


def test_same_seed_gives_byte_identical_files(
    package_zip: Path, tmp_path: Path
) -> None:
    again = argos_package.build_package(tmp_path)
    assert again.name == package_zip.name == "translate-zh_en-0_0_1.argosmodel"
    assert again.read_bytes() == package_zip.read_bytes()
    first = _extract(package_zip, tmp_path / "a")
    second = _extract(again, tmp_path / "b")
    for rel in (
        "model/model.bin",
        "sentencepiece.model",
        "model/shared_vocabulary.json",
    ):
        assert _sha256(first / rel) == _sha256(second / rel), rel


def test_other_seed_changes_weights_not_tokenizer(
    package_dir: Path, tmp_path: Path
) -> None:
    other = argos_package.write_package_dir(tmp_path, seed=1)
    assert _sha256(other / "model/model.bin") != _sha256(
        package_dir / "model/model.bin"
    )
    assert _sha256(other / "sentencepiece.model") == _sha256(
        package_dir / "sentencepiece.model"
    )


def test_zip_layout_and_metadata(package_zip: Path) -> None:
    with zipfile.ZipFile(package_zip) as zf:
        names = zf.namelist()
        assert names == sorted(names)
        assert {n.split("/", 1)[0] for n in names} == {"translate-zh_en-0_0_1"}
        top = "translate-zh_en-0_0_1/"
        for rel in (
            "metadata.json",
            "sentencepiece.model",
            "README.md",
            "model/",
            "model/model.bin",
            "model/config.json",
            "model/shared_vocabulary.json",
        ):
            assert top + rel in names, rel
        assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in zf.infolist())
        metadata = json.loads(zf.read(top + "metadata.json"))
    assert metadata == {
        "package_version": "0.0.1",
        "argos_version": "1.0",
        "from_code": "zh",
        "from_name": "Chinese",
        "to_code": "en",
        "to_name": "English",
        "type": "translate",
        "links": [],
        "target_prefix": "",
    }


def test_special_token_layout(package_dir: Path) -> None:
    vocab = json.loads(
        (package_dir / "model/shared_vocabulary.json").read_text("utf-8")
    )
    sp = spm.SentencePieceProcessor(model_file=str(package_dir / "sentencepiece.model"))
    assert vocab == [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    assert vocab[:4] == ["<unk>", "<s>", "</s>", "<0x00>"]
    assert vocab[258] == "<0xFF>"
    assert len(vocab) == len(set(vocab))
    config = json.loads((package_dir / "model/config.json").read_text("utf-8"))
    assert (config["unk_token"], config["bos_token"], config["eos_token"]) == (
        "<unk>",
        "<s>",
        "</s>",
    )


def test_install_and_tokenize(package_zip: Path, argos_packages_dir: Path) -> None:
    from argostranslate import package

    package.install_from_path(package_zip)
    installed = package.get_installed_packages()
    assert len(installed) == 1
    pkg = installed[0]
    assert (pkg.from_code, pkg.to_code, pkg.target_prefix) == ("zh", "en", "")
    assert pkg.package_path == argos_packages_dir / "translate-zh_en-0_0_1"

    # Membership is checked against the vocabulary CTranslate2 actually loads.
    vocab = json.loads(
        (pkg.package_path / "model/shared_vocabulary.json").read_text("utf-8")
    )
    vocab_set = set(vocab)
    for sentence in SENTENCES:
        pieces = pkg.tokenizer.encode(sentence)
        assert pieces, sentence
        assert "<unk>" not in pieces, (sentence, pieces)
        assert set(pieces) <= vocab_set, (sentence, set(pieces) - vocab_set)
    assert pkg.tokenizer.encode("OpenStack峰会在东京举行。")[0] == "\u2581OpenStack"
    # Characters outside the training corpus fall back to bytes, not <unk>.
    assert "<0xE9>" in pkg.tokenizer.encode("龘")


def test_translate_batch_matches_one_by_one(package_dir: Path) -> None:
    from argostranslate.package import Package

    pkg = Package(package_dir)
    batch = [pkg.tokenizer.encode(s) for s in SENTENCES]
    translator = ctranslate2.Translator(str(pkg.package_path / "model"), device="cpu")
    results = translator.translate_batch(
        batch, max_decoding_length=MAX_LEN, beam_size=1
    )
    assert len(results) == 3
    for result in results:
        hyp = result.hypotheses[0]
        assert 0 < len(hyp) <= MAX_LEN
        assert all(isinstance(tok, str) for tok in hyp)
        # The projection bias keeps <unk>, <s> and byte pieces out of outputs.
        assert not any(tok in ("<unk>", "<s>") or tok.startswith("<0x") for tok in hyp)
        text = pkg.tokenizer.decode(hyp)
        assert isinstance(text, str) and text.strip()
        assert "\ufffd" not in text and "\u2047" not in text
    singles = [
        translator.translate_batch([tokens], max_decoding_length=MAX_LEN, beam_size=1)[
            0
        ]
        for tokens in batch
    ]
    # float32 on CPU: padding in a batch does not change greedy results.
    assert [r.hypotheses[0] for r in results] == [r.hypotheses[0] for r in singles]


def test_padded_vocabulary_and_int8(package_dir: Path, tmp_path: Path) -> None:
    base = json.loads((package_dir / "model/shared_vocabulary.json").read_text("utf-8"))
    pkg_dir = argos_package.write_package_dir(
        tmp_path, vocab_size=len(base) + 100, quantization="int8"
    )
    vocab = json.loads((pkg_dir / "model/shared_vocabulary.json").read_text("utf-8"))
    assert len(vocab) == len(base) + 100
    assert vocab[: len(base)] == base
    assert vocab[len(base)] == "\u2581w00000"
    sp = spm.SentencePieceProcessor(model_file=str(pkg_dir / "sentencepiece.model"))
    assert sp.get_piece_size() == len(vocab)
    # Fillers never win a segmentation, so encoding is unchanged.
    base_sp = spm.SentencePieceProcessor(
        model_file=str(package_dir / "sentencepiece.model")
    )
    for sentence in SENTENCES:
        assert sp.encode(sentence, out_type=str) == base_sp.encode(
            sentence, out_type=str
        )
    translator = ctranslate2.Translator(str(pkg_dir / "model"), device="cpu")
    result = translator.translate_batch(
        [sp.encode(SENTENCES[0], out_type=str)], max_decoding_length=8, beam_size=2
    )
    assert isinstance(sp.decode_pieces(result[0].hypotheses[0]), str)
    with pytest.raises(ValueError, match="vocab_size"):
        argos_package.write_package_dir(tmp_path / "small", vocab_size=10)


def test_fresh_process_with_env_isolation(package_zip: Path, tmp_path: Path) -> None:
    """ARGOS_PACKAGES_DIR/XDG_* set before argostranslate is first imported."""
    home = tmp_path / "home"
    home.mkdir()
    packages = tmp_path / "packages"
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        ARGOS_PACKAGES_DIR=str(packages),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
    )
    script = textwrap.dedent(
        """
        import json, sys
        import ctranslate2
        from argostranslate import package
        package.install_from_path(sys.argv[1])
        (pkg,) = package.get_installed_packages()
        tokens = pkg.tokenizer.encode(sys.argv[2])
        translator = ctranslate2.Translator(str(pkg.package_path / "model"), device="cpu")
        (res,) = translator.translate_batch([tokens], max_decoding_length=16, beam_size=1)
        print(json.dumps({"path": str(pkg.package_path), "from": pkg.from_code,
                          "to": pkg.to_code, "hyp": res.hypotheses[0]}))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(package_zip), SENTENCES[0]],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["path"] == str(packages / "translate-zh_en-0_0_1")
    assert (out["from"], out["to"]) == ("zh", "en")
    assert list(home.iterdir()) == []  # nothing written under $HOME
    # Same weights, same input → same greedy output in another process.
    installed = packages / "translate-zh_en-0_0_1"
    sp = spm.SentencePieceProcessor(model_file=str(installed / "sentencepiece.model"))
    translator = ctranslate2.Translator(str(installed / "model"), device="cpu")
    (res,) = translator.translate_batch(
        [sp.encode(SENTENCES[0], out_type=str)], max_decoding_length=16, beam_size=1
    )
    assert out["hyp"] == res.hypotheses[0]
