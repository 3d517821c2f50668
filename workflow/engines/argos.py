"""`argos`: an installed Argos Translate package, run with CTranslate2. The default engine.

Construction is cheap (the planner reads `info` on every run): it finds the package
through `argostranslate.package` (``ARGOS_PACKAGES_DIR`` honoured) and takes its
model hash from a stat-keyed cache. The CTranslate2 translator is loaded on the
first `translate` call, once per run. `argostranslate.translate` is never used: its
sentence splitter downloads a model at run time, and the pipeline splits sentences.

Every sentence of the run goes through one batched pass: texts are tokenized with
the package's tokenizer, sorted by length and fed to `translate_iterable` in
batches of at most ``batch-tokens`` tokens, so similar lengths share a batch and
progress is reported as batches finish.

Placeholders (`<x1/>`, `<g2>…</g2>`, glossary `<x1001/>`) stay in the text as they
are: NMT models trained on web text copy such ASCII markup through most of the
time, `protect.canonical` undoes the usual damage (spaces, case, full-width
brackets), and `protect.repair` re-inserts what is lost and flags the segment.
Splitting sentences at placeholders instead would cost the model its context.
Soft line breaks inside a sentence are joined before tokenizing (models are
trained on single lines): nothing between two CJK characters, one space otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from workflow.config import ArgosSettings, Settings
from workflow.engines import Progress
from workflow.engines import argos_packages as packages
from workflow.errors import ConfigError, EngineFailed, EngineUnavailable, ModelNotInstalled
from workflow.store.memory import EngineInfo
from workflow.text.chars import CJK_RANGES

DEVICES = ("auto", "cpu", "cuda")
CJK = CJK_RANGES
CJK_BREAK = re.compile(rf"(?<=[{CJK}])[ \t]*\r?\n[ \t\u3000]*(?=[{CJK}])")
OTHER_BREAK = re.compile(r"[ \t]*(?:\r\n|\r|\n)[ \t\u3000]*")


def single_line(text: str) -> str:
    """Join soft line breaks: nothing between two CJK characters, otherwise one space."""
    return OTHER_BREAK.sub(" ", CJK_BREAK.sub("", text)).strip()


@dataclass(frozen=True)
class Options:
    """What `translate_iterable` gets, from [tool.workflow.argos]."""

    beam_size: int
    max_decoding_length: int
    batch_tokens: int

    def kwargs(self) -> dict[str, Any]:
        return {
            "max_batch_size": self.batch_tokens, "batch_type": "tokens", "beam_size": self.beam_size,
            "max_decoding_length": self.max_decoding_length, "replace_unknowns": True,
            "length_penalty": 0.2,  # what Argos Translate itself uses with these models
        }


class ArgosEngine:
    identity = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings.argos
        _validate(self.settings, str(settings.config_file or "command line"))
        name = self.settings.package
        pkg = packages.find_installed(name)
        if pkg is None:
            raise ModelNotInstalled(
                f"the Argos Translate package `{name}` is not installed in {packages.packages_dir()}. "
                + packages.download_hint(name), package=name)
        if getattr(pkg, "tokenizer", None) is None:
            raise EngineUnavailable(
                f"the Argos package `{name}` in {pkg.package_path} has no tokenizer model (sentencepiece.model or "
                f"bpe.model). Reinstall it: `workflow models remove {name}` then `workflow models install {name}`.")
        pair = (pkg.from_code, pkg.to_code)
        if pair != (settings.source_lang, settings.target_lang):
            raise EngineUnavailable(
                f"the Argos package `{name}` translates {pair[0]}→{pair[1]}, not "
                f"{settings.source_lang}→{settings.target_lang}. Set `package` in [tool.workflow.argos] "
                f"to a {settings.source_lang}→{settings.target_lang} package (see `workflow models list`).")
        self.pkg = pkg
        self.options = Options(self.settings.beam_size, self.settings.max_decoding_length, self.settings.batch_tokens)
        self.info = EngineInfo("argos", model=name, version=str(pkg.package_version),
                               model_hash=packages.model_hash(pkg.package_path))
        self._translator: Any = None
        self.device = ""

    def translator(self) -> Any:
        """The CTranslate2 translator, loaded once, on first use."""
        if self._translator is None:
            self._translator = self._load()
        return self._translator

    def _load(self) -> Any:
        import ctranslate2

        s = self.settings
        device = s.device
        if device == "auto":
            device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        try:
            translator = ctranslate2.Translator(
                str(self.pkg.package_path / "model"), device=device, inter_threads=s.inter_threads,
                intra_threads=s.intra_threads, compute_type=s.compute_type)
        except (RuntimeError, ValueError, OSError) as exc:
            raise EngineUnavailable(
                f"cannot load the model of {self.info.label} on {device} ({exc}). Check `device` and "
                "`compute-type` in [tool.workflow.argos], or reinstall the package: "
                f"`workflow models remove {s.package}` then `workflow models install {s.package}`.") from None
        self.device = device
        return translator

    def tokenize(self, text: str) -> list[str]:
        tokens: list[str] = self.pkg.tokenizer.encode(single_line(text))
        return tokens

    def detokenize(self, tokens: list[str]) -> str:
        prefix = self.pkg.target_prefix
        if prefix and tokens and tokens[0] == prefix:
            tokens = tokens[1:]
        text: str = self.pkg.tokenizer.decode(tokens)
        if prefix and text.startswith(prefix):
            text = text[len(prefix):]
        return text.strip()

    def translate(self, texts: list[str], progress: Progress | None = None) -> list[str]:
        out = [""] * len(texts)
        todo = [i for i, text in enumerate(texts) if text.strip()]
        if len(todo) < len(texts) and progress:
            progress(len(texts) - len(todo))
        if not todo:
            return out
        tokens = {i: self.tokenize(texts[i]) for i in todo}
        order = sorted(todo, key=lambda i: len(tokens[i]))
        source = [tokens[i] for i in order]
        prefix = [[self.pkg.target_prefix] for _ in order] if self.pkg.target_prefix else None
        translator = self.translator()
        try:
            results = translator.translate_iterable(source, target_prefix=prefix, **self.options.kwargs())
            for i, result in zip(order, results, strict=True):
                out[i] = self.detokenize(result.hypotheses[0])
                if progress:
                    progress(1)
        except (RuntimeError, ValueError) as exc:
            raise EngineFailed(
                f"{self.info.label} failed on {self.device} ({exc}). If memory ran out, lower `batch-tokens` "
                "(or `beam-size`) in [tool.workflow.argos]; on a GPU, try `device = \"cpu\"`.") from None
        return out


def _validate(s: ArgosSettings, origin: str) -> None:
    if s.device not in DEVICES:
        raise ConfigError(f"`argos.device` must be one of {', '.join(DEVICES)}, not {s.device!r}.", path=origin)
    for key, value, low in (("beam-size", s.beam_size, 1), ("max-decoding-length", s.max_decoding_length, 1),
                            ("batch-tokens", s.batch_tokens, 1), ("inter-threads", s.inter_threads, 1),
                            ("intra-threads", s.intra_threads, 0)):
        if value < low:
            raise ConfigError(f"`argos.{key}` must be at least {low}, not {value}.", path=origin)
