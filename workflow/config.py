"""`[tool.workflow]` in pyproject.toml: one validated table, defaults < file < flags.

The schema below is the single source of truth: it gives every key its type and
default, validates a file (unknown key -> "did you mean ..."), and builds the
frozen `Settings` the library works with. Command-line flags arrive as the same
dotted keys (``argos.beam-size``) and go through the same validation.
"""

from __future__ import annotations

import functools
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from workflow.errors import ConfigError

PYPROJECT = "pyproject.toml"
TABLE = ("tool", "workflow")

# key -> (type, default). Nested tables are dicts of the same shape.
Schema = Mapping[str, Any]

FRONT_MATTER_SCHEMA: Schema = {
    "translate": (list, ["title", "description", "summary", "excerpt", "subtitle", "abstract"]),
    "glossary": (list, ["tags", "categories", "keywords"]),
    "set": (dict, {"lang": "en"}),
    "provenance-key": (str, "translation"),
    "derive-title": (bool, True),
}
ARGOS_SCHEMA: Schema = {
    "package": (str, "translate-zh_en"),
    "device": (str, "auto"),
    "inter-threads": (int, 1),
    "intra-threads": (int, 0),
    "beam-size": (int, 2),
    "max-decoding-length": (int, 256),
    "batch-tokens": (int, 2048),
    "compute-type": (str, "default"),
}
LIBRETRANSLATE_SCHEMA: Schema = {
    "url": (list, ["http://127.0.0.1:5000"]),  # one server or several ("http://a:5000,http://b:5000" on a flag)
    "api-key": (str, ""),
    "timeout": (float, 60.0),
    "retries": (int, 2),
    "batch-size": (int, 32),
    "max-in-flight": (int, 0),  # requests at once over all servers; 0: one per server
}
# An OpenAI-compatible chat-completions endpoint (vLLM, Ollama, llama.cpp, a hosted API).
# The API key is never read from a file: `api-key` comes from --llm-api-key (or
# WORKFLOW_LLM_API_KEY), `api-key-env` names the environment variable that holds it.
LLM_SCHEMA: Schema = {
    "url": (list, ["http://127.0.0.1:11434/v1"]),  # base URLs, each ending where /chat/completions follows
    "model": (str, ""),
    "api-key": (str, ""),
    "api-key-env": (str, ""),
    "temperature": (float, 0.0),
    "max-tokens": (int, 2048),
    "timeout": (float, 120.0),
    "retries": (int, 2),
    "batch-size": (int, 8),
    "max-in-flight": (int, 0),
    "examples": (int, 3),  # reviewed translations sent with each batch as the house style
    "response-format": (str, "json_object"),  # json_object | json_schema | none (what the server supports)
    "instructions": (str, ""),  # the team's own rules, appended to the prompt (part of its version)
}
SECRETS = ("llm.api-key",)  # never accepted from a file: a pyproject.toml is committed
EXACT_MATCH_SCHEMA: Schema = {  # the status of English reused from an exact match (docs/memory.md)
    "same-document": (str, "reviewed"),
    "other-document": (str, "needs-review"),
}
SCHEMA: Schema = {
    "source": (str, "source_zh"),
    "output": (str, "output_en"),
    "glossary": (str, "glossary"),
    "engine": (str, "argos"),
    "source-lang": (str, "zh"),
    "target-lang": (str, "en"),
    "copy-untranslatable": (bool, True),
    "code-comments": (bool, True),  # Chinese comments in code blocks are translated (docs/review.md)
    "code-strings": (bool, False),  # ... and string literals
    "reviewer": (str, ""),
    "bilingual": (str, "bilingual"),  # folder inside the output folder for `workflow publish`
    "front-matter": FRONT_MATTER_SCHEMA,
    "argos": ARGOS_SCHEMA,
    "libretranslate": LIBRETRANSLATE_SCHEMA,
    "llm": LLM_SCHEMA,
    "fuzzy-threshold": (int, 75),  # percent: translation-memory suggestions at least this similar
    "exact-match-status": EXACT_MATCH_SCHEMA,
}
MATCH_STATUSES = ("reviewed", "needs-review")

# The engine registry, the one list of engine names: name -> "module:class" of its
# implementation in workflow/engines/. A new engine is a module there, an entry here (and
# its settings table above, if it has settings). Config validation, the CLI's --engine
# choices and `engines.load_engine` all read it. Kept here, not in engines/, because the
# engines import the settings and the settings validate the name.
ENGINES = {
    "argos": "workflow.engines.argos:ArgosEngine",
    "libretranslate": "workflow.engines.libretranslate:LibreTranslateEngine",
    "copy": "workflow.engines.copy:CopyEngine",
    "pseudo": "workflow.engines.pseudo:PseudoEngine",
    "llm": "workflow.engines.llm:LLMEngine",
}
MEMORY_DIR = ".workflow"


