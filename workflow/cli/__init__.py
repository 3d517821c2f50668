"""The thin edge: parse options, call one library function, print, pick the exit code.

Commands live in their own modules and are imported only when run (or when
`--help` lists them), so `workflow --help` starts fast and never imports a
machine-translation library.
"""

from __future__ import annotations

import importlib
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import click

from workflow import __version__

if TYPE_CHECKING:
    from workflow.config import Settings

# command name -> "module:attribute"; a new command is a new entry.
COMMANDS = {
    "translate": "workflow.cli.translate:translate",
    "check": "workflow.cli.check:check",
    "status": "workflow.cli.check:status",
    "publish": "workflow.cli.publish:publish",
    "models": "workflow.cli.models:models",
    "glossary": "workflow.cli.glossary:glossary",
    "review": "workflow.cli.review:review",
    "stats": "workflow.cli.stats:stats",
    "memory": "workflow.cli.memory:memory",
    "export": "workflow.cli.exchange:export_command",
    "import": "workflow.cli.exchange:import_command",
}

EPILOG = """\b
Examples:
  workflow translate --engine copy      draft English by copying (translate by hand)
  workflow translate                    machine-translate what changed
  workflow review                       record the editors' corrections
  workflow check --require-reviewed     the CI gate
  workflow COMMAND --help               a command's options and examples

\b
Configuration: [tool.workflow] in ./pyproject.toml. NO_COLOR disables colour.
Exit codes: 0 clean, 1 findings or refused files, 2 usage, configuration or input error.
"""


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module_name, _, attr = COMMANDS[cmd_name].partition(":")
            command: click.Command = getattr(importlib.import_module(module_name), attr)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="workflow")
@click.option("-C", "--directory", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Run as if started in this folder (the project root).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Read [tool.workflow] from this file instead of ./pyproject.toml.")
@click.pass_context
def cli(ctx: click.Context, directory: Path | None, config_file: Path | None) -> None:
    """Translate Chinese Markdown articles about OpenStack into faithful English.

    Chinese posts live in source_zh/, English drafts go to output_en/ (same paths),
    the glossary lives in glossary/. Editors correct the English by hand; `review`
    records each correction; `check` tells CI when an English page is out of date.
    """
    if os.environ.get("NO_COLOR"):
        ctx.color = False
    ctx.obj = {"root": (directory or Path.cwd()).resolve(), "config_file": config_file}


def main() -> None:
    cli(prog_name="workflow")


class Failed(click.ClickException):
    """A WorkflowError at the edge: its message, its exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click reads it per instance

    def show(self, file: Any = None) -> None:
        click.echo(click.style("error: ", fg="red", bold=True) + self.format_message(), err=True)


@contextmanager
def domain_errors() -> Iterator[None]:
    from workflow.errors import WorkflowError

    try:
        yield
    except WorkflowError as exc:
        raise Failed(str(exc), exc.exit_code) from None
    except OSError as exc:  # a write the library did not expect to fail (disk full, read-only): no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        raise Failed(f"{where}{exc.strerror or exc}. Check the disk and the folder's permissions, then run again.",
                     2) from None


def settings(ctx: click.Context, **overrides: Any) -> Settings:
    """Settings from defaults, [tool.workflow] and the given flag values (None = not given)."""
    from workflow.config import load_settings

    obj = ctx.find_root().obj
    with domain_errors():
        return load_settings(obj["root"], obj["config_file"], overrides)


def paths_argument() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.argument("paths", nargs=-1, type=click.Path(path_type=Path))


format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="Output for people (text) or programs (json).",
)


def output_file(conf: Settings, given: Path) -> Path:
    """The file `-o` names, resolved; its folder must exist (a typo must not create folders)."""
    target = conf.resolve(given)
    if not target.parent.is_dir():
        raise click.BadParameter(f"the folder {target.parent} does not exist: create it first, or name another file.",
                                 param_hint="-o/--output")
    return target


def warn(message: str) -> None:
    click.echo(click.style("warning: ", fg="yellow") + message, err=True)


def stderr_is_tty() -> bool:
    return sys.stderr.isatty()


def progress_file(show: bool) -> Any:
    """Where a progress bar draws: stderr when it should show, else nowhere."""
    return sys.stderr if show else _Null()


class _Null:
    """A file that swallows output."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False
