"""`workflow stats`: review progress, how much editors change, and candidate glossary entries."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from workflow.cli import domain_errors, format_option, settings

if TYPE_CHECKING:
    from workflow.report.stats import Tally


@click.command(epilog="""\b
Examples:
  workflow stats                   per document, per engine and model, and overall
  workflow stats --min 3           replacements seen at least 3 times
  workflow stats --format json     for programs
""")
@click.option("--min", "minimum", type=click.IntRange(min=1), default=2, show_default=True,
              help="List an editors' replacement once it was made this many times.")
@format_option
@click.pass_context
def stats(ctx: click.Context, minimum: int, fmt: str) -> None:
    """Review progress and how much the editors change the machine English.

    Per document, per engine and model, and overall: segments, % reviewed, % edited,
    and the character edit rate (Levenshtein distance between machine and final
    English over the longer length). Then the replacements editors keep making,
    offered as candidate glossary entries with a ready-to-run command. Reads memory only.
    """
    from workflow.report.stats import stats as run

    conf = settings(ctx)
    with domain_errors():
        result = run(conf, minimum=minimum)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    if not result.documents:
        click.echo("no translations yet: run `workflow translate`.")
        return
    width = max(len(name) for name in [*result.documents, *result.engines, "overall"])
    header = f"{'':<{width}}  {'segments':>8}  {'reviewed':>8}  {'edited':>7}  {'edit rate':>9}"
    for title, rows in (("documents", result.documents), ("engines and models", result.engines)):
        click.echo(click.style(title, bold=True))
        click.echo(header)
        for name, tally in rows.items():
            click.echo(_row(name, tally, width))
        click.echo()
    click.echo(_row("overall", result.overall, width))
    if result.replacements:
        click.echo()
        click.echo(click.style("editors' replacements (candidate glossary entries)", bold=True))
        for r in result.replacements:
            click.echo(f"  {r.before!r} → {r.after!r}, seen {r.count} times:  {r.hint}")


def _row(name: str, t: Tally, width: int) -> str:
    return f"{name:<{width}}  {t.segments:>8}  {t.reviewed_pct:>7.1f}%  {t.edited_pct:>6.1f}%  {t.edit_rate:>9.3f}"
