"""`workflow glossary`: list, add, remove, lint, import, export, check.

Each subcommand parses its options, calls one library function (workflow.glossary.terms,
glossary_edit, glossary_formats, glossary_check), prints and picks the exit code:
0 clean, 1 findings (lint problems, import conflicts, check findings), 2 usage,
configuration or input errors. Nothing here imports a translation engine.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import click

from workflow.cli import domain_errors, format_option, settings, warn
from workflow.glossary.terms import ENTRY_KINDS

if TYPE_CHECKING:
    from workflow.config import Settings



@click.group(epilog="""\b
Examples:
  workflow glossary list 启动                 entries whose Chinese or English contains 启动
  workflow glossary add 容器编排 "container orchestration" --note "Kubernetes sense"
  workflow glossary remove 容器编排
  workflow glossary lint                     duplicates, conflicts, padded fields, shadowed terms
  workflow glossary import glossary.po       the OpenStack i18n zh_CN glossary
  workflow glossary export --format tbx -o openstack.tbx
  workflow glossary check                    is every term rendered as the glossary says?
""")
def glossary() -> None:
    """Keep the zh→en glossary in glossary/: look terms up, edit, lint, exchange, check.

    The glossary is TSV (or CSV) with the columns zh, en, kind (term, keep, name),
    case (sensitive or empty), note and source. `translate` enforces it; `check`
    here verifies the English against it. See docs/glossary.md.
    """


# -- list --------------------------------------------------------------------------------------


@glossary.command("list", epilog="""\b
Examples:
  workflow glossary list                      every entry
  workflow glossary list container            entries whose Chinese, English or note mentions it
  workflow glossary list --kind name          people, companies, places
  workflow glossary list --in-text 从卷启动实例  what the matcher finds in a text, in order
  workflow glossary list 启动 --format json
""")
@click.argument("pattern", required=False)
@click.option("--kind", type=click.Choice(ENTRY_KINDS), default=None, help="Only entries of this kind.")
@click.option("--in-text", "text", default=None, metavar="TEXT",
              help="List the entries the matcher finds in TEXT (longest-leftmost), in order.")
@format_option
@click.pass_context
def list_(ctx: click.Context, pattern: str | None, kind: str | None, text: str | None, fmt: str) -> None:
    """List entries, optionally those mentioning PATTERN (case-insensitive, in zh, en or note)."""
    from workflow.glossary.terms import fold, load

    conf = settings(ctx)
    with domain_errors():
        found = load(conf.glossary, conf.root, strict=False)
    entries = [m.entry for m in found.match(text)] if text is not None else list(found.entries)
    if pattern:
        needle = fold(pattern).casefold()
        entries = [e for e in entries if any(needle in fold(v).casefold() for v in (e.zh, e.en, e.note))]
    if kind:
        entries = [e for e in entries if e.kind == kind]
    if fmt == "json":
        click.echo(json.dumps([asdict(e) for e in entries], ensure_ascii=False, indent=2))
        return
    rows = [("ZH", "EN", "KIND", "CASE", "WHERE", "NOTE")] + [
        (e.zh, e.en, e.kind, e.case or "-", e.where, _short(e.note)) for e in entries]
    for row in _table(rows):
        click.echo(row)
    click.echo(f"{len(entries)} entries.", err=True)


def _short(note: str, width: int = 60) -> str:
    return note if len(note) <= width else note[:width - 1] + "…"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)).rstrip() for row in rows]


# -- add / remove ------------------------------------------------------------------------------


def _target(conf: Settings, file: Path | None) -> Path:
    from workflow.glossary.terms import default_file

    if file is None:
        return default_file(conf.glossary)
    path = conf.resolve(file)
    if path.resolve().parent != conf.glossary.resolve():
        warn(f"{conf.rel(path)} is not in {conf.rel(conf.glossary)}/; translate does not read it.")
    return path


file_option = click.option("--file", type=click.Path(dir_okay=False, path_type=Path), default=None,
                           help="The glossary file (default: glossary/openstack.tsv).")


@glossary.command(epilog="""\b
Examples:
  workflow glossary add 容器编排 "container orchestration"
  workflow glossary add Kolla Kolla --kind keep --case sensitive --note "Deployment project"
  workflow glossary add 中国移动 "China Mobile" --kind name --source official-name
  workflow glossary add 边缘云 "edge cloud" --file glossary/edge.tsv
