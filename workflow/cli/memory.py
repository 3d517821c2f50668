"""`workflow memory`: the project's translation memory: exchange it, decide on lost English."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from workflow.cli import domain_errors, format_option, output_file, settings

reviewer_option = click.option("--reviewer", default=None, help="Who decides (default: [tool.workflow] reviewer, "
                               "else git user.name).")


@click.group(epilog="""\b
Examples:
  workflow memory export --format tmx -o project.tmx    for OmegaT, Trados, memoQ, Weblate
  workflow memory import zh_CN-openstack.po             exact and fuzzy matches from now on
  workflow memory restore source_zh/x.md 1a2b3c4d       put lost English back on the page
  workflow memory dismiss source_zh/x.md 1a2b3c4d       record that it may go
""")
def memory() -> None:
    """The project's translation memory: every English a person wrote, found by its Chinese.

    `translate` looks each segment up in it before any engine call (context, exact and
    fuzzy matches); `check` reports English a person wrote that is no longer on the page
    (`lost-english`) until someone restores or dismisses it. See docs/memory.md.
    """


@memory.command("export", epilog="""\b
Examples:
  workflow memory export --format tmx -o project.tmx
  workflow memory export --format po > project.po
""")
@click.option("--format", "fmt", type=click.Choice(["tmx", "po"]), default="tmx", show_default=True,
              help="TMX 1.4b or gettext PO (msgctxt: the document).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (default: standard output).")
@click.pass_context
def export(ctx: click.Context, fmt: str, output: Path | None) -> None:
    """Every unit a person wrote or approved, one per document and Chinese text."""
    from workflow.store.files import atomic_write
    from workflow.translate.lost import export_memory

    conf = settings(ctx)
    with domain_errors():
        data, count = export_memory(conf, fmt)
        if output is None:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            return
        target = output_file(conf, output)
        atomic_write(target, data)
    click.echo(f"{count} units written to {conf.rel(target)}.", err=True)


@memory.command("import", epilog="""\b
Examples:
  workflow memory import openstack-zh_CN.tmx
  workflow memory import nova.po --format json
""")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@format_option
@click.pass_context
def import_(ctx: click.Context, file: Path, fmt: str) -> None:
    """Add a TMX or PO file's units to the project's memory (output_en/.workflow/tm/PATH.tm).

    Imported units serve as exact and fuzzy matches, their origin named. Importing the
    same file again changes nothing; each file (by its path in the project) has a store of its own.
    """
    from workflow.translate.lost import import_memory

    conf = settings(ctx)
    with domain_errors():
        stored, count = import_memory(conf, file)
    if fmt == "json":
        click.echo(json.dumps({"file": str(file), "stored": stored, "units": count}, ensure_ascii=False))
    else:
        click.echo(f"{count} units imported into {stored}.")


@memory.command(epilog="""\b
Examples:
  workflow memory restore source_zh/x.md 1a2b3c4d              after the nearest paragraph
  workflow memory restore source_zh/x.md 1a2b3c4d --onto s0f3  onto a named segment
""")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("key")
@click.option("--onto", default=None, help="The segment id to restore onto (default: the nearest paragraph).")
@click.option("--replace", is_flag=True, help="Replace that segment's English instead of adding a paragraph.")
@reviewer_option
@click.pass_context
def restore(ctx: click.Context, source: Path, key: str, onto: str | None, replace: bool, reviewer: str | None) -> None:
    """Put lost English (KEY, as `check` names it) back on a segment; flagged needs-review."""
    from workflow.translate.lost import restore as run

    conf = settings(ctx)
    with domain_errors():
        decision = run(conf, conf.resolve(source), key, onto=onto, replace=replace, reviewer=reviewer)
    click.echo(f"restored {key} onto segment {decision.onto} (line {decision.line}) of {decision.source}; "
               "check it, then `workflow review`.")


@memory.command(epilog="""\b
Examples:
  workflow memory dismiss source_zh/x.md 1a2b3c4d
""")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("key")
@reviewer_option
@click.pass_context
def dismiss(ctx: click.Context, source: Path, key: str, reviewer: str | None) -> None:
    """Record that lost English (KEY, as `check` names it) may go: reviewer and time are kept."""
    from workflow.translate.lost import dismiss as run

    conf = settings(ctx)
    with domain_errors():
        decision = run(conf, conf.resolve(source), key, reviewer=reviewer)
    click.echo(f"dismissed {key} in {decision.source} (by {decision.reviewer}).")