@dataclass(frozen=True)
class FrontMatterPolicy:
    """What happens to each front-matter key: translate, map through the glossary, set, keep."""

    translate: tuple[str, ...]
    glossary: tuple[str, ...]
    set: tuple[tuple[str, str], ...]
    provenance_key: str
    derive_title: bool

    def action(self, key: str) -> str:
        if key in self.translate:
            return "translate"
        if key in self.glossary:
            return "glossary"
        if key == self.provenance_key:
            return "derive"
        if key in dict(self.set):
            return "set"
        return "keep"


@dataclass(frozen=True, kw_only=True)
class ArgosSettings:
    package: str
    device: str
    inter_threads: int
    intra_threads: int
    beam_size: int
    max_decoding_length: int
    batch_tokens: int
    compute_type: str


@dataclass(frozen=True, kw_only=True)
class LibreTranslateSettings:
    url: list[str]
    api_key: str = field(repr=False)
    timeout: float
    retries: int
    batch_size: int
    max_in_flight: int


@dataclass(frozen=True, kw_only=True)
class LLMSettings:
    url: list[str]
    model: str
    api_key: str = field(repr=False)  # from the flag or WORKFLOW_LLM_API_KEY; see `key`
    api_key_env: str
    temperature: float
    max_tokens: int
    timeout: float
    retries: int
    batch_size: int
    max_in_flight: int
    examples: int
    response_format: str
    instructions: str

    def key(self, environ: Mapping[str, str]) -> str:
        """The API key: the flag (or WORKFLOW_LLM_API_KEY), else the variable `api-key-env` names."""
        return self.api_key or (environ.get(self.api_key_env, "") if self.api_key_env else "")


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything a command needs to know, resolved and validated."""

    root: Path
    source: Path
    output: Path
    glossary: Path
    engine: str
    source_lang: str
    target_lang: str
    copy_untranslatable: bool
    reviewer: str
    front_matter: FrontMatterPolicy
    argos: ArgosSettings
    libretranslate: LibreTranslateSettings
    llm: LLMSettings
    config_file: Path | None = field(default=None, compare=False)
    bilingual: str = "bilingual"
    fuzzy_threshold: int = 75
    exact_same_document: str = "reviewed"
    exact_other_document: str = "needs-review"
    code_comments: bool = True
    code_strings: bool = False

    @property
    def memory_root(self) -> Path:
        return self.output / MEMORY_DIR

    def resolve(self, path: Path) -> Path:
        """A path the user gave: relative ones are relative to the project root (`-C`)."""
        return path if path.is_absolute() else self.root / path

    def rel(self, path: Path) -> str:
        """A path as the user should see it: relative to the project root when inside it."""
        if path.is_absolute() and os.sep == "/":  # each folder resolved once: a run shows thousands of paths
            root, full = real_folder(os.fspath(self.root)), real(path)
            if full == root:
                return "."
            if full.startswith(root.rstrip("/") + "/"):
                return full[len(root.rstrip("/")) + 1:]
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)
        except (RuntimeError, OSError):  # a symbolic link loop: shown as given
            return os.path.relpath(path, self.root) if path.is_absolute() else str(path)


def defaults(schema: Schema = SCHEMA) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, spec in schema.items():
        out[key] = defaults(spec) if isinstance(spec, Mapping) else _copy(spec[1])
    return out


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


def merge(base: dict[str, Any], table: Mapping[str, Any], origin: str, schema: Schema = SCHEMA, prefix: str = "") -> None:
    """Validate `table` against `schema` and merge it into `base` in place."""
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if key not in schema:
            raise ConfigError(_unknown(dotted, key, schema), path=origin)
        spec = schema[key]
        if isinstance(spec, Mapping):
            if not isinstance(value, Mapping):
                raise ConfigError(f"`{dotted}` must be a table.", path=origin)
            merge(base[key], value, origin, spec, dotted + ".")
            continue
        base[key] = _coerce(dotted, value, spec[0], origin)


def _unknown(dotted: str, key: str, schema: Schema) -> str:
    import difflib  # only for a misspelt key

    close = difflib.get_close_matches(key, list(schema), n=1)
    hint = f" Did you mean `{close[0]}`?" if close else f" Known keys: {', '.join(sorted(schema))}."
    return f"unknown key `{dotted}` in [tool.workflow].{hint}"


def _coerce(dotted: str, value: Any, kind: type, origin: str) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is list:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return list(value)
    elif kind is dict:
        if isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()):
            return dict(value)
    elif isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    raise ConfigError(
        f"`{dotted}` must be {_kind_name(kind)}, not {value!r}. Fix it in [tool.workflow] or on the command line.",
        path=origin,
    )


def _kind_name(kind: type) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false",
            list: "a list of strings", dict: "a table of strings"}[kind]


def read_table(config_file: Path) -> dict[str, Any]:
    """The `[tool.workflow]` table of a pyproject.toml file ({} when absent)."""
    try:
        data = tomllib.loads(config_file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML ({exc}). Fix the file.", path=str(config_file)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the configuration ({exc}).", path=str(config_file)) from None
    table: Any = data
    for part in TABLE:
        table = table.get(part, {}) if isinstance(table, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError("[tool.workflow] must be a table.", path=str(config_file))
    return table


def load_settings(
    root: Path | None = None,
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Defaults, then `[tool.workflow]` of ``root/pyproject.toml`` (or `config_file`), then flags.

    `overrides` uses dotted keys (``engine``, ``argos.beam-size``); None values are ignored.
    """
    root = (root or Path.cwd()).resolve()
    values = defaults()
    if config_file is None and (root / PYPROJECT).is_file():
        config_file = root / PYPROJECT
    if config_file is not None:
        table = read_table(config_file)
        _no_secrets(table, str(config_file))
        merge(values, table, str(config_file))
    merge(values, _nest(overrides or {}), "command line")
    return _build(root, values, config_file)


