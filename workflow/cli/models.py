"""`workflow models`: the Argos Translate packages the argos engine runs.

Thin: each command calls one function of `workflow.engines.argos_packages` (which
is imported only when a command runs, so `workflow --help` stays fast) and prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from workflow.cli import domain_errors, format_option, progress_file, settings, stderr_is_tty


def _packages() -> Any:
    from workflow.engines import argos_packages

    return argos_packages


@click.group(epilog="""\b
Examples:
  workflow models list                              installed packages
  workflow models list --available                  and those in the package index
  workflow models install                           download and install translate-zh_en
  workflow models install --file zh_en.argosmodel   install a downloaded file (offline)
  workflow models remove translate-zh_en            uninstall it

Packages live in ARGOS_PACKAGES_DIR (default ~/.local/share/argos-translate/packages);
the index is ARGOS_PACKAGE_INDEX + index.json.
""")
def models() -> None:
    """Install, list and remove the Argos Translate models of the argos engine."""


@models.command("list", epilog="""\b
Examples:
  workflow models list
  workflow models list --available --format json
""")
@click.option("--available", is_flag=True, help="Also list the packages of the online package index.")
@format_option
def list_(available: bool, fmt: str) -> None:
    """List installed packages: name, version, languages, size, folder."""
    packages = _packages()
    with domain_errors():
        installed = packages.list_installed()
        offered = packages.fetch_index() if available else None
    if fmt == "json":
        payload: dict[str, Any] = {"packages_dir": str(packages.packages_dir()),
                                   "installed": [p.to_json() for p in installed]}
        if offered is not None:
            payload["available"] = [p.to_json() for p in offered]
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    click.echo(f"Installed in {packages.packages_dir()}:")
    for p in installed:
        click.echo(f"  {p.name:<20} {p.version:<8} {p.pair:<7} {packages.human_size(p.size):>9}  {p.path}")
    if not installed:
        click.echo("  none. Install the zh→en model: `workflow models install` "
                   "(offline: `workflow models install --file PATH.argosmodel`).")
    if offered is not None:
        click.echo(f"Available from {packages.index_url()}:")
        for p in offered:
            click.echo(f"  {p.name:<20} {p.version:<8} {p.pair:<7} {p.from_name} → {p.to_name}")


@models.command(epilog="""\b
Examples:
  workflow models install                          translate-zh_en ([tool.workflow.argos] package)
  workflow models install translate-zh_en
  workflow models install --file ~/Downloads/translate-zh_en-1_9.argosmodel
""")
@click.argument("name", required=False)
@click.option("--file", "file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Install this .argosmodel file instead of downloading (works offline).")
@click.pass_context
def install(ctx: click.Context, name: str | None, file: Path | None) -> None:
    """Download and install a package from the index (default: the configured zh→en one).

    Says what it will download and how big before it starts; another installed
    version of the same package is replaced. Offline, download the .argosmodel
    file elsewhere and use --file.
    """
    packages = _packages()
    if file is not None and name:
        raise click.UsageError("give a package NAME or --file, not both.")
    with domain_errors():
        if file is None:
            fetch_and_install(name or settings(ctx).argos.package)
            return
        installed, replaced = packages.install_file(file)
    _report_install(installed, replaced, err=False)


def fetch_and_install(name: str, err: bool = False) -> None:
    """Say what will be downloaded and how big, download with a progress bar, install.

    Also what `workflow translate` calls (err=True: its stdout is the report) when the
    model it needs is not installed.
    """
    packages = _packages()
    pkg = packages.find_available(name)
    click.echo(f"Downloading {pkg.name} {pkg.version} ({pkg.pair}, {packages.human_size(pkg.size)}) "
               f"from {pkg.links[0] if pkg.links else packages.index_url()}", err=err)
    file = _download(packages, pkg)
    try:
        installed, replaced = packages.install_file(file)
    finally:
        file.unlink(missing_ok=True)
    _report_install(installed, replaced, err)


def _report_install(installed: Any, replaced: list[Any], err: bool) -> None:
    packages = _packages()
    for old in replaced:
        click.echo(f"Removed {old.name} {old.version} ({old.path})", err=err)
    click.echo(f"Installed {installed.name} {installed.version} ({installed.pair}, "
               f"{packages.human_size(installed.size)}) in {installed.path}", err=err)


def _download(packages: Any, pkg: Any) -> Path:
    show = stderr_is_tty()
    with click.progressbar(length=pkg.size or 0, label="downloading", file=progress_file(show),
                           show_eta=True, show_percent=pkg.size is not None) as bar:
        last = 0

        def progress(done: int, total: int | None) -> None:
            nonlocal last
            if total and bar.length != total:
                bar.length = total
            bar.update(done - last)
            last = done

        path: Path = packages.download(pkg, progress)
    return path


@models.command(epilog="""\b
Examples:
  workflow models remove translate-zh_en
""")
@click.argument("name")
def remove(name: str) -> None:
    """Uninstall a package (every installed version of it)."""
    packages = _packages()
    with domain_errors():
        removed = packages.remove(name)
    for p in removed:
        click.echo(f"Removed {p.name} {p.version} ({p.path})")
