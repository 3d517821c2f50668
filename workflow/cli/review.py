"""`workflow review`: record the editors' corrections; show, report or walk the pending segments."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from workflow.cli import domain_errors, format_option, paths_argument, settings, warn

STATE_COLOURS = {"recorded": "green", "approved": "green", "unchanged": None, "refused": "yellow", "error": "red"}


@click.command(epilog="""\b
Examples:
  workflow review                                  record the edits in every English file
  workflow review output_en/2018-11-15-x.md        one article (the English or the Chinese path)
  workflow review --approve output_en/2018-11-15-x.md
                                                   also accept its untouched machine segments
  workflow review --show                           pending and edited segments, diff coloured
  workflow review --html review.html               a side-by-side report for a browser
  workflow review --interactive                    one key each: a accept, e edit in $EDITOR, s skip, q quit
  workflow review --set-aside output_en/2018-11-15-x.md
                                                   after a refusal: keep the English next to the
                                                   memory and write the page again from memory
""")
@paths_argument()
@click.option("--reviewer", default=None, metavar="NAME",
              help="Name recorded with each reviewed segment (default: [tool.workflow] reviewer, else git config user.name).")
@click.option("--approve", is_flag=True, help="Also accept the untouched machine segments (of PATHS, or of all files).")
@click.option("--show", is_flag=True, help="Show the pending and edited segments with the diff coloured; records nothing.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="Write a self-contained side-by-side HTML report to FILE; records nothing.")
@click.option("-i", "--interactive", is_flag=True,
              help="Walk the pending segments, one key each (no Enter): a accept, e edit in $EDITOR (the Chinese and "
                   "glossary shown as #| comments), s skip, q quit, 1-9 take a fuzzy match; saved after each one.")
@click.option("--all", "everything", is_flag=True, help="With --interactive: walk every segment, reviewed ones too.")
@click.option("--set-aside", "aside", is_flag=True,
              help="After a refusal: copy the unrecorded English next to the memory (never deleted) and write "
                   "the page again from memory, to redo the edit in smaller steps.")
@format_option
@click.pass_context
def review(ctx: click.Context, paths: tuple[Path, ...], reviewer: str | None, approve: bool, show: bool,
           html_file: Path | None, interactive: bool, everything: bool, aside: bool, fmt: str) -> None:
    """Record the corrections editors made to the English in output_en/.

    Aligns each edited English file with its recorded segments and records, for every
    changed segment, the final text and the diff from the machine English; the segment
    becomes reviewed, with the reviewer and the time. Split, merged, added and deleted
    paragraphs are recorded too, and survive later `translate` runs. An edit that cannot
    be attributed with certainty, or one outside the translatable text, is reported
    with its line and nothing is recorded for that file (exit 1).
    """
    if interactive and (show or html_file or fmt == "json"):
        raise click.UsageError("--interactive cannot be combined with --show, --html or --format json.")
    if everything and not interactive:
        raise click.UsageError("--all goes with --interactive (walk every segment, reviewed ones too).")
    conf = settings(ctx)
    if aside:
        if show or html_file or interactive or approve:
            raise click.UsageError("--set-aside cannot be combined with --show, --html, --interactive or --approve.")
        _set_aside(ctx, conf, paths, fmt)
        return
    if show or html_file:
        _look(ctx, conf, paths, show, html_file, fmt)
        return
    from workflow.review.run import review as run

    with domain_errors():
        report = run(conf, paths, reviewer=reviewer, approve=approve)
    if fmt == "json":
        payload = {"documents": [_document_json(d) for d in report.documents], "reviewer": report.reviewer,
                   "exit_code": report.exit_code}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    if interactive and report.exit_code < 2:
        _walk(ctx, conf, paths, reviewer, everything)
    ctx.exit(report.exit_code)


def _document_json(doc: Any) -> dict[str, Any]:
    data = asdict(doc)
    data.update(edited=doc.edited, approved=doc.approved)
    return data


def _print_report(report: Any) -> None:
    counts: dict[str, int] = {}
    for doc in report.documents:
        counts[doc.state] = counts.get(doc.state, 0) + 1
        if doc.message:
            click.echo(click.style(f"{doc.state}: ", fg=STATE_COLOURS.get(doc.state)) + doc.message, err=True)
            continue
        click.echo(click.style(f"{doc.state:>10}", fg=STATE_COLOURS.get(doc.state))
                   + f"  {doc.output}  ({doc.edited} edited, {doc.approved} approved; {doc.reviewed}/{doc.total} reviewed)")
        for change in doc.changes:
            if change.action != "approved":
                click.echo(f"            line {change.line}: {change.action} ({change.kind}, {change.id})")
    summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "nothing to review"
    who = f" Reviewer: {report.reviewer}." if report.reviewer else ""
    click.echo(f"{len(report.documents)} documents: {summary}.{who}")


def _set_aside(ctx: click.Context, conf: Any, paths: tuple[Path, ...], fmt: str) -> None:
    from workflow.review.aside import set_aside
    from workflow.review.results import utc_now

    with domain_errors():
        done = set_aside(conf, paths, utc_now())
    if fmt == "json":
        click.echo(json.dumps([asdict(d) for d in done], ensure_ascii=False, indent=2))
    else:
        for item in done:
            if item.message:
                click.echo(click.style("refused: ", fg="yellow") + item.message, err=True)
            elif item.aside:
                click.echo(f"set aside  {item.output} -> {item.aside}; {item.output} written again from memory")
        moved = sum(1 for d in done if d.aside)
        click.echo(f"{len(done)} documents: {moved} set aside, {len(done) - moved - sum(1 for d in done if d.message)} "
                   "had nothing unrecorded.")
    ctx.exit(max((d.exit_code for d in done), default=0))


# -- --show and --html: read memory, write nothing but the report ------------------------------


def _look(ctx: click.Context, conf: Any, paths: tuple[Path, ...], show: bool, html_file: Path | None, fmt: str) -> None:
    from workflow.review.views import html_report, views
    from workflow.store.files import atomic_write

    with domain_errors():
        documents = views(conf, paths, everything=bool(html_file))
    for doc in documents:
        if doc.unrecorded:
            warn(f"{doc.output} has edits that are not recorded yet; run `workflow review {doc.output}`.")
    if html_file:
        atomic_write((conf.root / html_file).resolve(), html_report(documents).encode("utf-8"))  # -C: as if there
        click.echo(f"wrote {html_file}", err=show or fmt == "json")
    if not show:
        return
    if fmt == "json":
        click.echo(json.dumps([asdict(d) for d in documents], ensure_ascii=False, indent=2))
        return
    colour = use_colour(ctx)
    for doc in documents:
        pending = [s for s in doc.segments if s.pending or s.edited or s.after]
        click.echo(click.style(f"{doc.source} -> {doc.output}", bold=True)
                   + f"  ({doc.reviewed}/{doc.total} reviewed, {len(pending)} to look at)")
        for segment in pending:
            _show_segment(segment, colour, doc.source)
        for lost in doc.lost:
            click.echo(click.style("  lost English", fg="red") + f" {lost.key} (was line {lost.line}): {lost.final}")
            click.echo(f"    zh:      {lost.source}")
            if lost.after:
                click.echo("    added after it: " + " / ".join(lost.after.strip("\n").split("\n")))
            click.echo(f"    decide:  workflow memory restore|dismiss {doc.source} {lost.key}")


def use_colour(ctx: click.Context) -> bool:
    """Colour unless NO_COLOR (ctx.color False) or output is not a terminal, as click.echo decides."""
    import click._compat

    return not click._compat.should_strip_ansi(sys.stdout, ctx.color)


def _show_segment(segment: Any, colour: bool, source: str) -> None:
    from workflow.text.diff import DELETE, INSERT, diff

    status = click.style(segment.status, fg={"machine": "yellow", "needs-review": "red"}.get(segment.status, "green"))
    click.echo(f"  {source}:{segment.line}  {segment.kind}  {status}" + "".join(f"; {r}" for r in segment.reasons))
    click.echo(f"    zh:      {segment.source}")
    ops = diff(segment.machine, segment.final)
    click.echo("    machine: " + "".join(_mark(op, t, colour) for op, t in ops if op != INSERT))
    if segment.edited:
        shown = "".join(_mark(op, t, colour) for op, t in ops if op != DELETE) if segment.final else "(deleted)"
        click.echo("    final:   " + shown)
    if segment.after:
        click.echo("    added:   " + " / ".join(line for line in segment.after.split("\n") if line.strip()))
    if segment.previous_source:
        click.echo(f"    zh then: {segment.previous_source}")
    if segment.previous_final and segment.previous_final != segment.final:
        click.echo(f"    before:  {segment.previous_final}")
    for match in segment.matches:
        click.echo(f"    tm {match.get('score')}%:  {match.get('target')}  ({match.get('origin')}, {match.get('status')})")
    if segment.hints:
        click.echo("    glossary: " + "; ".join(f"{zh} → {en}" for zh, en in segment.hints))


def _mark(op: int, text: str, colour: bool) -> str:
    if op == 0:
        return text
    if colour:
        return click.style(text, fg="red", strikethrough=True) if op < 0 else click.style(text, fg="green", underline=True)
    return f"[-{text}-]" if op < 0 else f"{{+{text}+}}"


# -- --interactive ----------------------------------------------------------------------------


COMMENT = "#|"  # never a Markdown heading (a heading needs a space after its #s): stripped on save


def _walk(ctx: click.Context, conf: Any, paths: tuple[Path, ...], reviewer: str | None, everything: bool) -> None:
    from workflow.review.results import Reviewer, utc_now
    from workflow.review.views import decide, views

    colour = use_colour(ctx)
    with domain_errors():
        documents = [d for d in views(conf, paths, everything=everything) if d.current and not d.unrecorded]
        who = Reviewer(conf, reviewer)
        queue = [(d, s) for d in documents for s in d.segments if s.pending or everything]
        if queue:
            who()
    done = 0
    for number, (doc, segment) in enumerate(queue, start=1):
        click.echo(click.style(f"\n[{number}/{len(queue)}] {doc.output}", bold=True))
        _show_segment(segment, colour, doc.source)
        for k, match in enumerate(segment.matches[:9], start=1):
            click.echo(f"    {k}: take the tm {match.get('score')}% match: {match['target']}")
        final, choice = _decide(segment)
        if choice in ("a", "e", "m"):
            with domain_errors():
                decide(conf, _source(conf, doc.source), segment.id, final=final, reviewer=who(), now=utc_now())
            done += 1
            click.echo("  accepted" if choice == "a" else "  recorded")
        if choice == "q":
            break
    click.echo(f"{done} segments reviewed, {len(queue) - done} left.")


def _decide(segment: Any) -> tuple[str | None, str]:
    """One key per decision, no Enter: (the new final or None, a | e | m | s | q)."""
    from workflow.review.finals import final_problem

    offered = "".join(str(k) for k in range(1, min(9, len(segment.matches)) + 1))
    prompt = "  [a]ccept [e]dit [s]kip [q]uit" + (f" [1-{offered[-1]}] take a match" if offered else "") + " "
    while True:
        click.echo(prompt, nl=False)
        key = _key("aesq" + offered)
        click.echo(key)
        if key in offered:
            return str(segment.matches[int(key) - 1]["target"]), "m"
        if key != "e":
            return None, key
        edited = click.edit(_buffer(segment), extension=".md")
        if edited is None:
            click.echo("  unchanged; skipped")
            return None, "s"
        final = "\n".join(line for line in edited.split("\n") if not line.startswith(COMMENT)).strip("\n")
        problem = final_problem(segment.kind, final) if final != segment.final else ""
        if problem:
            click.echo(f"  {problem}, which would change the structure of the page; edit again")
            continue
        return final, "e"


def _key(allowed: str) -> str:
    """One key press (Enter and other keys ignored); end of input or Ctrl-C/D quits."""
    while True:
        key = click.getchar()
        if key in ("", "\x03", "\x04"):
            return "q"
        if key.lower() in allowed:
            return key.lower()


def _buffer(segment: Any) -> str:
    """The English to edit, with the Chinese, glossary and matches as comment lines after it."""
    notes = [f"{COMMENT} Lines starting with {COMMENT} are removed. The Chinese ({segment.kind}, line {segment.line}):"]
    notes += [f"{COMMENT}   {line}" for line in segment.source.split("\n")]
    notes += [f"{COMMENT} glossary: {zh} → {en}" for zh, en in segment.hints]
    notes += [f"{COMMENT} reason: {reason}" for reason in segment.reasons]
    if segment.machine != segment.final:
        notes.append(f"{COMMENT} machine: {segment.machine}")
    notes += [f"{COMMENT} tm {m.get('score')}%: {m.get('source')} → {m['target']}" for m in segment.matches]
    return str(segment.final) + "\n\n" + "\n".join(notes) + "\n"


def _source(conf: Any, shown: str) -> Path:
    return Path(conf.root / shown)