def _no_secrets(table: Mapping[str, Any], origin: str) -> None:
    for dotted in SECRETS:
        section, _, key = dotted.partition(".")
        part = table.get(section)
        if isinstance(part, Mapping) and key in part:
            raise ConfigError(
                f"`{dotted}` does not belong in a file that is committed. Name the environment variable that "
                f"holds the key with `api-key-env` in [tool.workflow.{section}], or pass --{section}-api-key.",
                path=origin)


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for dotted, value in flat.items():
        if value is None:
            continue
        *parents, leaf = dotted.split(".")
        table = nested
        for part in parents:
            table = table.setdefault(part, {})
        table[leaf] = value
    return nested


def _check_folders(root: Path, source: str, output: str, origin: str) -> None:
    """The English must never be written over, or inside, the Chinese (and the other way round)."""
    src, out = (root / source).resolve(), (root / output).resolve()
    if src == out:
        problem = "are the same folder: the English would overwrite the Chinese"
    elif out.is_relative_to(src):
        problem = "nest: the output folder is inside the source folder, so each run would translate its own output"
    elif src.is_relative_to(out):
        problem = "nest: the source folder is inside the output folder"
    else:
        return
    raise ConfigError(f"`source` ({source}) and `output` ({output}) {problem}. Give two separate folders.", path=origin)


def _build(root: Path, v: dict[str, Any], config_file: Path | None) -> Settings:
    if v["engine"] not in ENGINES:
        raise ConfigError(
            f"unknown engine `{v['engine']}`; choose one of {', '.join(ENGINES)}.",
            path=str(config_file) if config_file else "command line",
        )
    _check_folders(root, v["source"], v["output"], str(config_file) if config_file else "command line")
    origin = str(config_file) if config_file else "command line"
    if not 0 < v["fuzzy-threshold"] <= 100:
        raise ConfigError(f"`fuzzy-threshold` must be a percentage from 1 to 100, not {v['fuzzy-threshold']}.", path=origin)
    for key, status in v["exact-match-status"].items():
        if status not in MATCH_STATUSES:
            raise ConfigError(f"`exact-match-status.{key}` must be one of {', '.join(MATCH_STATUSES)}, not {status!r}.",
                              path=origin)
    fm = v["front-matter"]
    return Settings(
        root=root,
        source=root / v["source"],
        output=root / v["output"],
        glossary=root / v["glossary"],
        engine=v["engine"],
        source_lang=v["source-lang"],
        target_lang=v["target-lang"],
        copy_untranslatable=v["copy-untranslatable"],
        code_comments=v["code-comments"],
        code_strings=v["code-strings"],
        reviewer=v["reviewer"],
        front_matter=FrontMatterPolicy(
            translate=tuple(fm["translate"]),
            glossary=tuple(fm["glossary"]),
            set=tuple(sorted(fm["set"].items())),
            provenance_key=fm["provenance-key"],
            derive_title=fm["derive-title"],
        ),
        argos=ArgosSettings(**{k.replace("-", "_"): val for k, val in v["argos"].items()}),
        libretranslate=LibreTranslateSettings(
            **{k.replace("-", "_"): val for k, val in v["libretranslate"].items()}
        ),
        llm=LLMSettings(**{k.replace("-", "_"): val for k, val in v["llm"].items()}),
        config_file=config_file,
        bilingual=v["bilingual"],
        fuzzy_threshold=v["fuzzy-threshold"],
        exact_same_document=v["exact-match-status"]["same-document"],
        exact_other_document=v["exact-match-status"]["other-document"],
    )


@functools.lru_cache(maxsize=4096)
def real_folder(folder: str) -> str:
    """`os.path.realpath` of a folder, computed once per process (thousands of files share a few folders)."""
    return os.path.realpath(folder)


def real(path: Path) -> str:
    """`str(path.resolve())`, each folder resolved once; a symbolic link named itself is always followed anew."""
    folder, name = os.path.split(os.fspath(path))
    if name in ("", ".", "..") or os.path.islink(path):
        return os.path.realpath(path)
    return os.path.join(real_folder(folder), name)
