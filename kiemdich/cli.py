"""What every long or file-reading `kiemdich` command does the same way."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone
from tqdm import tqdm

from kiemdich.tabular import ImportFileError, ImportReport


def at_option(text: str | None, example: str) -> dt.datetime | None:
    """A command's `--at`: an ISO date-time, local (Asia/Ho_Chi_Minh) without a zone, as
    officials say times; None when the option was not given (then the command uses now)."""
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        message = f"--at: not an ISO date-time: {text!r} (e.g. {example})"
        raise CommandError(message) from None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value


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