""")
@click.argument("zh")
@click.argument("en")
@click.option("--kind", type=click.Choice(ENTRY_KINDS), default="term", show_default=True,
              help="term: translate as EN; keep: never translate (EN = ZH); name: a proper name written EN.")
@click.option("--case", type=click.Choice(["insensitive", "sensitive"]), default="insensitive", show_default=True,
              help="How a Latin ZH matches the Chinese text.")
@click.option("--note", default="", help="Why, and how ambiguity is resolved.")
@click.option("--source", default="", help="Where the rendering comes from (openstack-glossary, official-name, …).")
@file_option
@click.pass_context
def add(ctx: click.Context, zh: str, en: str, kind: str, case: str, note: str, source: str, file: Path | None) -> None:
    """Append the entry ZH → EN; refuse a duplicate or a second rendering of ZH."""
    from workflow.glossary.edit import add as add_entry
    from workflow.glossary.terms import Entry

    conf = settings(ctx)
    entry = Entry(zh.strip(), en.strip(), kind, "sensitive" if case == "sensitive" else "", note.strip(), source.strip())
    with domain_errors():
        added = add_entry(conf.glossary, _target(conf, file), entry, conf.root)
    click.echo(f"added {added.zh} → {added.en} ({added.kind}) at {added.where}")


@glossary.command(epilog="""\b
Examples:
  workflow glossary remove 容器编排
  workflow glossary remove openstack             a Latin term by its case rule
  workflow glossary remove 边缘云 --file glossary/edge.tsv
""")
@click.argument("zh")
@file_option
@click.pass_context
def remove(ctx: click.Context, zh: str, file: Path | None) -> None:
    """Delete the entry (every row) for the Chinese term ZH."""
    from workflow.glossary.edit import remove as remove_entry

    conf = settings(ctx)
    path = None if file is None else conf.resolve(file)
    with domain_errors():
        removed = remove_entry(conf.glossary, zh, path, conf.root)
    for entry in removed:
        click.echo(f"removed {entry.zh} → {entry.en} ({entry.kind}) from {entry.where}")


# -- lint --------------------------------------------------------------------------------------


@glossary.command(epilog="""\b
Examples:
  workflow glossary lint                      every file in glossary/
  workflow glossary lint glossary/edge.tsv    one file
  workflow glossary lint -q --format json     problems only, for programs

Finding kinds: unreadable, extra-fields, empty, padded, bad-kind, bad-case,
keep-differs, han-in-en, duplicate, conflict, shadowed; guard is information.
Exit codes: 0 no problems, 1 problems, 2 usage error.
""")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-q", "--quiet", is_flag=True, help="Leave out information (deliberate guards).")
@format_option
@click.pass_context
def lint(ctx: click.Context, files: tuple[Path, ...], quiet: bool, fmt: str) -> None:
    """Report every problem of the glossary files, one `path:line: kind: detail` line each."""
    from workflow.glossary.edit import lint as run
    from workflow.glossary.terms import glossary_files

    conf = settings(ctx)
    paths = [conf.resolve(f) for f in files] or glossary_files(conf.glossary)
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise click.UsageError(f"no such glossary file: {conf.rel(missing[0])}")
    findings = [f for f in run(paths, conf.root) if not (quiet and f.severity == "info")]
    problems = sum(1 for f in findings if f.severity != "info")
    if fmt == "json":
        click.echo(json.dumps({"findings": [asdict(f) for f in findings], "problems": problems}, ensure_ascii=False, indent=2))
    else:
        for finding in findings:
            click.echo(str(finding))
        notes = len(findings) - problems
        click.echo(f"{problems} problems, {notes} notes in {len(paths)} files.", err=True)
    ctx.exit(1 if problems else 0)


# -- import / export ---------------------------------------------------------------------------


@glossary.command("import", epilog="""\b
Examples:
  workflow glossary import terms.csv                    CSV/TSV with a zh,en,... header
  workflow glossary import openstack.tbx                TBX (TBX-Basic martif or TBX v3)
  workflow glossary import glossary.po --source openstack-i18n
                                                        OpenStack i18n zh_CN PO: msgid en, msgstr zh
  workflow glossary import glossary.po --dry-run        report only, write nothing

