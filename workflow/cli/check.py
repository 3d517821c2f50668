"""`workflow check` (the CI gate) and `workflow status` (a table per document)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

import click

from workflow.cli import domain_errors, format_option, paths_argument, settings

COLOURS = {"error": "red", "warning": "yellow"}

jobs_option = click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=None,
    help="Processes to use (default: one per CPU from 2,000 documents on; 1: one process).")


@click.command(epilog="""\b
Examples:
  workflow check                                 every document; exit 1 on findings
  workflow check --require-reviewed              also fail on segments nobody reviewed
  workflow check source_zh/2018-11-15-x.md       one article (or output_en/..., a folder)
  workflow check --format json                   a stable report for programs
  workflow check --format github                 annotations in a GitHub Actions log

\b
Finding kinds: missing, stale, glossary-stale, model-stale, unrecorded-edits,
unreviewed, needs-review, lost-english, orphan, corrupt-memory. Without --require-reviewed,
needs-review is a warning and unreviewed segments are only counted.
Exit codes: 0 current, 1 findings, 2 usage or configuration error.
""")
@paths_argument()
@click.option("--require-reviewed", is_flag=True,
              help="Fail unless every segment is reviewed: needs-review and unreviewed become failures.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True,
              help="For people (text), programs (json) or GitHub Actions annotations (github).")
@jobs_option
@click.pass_context
def check(ctx: click.Context, paths: tuple[Path, ...], require_reviewed: bool, fmt: str, jobs: int | None) -> None:
    """Fail when an English translation is not current with its Chinese source.

    Reads hashes, not Markdown: a Chinese file is re-parsed only when it changed,
    to name each changed paragraph and its line. Writes nothing and never loads a
    translation model. One `path:line: kind: detail` line per finding, then a
    summary. Run it in CI after `workflow translate` and `workflow review`.
    """
    from workflow.report.check import check as run

    conf = settings(ctx)
    with domain_errors():
        report = run(conf, paths, require_reviewed=require_reviewed, jobs=jobs)
    PRINTERS[fmt](report)
    ctx.exit(report.exit_code)


def _print_text(report: Any) -> None:
    for finding in report.findings:
        kind = click.style(finding.kind, fg=COLOURS[finding.severity])
        click.echo(f"{finding.path}:{finding.line}: {kind}: {finding.detail}")
    for note in report.notes:
        click.echo(click.style("note: ", fg="cyan") + note, err=True)
    click.echo(summary(report))


def summary(report: Any) -> str:
    """`check failed: 2 findings (1 stale, 1 orphan) in 5 documents; 181 segments: ...`."""
    segments = report.segments()
    counted = ", ".join(f"{n} {kind}" for kind, n in report.counts().items() if n)
    errors = len(report.errors)
    warnings = len(report.findings) - errors
    documents = f"{len(report.documents)} document{'s' if len(report.documents) != 1 else ''}"
    tail = (f"{segments['total']} segments: {segments['reviewed']} reviewed, {segments['needs-review']} need review, "
            f"{segments['machine']} machine-translated, {segments['stale']} stale.")
    if errors:
        return f"check failed: {errors} finding{'s' if errors != 1 else ''} ({counted}) in {documents}; {tail}"
    if warnings:
        return f"check passed with {warnings} warning{'s' if warnings != 1 else ''} ({counted}) in {documents}; {tail}"
    return f"check passed: {documents} current; {tail}"


def report_json(report: Any) -> dict[str, Any]:
    """The `--format json` document (schema in docs/check.md)."""
    from workflow.report.check import JSON_SCHEMA

    return {
        "schema": JSON_SCHEMA,
        "ok": report.exit_code == 0,
        "exit_code": report.exit_code,
        "require_reviewed": report.require_reviewed,
        "findings": [{"path": f.path, "line": f.line, "kind": f.kind, "severity": f.severity, "detail": f.detail}
                     for f in report.findings],
        "summary": {
            "documents": len(report.documents),
            "errors": len(report.errors),
            "warnings": len(report.findings) - len(report.errors),
            "kinds": report.counts(),
            "segments": report.segments(),
        },
        "notes": list(report.notes),
    }


def _print_json(report: Any) -> None:
    click.echo(json.dumps(report_json(report), ensure_ascii=False, indent=2, sort_keys=True))


def _print_github(report: Any) -> None:
    """GitHub Actions workflow commands: `::error file=…,line=…,title=…::message` per finding."""
    for f in report.findings:
        click.echo(f"::{f.severity} file={_property(f.path)},line={f.line},title={_property(f.kind)}::"
                   f"{_data(f.detail)}")
    for note in report.notes:
        click.echo(f"::notice title=workflow check::{_data(note)}")
    click.echo(summary(report))


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


PRINTERS: dict[str, Callable[[Any], None]] = {"text": _print_text, "json": _print_json, "github": _print_github}

STATUS_COLUMNS = (("document", "source"), ("segments", "segments"), ("reviewed", "reviewed"),
                  ("needs review", "needs_review"), ("stale", "stale"), ("translated", "translated_at"),
                  ("engine", "engine"), ("state", "state"))


@click.command(epilog="""\b
Examples:
  workflow status                    a row per document
  workflow status source_zh/2018     the documents in one folder
  workflow status --format json      the same rows for programs
""")
@paths_argument()
@format_option
@jobs_option
@click.pass_context
def status(ctx: click.Context, paths: tuple[Path, ...], fmt: str, jobs: int | None) -> None:
    """A table with a row per document: segments, reviewed, needs review, stale, last translated, engine.

    Reads what `check` reads (hashes, memory); writes nothing. Always exits 0
    unless the command cannot run (2); use `workflow check` to fail a build.
    """
    from workflow.report.check import JSON_SCHEMA
    from workflow.report.check import check as run

    conf = settings(ctx)
    with domain_errors():
        report = run(conf, paths, jobs=jobs)
    if fmt == "json":
        payload = {"schema": JSON_SCHEMA, "documents": [asdict(d) for d in report.documents],
                   "totals": report.segments(), "notes": list(report.notes)}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True))
        return
    rows = [[header for header, _ in STATUS_COLUMNS]]
    rows += [[_cell(getattr(doc, attr), attr) for _, attr in STATUS_COLUMNS] for doc in report.documents]
    widths = [max(len(row[i]) for row in rows) for i in range(len(STATUS_COLUMNS))]
    for row in rows:
        cells = [cell.ljust(w) if i in (0, 5, 6, 7) else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        click.echo("  ".join(cells).rstrip())
    totals = report.segments()
    click.echo(f"{len(report.documents)} documents, {totals['total']} segments: {totals['reviewed']} reviewed, "
               f"{totals['needs-review']} need review, {totals['stale']} stale.")
    for finding in (f for f in report.findings if f.kind == "lost-english"):
        click.echo(click.style("lost English: ", fg="yellow") + f"{finding.path}:{finding.line}: {finding.detail}")
    for note in report.notes:
        click.echo(click.style("note: ", fg="cyan") + note, err=True)


def _cell(value: Any, attr: str) -> str:
    if attr == "translated_at":
        return str(value)[:16].replace("T", " ") if value else "-"
    if attr == "engine":
        return str(value) or "-"
    return str(value)
