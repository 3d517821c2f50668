"""Engine flags for commands that translate; each becomes a dotted config override.

The options are not passed to the command function: their values are stored on
the click context, so adding them to a command is one decorator line, and
`engine_overrides(ctx)` hands them to `settings()` (flag > environment > file > default).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
META_KEY = "workflow.engine_overrides"

# (flag, dotted config keys, click type, environment variable, help)
OPTIONS: tuple[tuple[str, str, Any, str | None, str], ...] = (
    ("--libretranslate-url", "libretranslate.url", str, "WORKFLOW_LIBRETRANSLATE_URL",
     "LibreTranslate server URL, or several separated by commas (default: [tool.workflow.libretranslate] url, "
     "else http://127.0.0.1:5000)."),
    ("--api-key", "libretranslate.api-key", str, "WORKFLOW_LIBRETRANSLATE_API_KEY",
     "LibreTranslate API key (default: [tool.workflow.libretranslate] api-key)."),
    ("--llm-url", "llm.url", str, "WORKFLOW_LLM_URL",
     "Base URL of an OpenAI-compatible API (ending in /v1), or several separated by commas "
     "(default: [tool.workflow.llm] url, else Ollama's http://127.0.0.1:11434/v1)."),
    ("--llm-model", "llm.model", str, "WORKFLOW_LLM_MODEL", "Model name the llm engine asks for "
     "(default: [tool.workflow.llm] model)."),
    ("--llm-api-key", "llm.api-key", str, "WORKFLOW_LLM_API_KEY", "API key of the llm engine; never written "
     "anywhere (default: the environment variable [tool.workflow.llm] api-key-env names)."),
    ("--max-in-flight", "libretranslate.max-in-flight,llm.max-in-flight", click.IntRange(min=0), None,
     "Requests the libretranslate or llm engine keeps in flight over all its servers (default: the table's "
     "max-in-flight, else 0: one per server)."),
    ("--device", "argos.device", click.Choice(["auto", "cpu", "cuda"]), None,
     "Where the argos engine runs (default: [tool.workflow.argos] device, else auto: CUDA when present)."),
    ("--beam-size", "argos.beam-size", click.IntRange(min=1), None,
     "Beam size of the argos engine (default: [tool.workflow.argos] beam-size, else 2)."),
)


def _store(key: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is not None:
            for one in key.split(","):
                ctx.meta.setdefault(META_KEY, {})[one] = value

    return callback


def engine_options(f: F) -> F:
    for flag, key, kind, envvar, text in reversed(OPTIONS):
        f = click.option(flag, type=kind, default=None, envvar=envvar, show_envvar=envvar is not None,
                         expose_value=False, callback=_store(key), help=text)(f)
    return f


def engine_overrides(ctx: click.Context) -> dict[str, Any]:
    overrides: dict[str, Any] = ctx.meta.get(META_KEY, {})
    return dict(overrides)
