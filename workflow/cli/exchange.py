"""`workflow export` / `workflow import`: segments to and from the CAT tools translators use."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from workflow.cli import domain_errors, format_option, output_file, paths_argument, settings, warn

SUFFIX = {"xliff": ".xlf", "po": ".po"}


@click.command("export", epilog="""\b
Examples:
  workflow export --format xliff -o review.xlf      pending segments of every article, for OmegaT
  workflow export --format po -o berlin.po output_en/2018-11-15-x.md
                                                   one article, for Poedit or Weblate
  workflow export --format xliff --all -o all.xlf  every segment, reviewed ones too
""")
@paths_argument()
@click.option("--format", "fmt", type=click.Choice(["xliff", "po"]), default="xliff", show_default=True,
              help="XLIFF 1.2 (OmegaT, Weblate, Translate Toolkit) or gettext PO (Poedit, Weblate).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="The file to write (default: workflow-export.xlf / .po in the project root).")
@click.option("--all", "everything", is_flag=True, help="Every segment, not only the pending ones.")
@click.pass_context
def export_command(ctx: click.Context, paths: tuple[Path, ...], fmt: str, output: Path | None, everything: bool) -> None:
    """Write the pending segments (or --all) to an XLIFF or PO file for a CAT tool.

    Each segment carries its id, the Chinese, the current English, and notes: the glossary
    terms, why it is flagged, the machine English, fuzzy matches. Translate in the tool,
    then `workflow import FILE` records the English as reviewed edits.
    """
    from workflow.review.exchange import export
    from workflow.store.files import atomic_write

    conf = settings(ctx)
    target = output_file(conf, output or Path("workflow-export" + SUFFIX[fmt]))
    with domain_errors():
        done = export(conf, paths, fmt, everything=everything)
    atomic_write(target, done.data)
    click.echo(f"wrote {conf.rel(target)}: {done.segments} segments of {done.documents} documents.")


@click.command("import", epilog="""\b
Examples:
  workflow import review.xlf                  record the translated segments (reviewer: the file's, else config)
  workflow import berlin.po --reviewer Ada    the reviewer's name given
""")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--reviewer", default=None, metavar="NAME",
              help="Name recorded with each segment (default: the PO file's Last-Translator, [tool.workflow] "
                   "reviewer, git config user.name).")
@format_option
@click.pass_context
def import_command(ctx: click.Context, file: Path, reviewer: str | None, fmt: str) -> None:
    """Record the English of an XLIFF or PO file made by `workflow export` as reviewed edits.

    Only confirmed units count (XLIFF: state translated/final/signed-off; PO: not fuzzy).
    A document whose Chinese changed since the export, whose English has unrecorded edits,
    or whose file holds a stale id is refused whole (exit 1); memory and English are
    written atomically, as `review` writes them.
    """
    from workflow.review.exchange import import_file
    from workflow.review.results import utc_now

    conf = settings(ctx)
    path = conf.resolve(file)
    if not path.is_file():
        raise click.BadParameter(f"{file} does not exist (relative paths are relative to the project root).",
                                 param_hint="FILE")
    with domain_errors():
        report = import_file(conf, path, reviewer=reviewer, now=utc_now())
    if fmt == "json":
        click.echo(json.dumps({"documents": [asdict(d) for d in report.documents], "reviewer": report.reviewer,
                               "exit_code": report.exit_code}, ensure_ascii=False, indent=2))
    else:
        for doc in report.documents:
            if doc.exit_code:
                click.echo(click.style(f"{doc.state}: ", fg="yellow") + doc.message, err=True)
                continue
            click.echo(f"{doc.state:>10}  {doc.output}  ({doc.edited} edited, {doc.approved} approved)")
            if doc.message:
                warn(f"{doc.output}: {doc.message}")
        who = f" Reviewer: {report.reviewer}." if report.reviewer else ""
        click.echo(f"{len(report.documents)} documents: {sum(d.edited for d in report.documents)} segments edited, "
                   f"{sum(d.approved for d in report.documents)} approved, "
                   f"{sum(1 for d in report.documents if d.exit_code)} refused.{who}")
    ctx.exit(report.exit_code)