Exit codes: 0 imported, 1 conflicting or invalid entries (not imported), 2 unreadable
or unsafe file (TBX with entity declarations is refused).
""")
@click.argument("source_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "in_fmt", type=click.Choice(["csv", "tsv", "tbx", "po"]), default=None,
              help="The file's format (default: from its suffix).")
@click.option("--source", "label", default=None, help="Source column for entries without one (default: the file name).")
@file_option
@click.option("--dry-run", is_flag=True, help="Report what would be imported; write nothing.")
@click.pass_context
def import_(ctx: click.Context, source_file: Path, in_fmt: str | None, label: str | None, file: Path | None,
            dry_run: bool) -> None:
    """Import entries from CSV/TSV, TBX or gettext PO; skip duplicates, report conflicts."""
    from workflow.glossary.edit import append, files_with, tables, usable_entries
    from workflow.glossary.exchange import merge, read_entries

    conf = settings(ctx)
    path = conf.resolve(source_file)
    target = _target(conf, file)
    with domain_errors():
        incoming, untranslated = read_entries(path, conf.rel(path), in_fmt, path.name if label is None else label)
        known, _ = tables(files_with(conf.glossary, target), conf.root)
        report = merge(usable_entries(known), incoming)
        written = append(target, report.added, conf.root) if report.added and not dry_run else report.added
    verb = "would add" if dry_run else "added"
    for new, old in zip(report.added, written):
        click.echo(f"{verb}: {new.zh} → {new.en} ({new.kind}) from {new.where}" + ("" if dry_run else f" at {old.where}"))
    for new, old in report.duplicates:
        click.echo(f"duplicate: {new.zh} → {new.en} ({new.where}) is already at {old.where}; skipped")
    for new, old in report.conflicts:
        click.echo(f"conflict: {new.zh} → {new.en} ({new.where}) contradicts {old.zh} → {old.en} ({old.where}); "
                   "not imported")
    for new, reason in report.invalid:
        click.echo(f"invalid: {new.where}: {reason} Not imported.")
    summary = (f"{len(report.added)} {verb}, {len(report.duplicates)} skipped as duplicates, "
               f"{len(report.conflicts)} conflicting, {len(report.invalid)} invalid")
    if untranslated:
        summary += f"; {untranslated} untranslated, fuzzy or obsolete PO entries ignored"
    click.echo(summary + ".", err=True)
    ctx.exit(1 if report.conflicts or report.invalid else 0)


@glossary.command(epilog="""\b
Examples:
  workflow glossary export                         TBX to standard output
  workflow glossary export --format tbx -o openstack.tbx   for Weblate, OmegaT
  workflow glossary export --format csv -o glossary.csv

TBX is TBX-Basic (martif, ISO 30042:2008); kind, case, note and source travel in
<descrip>, <note> and <admin> elements, so importing the export gives the same glossary.
""")
@click.option("--format", "out_fmt", type=click.Choice(["tbx", "csv", "tsv"]), default="tbx", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (default: standard output).")
@click.pass_context
def export(ctx: click.Context, out_fmt: str, output: Path | None) -> None:
    """Write every entry of the glossary as TBX, CSV or TSV."""
    from workflow.glossary.exchange import export as render
    from workflow.glossary.terms import load
    from workflow.store.files import atomic_write

    conf = settings(ctx)
    with domain_errors():
        entries = load(conf.glossary, conf.root).entries
    data = render(entries, out_fmt)
    if output is None:
        click.echo(data, nl=False)  # bytes go to the binary stream, as they are
        return
    path = conf.resolve(output)
    atomic_write(path, data)
    click.echo(f"exported {len(entries)} entries to {conf.rel(path)} ({out_fmt})", err=True)


# -- check -------------------------------------------------------------------------------------


@glossary.command(epilog="""\b
Examples:
  workflow glossary check                                   every translated document
  workflow glossary check output_en/2018-11-15-openstack-berlin-summit-impressions.md
  workflow glossary check --format github                   annotations in a GitHub workflow

Finding kinds: glossary-term (a matched term is not rendered as the glossary says),
han-left (Chinese characters left in the English), glossary-stale (the segment's
glossary entries changed since it was translated).
Exit codes: 0 clean, 1 findings, 2 usage, configuration or input error.
""")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True,
              help="Output for people (text), programs (json) or GitHub annotations (github).")
@click.pass_context
def check(ctx: click.Context, paths: tuple[Path, ...], fmt: str) -> None:
    """QA of the English against the glossary, from memory; writes nothing.

    For every recorded segment: each glossary term matched in its Chinese must be
    in its final English as the glossary says (keep and name exactly; terms in any
    case, hyphen or space alike, plural allowed), and no Chinese may be left.
    """
    from workflow.glossary.qa import check as run
    from workflow.glossary.terms import load

    conf = settings(ctx)
    with domain_errors():
        report = run(conf, load(conf.glossary, conf.root), paths)
    if fmt == "json":
        payload = {"findings": [asdict(f) for f in report.findings], "documents": report.documents,
                   "segments": report.segments, "exit_code": 1 if report.findings else 0}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for finding in report.findings:
            click.echo(_github(finding) if fmt == "github" else str(finding))
        click.echo(f"{len(report.findings)} findings in {report.segments} segments of {report.documents} documents.",
                   err=True)
    ctx.exit(1 if report.findings else 0)


def _github(finding: Any) -> str:
    def escape(text: str, prop: bool = False) -> str:
        text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return text.replace(":", "%3A").replace(",", "%2C") if prop else text

    return (f"::error file={escape(finding.path, True)},line={finding.line},"
            f"title={escape('glossary ' + finding.kind, True)}::{escape(finding.detail)}")
