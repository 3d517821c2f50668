"""`workflow translate`."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from workflow.cli import domain_errors, format_option, paths_argument, progress_file, settings, stderr_is_tty, warn
from workflow.cli.engine_options import engine_options, engine_overrides
from workflow.config import ENGINES

PROGRESS_MIN = 20  # sentences; smaller runs finish before a bar would be read

STATE_COLOURS = {"translated": "green", "unchanged": None, "would-translate": "cyan", "refused": "yellow", "error": "red"}


@click.command(epilog="""\b
Examples:
  workflow translate                             everything that changed, default engine
  workflow translate --engine copy               English = Chinese, to translate by hand
  workflow translate --engine llm --llm-model qwen2.5:7b-instruct   an LLM (Ollama's URL by default)
  workflow translate source_zh/2018-11-15-x.md   one article
  workflow translate --dry-run                   list what would change, call nothing
  workflow translate --format json --quiet       a report for programs
  workflow translate --jobs 1                    one process (default: one per CPU for large runs)
""")
@paths_argument()
@click.option("--engine", type=click.Choice(list(ENGINES)), default=None,
              help="Translation engine (default: [tool.workflow] engine, else argos).")
@engine_options
@click.option("--dry-run", is_flag=True, help="List what would change; call no engine, write nothing.")
@click.option("--force", is_flag=True, help="Record unrecorded edits in the English first (as `review` does); "
              "keep an English file that has no memory as the editor's version.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar, no per-file lines; only errors and the summary.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Processes for planning and writing (default: one per CPU from 64 documents on; 1: one process). "
              "The engine runs once per window of sentences, in the main process; the files are the same.")
@format_option
@click.pass_context
def translate(ctx: click.Context, paths: tuple[Path, ...], engine: str | None, dry_run: bool, force: bool, quiet: bool,
              jobs: int | None, fmt: str) -> None:
    """Draft English for the Chinese posts in source_zh/ into output_en/.

    Mirrors the source folder, keeps every bit of Markdown markup, adds `lang: en`
    and a provenance summary to the front matter, and records each segment in
    output_en/.workflow/. Only new or changed Chinese reaches the engine; a second
    run with nothing changed calls no engine and writes nothing. Refuses to
    overwrite an English file with unrecorded edits (run `workflow review` first).
    """
    from workflow.translate.run import translate as run

    conf = settings(ctx, engine=engine, **engine_overrides(ctx))

    def progress(total: int) -> Any:
        show = total >= PROGRESS_MIN and not quiet and fmt == "text" and stderr_is_tty()
        return click.progressbar(length=total, label="translating", file=progress_file(show), show_eta=True)

    with domain_errors():
        report = run(conf, paths, dry_run=dry_run, progress=progress, force=force, install_model=_install_model,
                     jobs=jobs)
    for message in report.warnings:
        warn(message)
    if fmt == "json":
        payload = {"documents": [asdict(d) for d in report.documents], "engine": report.engine,
                   "engine_texts": report.engine_texts, "glossary": asdict(report.glossary),
                   "matches": report.matches(), "memory_units": report.memory_units, "exit_code": report.exit_code}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print_text(report, quiet)
    ctx.exit(report.exit_code)


def _install_model(package: str) -> None:
    """The engine's model is missing and a sentence needs it: download it (online), else the error says how."""
    from workflow.cli.models import fetch_and_install

    fetch_and_install(package, err=True)


def _print_text(report: Any, quiet: bool) -> None:
    counts: dict[str, int] = {}
    for doc in report.documents:
        counts[doc.state] = counts.get(doc.state, 0) + 1
        if doc.message:
            click.echo(click.style(f"{doc.state}: ", fg=STATE_COLOURS.get(doc.state)) + doc.message, err=True)
        elif not quiet:
            detail = f"{doc.segments} segments, {doc.translated} to translate" if doc.state == "would-translate" else (
                f"{doc.segments} segments, {doc.translated} translated, {doc.needs_review} need review")
            click.echo(click.style(f"{doc.state:>15}", fg=STATE_COLOURS.get(doc.state)) + f"  {doc.source} -> {doc.output}  ({detail})")
    summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "no source files"
    click.echo(f"{len(report.documents)} documents: {summary}.")
    levels = report.matches()
    if any(levels.values()):
        click.echo("matches: " + ", ".join(f"{n} {level}" for level, n in levels.items()) + " (segments).")
    if report.engine:
        g = report.glossary
        click.echo(f"engine {report.engine}: {report.engine_texts} sentences; "
                   f"glossary: {g.enforced} terms enforced, {g.repaired} repaired, {g.missed} missed.")
