"""`workflow publish`: the paired bilingual view."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from workflow.cli import domain_errors, format_option, paths_argument, settings


@click.command(epilog="""\b
Examples:
  workflow publish                                  every article with an English file
  workflow publish source_zh/2018-11-15-x.md        one article
  workflow publish --format json                    a report for programs
""")
@paths_argument()
@format_option
@click.pass_context
def publish(ctx: click.Context, paths: tuple[Path, ...], fmt: str) -> None:
    """Write bilingual Markdown: each Chinese block followed by its English.

    For reviewers reading both languages side by side, and for publishing a
    bilingual page. Reads source_zh/X.md and output_en/X.md and writes
    output_en/bilingual/X.md (the folder is `bilingual` in [tool.workflow]).
    Files that would not change are not rewritten.
    """
    from workflow.report.publish import publish as run

    conf = settings(ctx)
    with domain_errors():
        results = run(conf, paths)
    code = max((r.exit_code for r in results), default=0)
    if fmt == "json":
        click.echo(json.dumps({"documents": [asdict(r) for r in results], "exit_code": code}, ensure_ascii=False, indent=2))
    else:
        for r in results:
            if r.message:
                click.echo(click.style("error: ", fg="red") + r.message, err=True)
            else:
                click.echo(f"{r.state:>9}  {r.bilingual}")
        click.echo(f"{len(results)} documents: {sum(r.state == 'written' for r in results)} written.")
    ctx.exit(code)
