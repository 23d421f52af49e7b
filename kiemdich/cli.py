"""What every long or file-reading `kiemdich` command does the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from django.core.management.base import CommandError
from tqdm import tqdm

from kiemdich.tabular import ImportFileError, ImportReport


def progress_bar(desc: str) -> Callable[[Iterable], Iterable]:
    """A tqdm bar on stderr, silent when nobody is watching (not a terminal)."""
    return lambda items: tqdm(items, desc=desc, unit=" rows", disable=None, leave=False)


def run_import(command, path: Path, importer: Callable[..., ImportReport], desc: str):
    """Run an all-or-nothing importer, print every bad line, fail the command if any."""
    if not path.exists():
        raise CommandError(f"No such file: {path}")
    try:
        report = importer(path, progress=progress_bar(desc))
    except ImportFileError as exc:
        raise CommandError(f"{path}: {exc}. Nothing was saved.") from exc
    if not report.ok:
        for error in report.errors:
            command.stderr.write(f"{path}: {error}")
        raise CommandError(
            f"{len(report.errors)} error(s) in {path}; nothing from this file was saved."
        )
    return report
