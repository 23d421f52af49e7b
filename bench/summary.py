"""The summary of a run: one table of every figure, as plain text and as Markdown.

`python -m bench` prints `text_table` at the end and writes `markdown_report` (the machine it
ran on, then the same table) to bench/latest.md; a whole run at the default sizes also puts
the table into README.md between `README_START` and `README_END`. Free of Django and of the
database, so tests/bench/test_summary.py can check it in `make test`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .common import Figure

COLUMNS = (
    "benchmark",
    "figure",
    "median",
    "p90",
    "baseline",
    "baseline median",
    "ratio",
    "target",
    "result",
)
README_START = "<!-- bench:latest:start (python -m bench rewrites this block) -->"
README_END = "<!-- bench:latest:end -->"
NONE = "–"


def number(value: float | None, unit: str) -> str:
    """A value with its unit, as precise as its size deserves."""
    if value is None:
        return NONE
    if unit == "ms":
        return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"
    if unit == "s":
        return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
    if unit == "%":
        return f"{value:.0f} %"
    return f"{value:,.0f} {unit}"


def ratio_text(ratio: float | None) -> str:
    if ratio is None:
        return NONE
    return f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.3f}x"


def target_text(f: Figure) -> str:
    if f.is_check:
        return "same"
    sign = "≥" if f.higher_is_better else "<"
    text = f"{sign} {number(f.target, f.unit)}"
    if f.ratio_target is not None:
        text += f", ratio {sign} {ratio_text(f.ratio_target)}"
    return text


def result_text(f: Figure) -> str:
    misses = f.misses
    if not misses:
        return "PASS"
    if f.is_check:
        return "MISMATCH"
    return "MISS" if misses == ["value"] else f"MISS ({', '.join(misses)})"


def row(f: Figure) -> tuple[str, ...]:
    """The cells of one figure, in the order of COLUMNS."""
    if f.is_check:
        value, p90, base = ("same" if f.passed else "MISMATCH"), NONE, NONE
    else:
        value, p90, base = (
            number(f.median, f.unit),
            number(f.p90, f.unit),
            number(f.baseline, f.unit),
        )
    return (
        f.benchmark or NONE,
        f.name,
        value,
        p90,
        f.baseline_label or NONE,
        base,
        ratio_text(f.ratio),
        target_text(f),
        result_text(f),
    )


def text_table(figures: Iterable[Figure]) -> str:
    """Plain text, columns aligned; numbers right-aligned so their digits line up."""
    rows = [row(f) for f in figures]
    widths = [max(len(r[i]) for r in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    numeric = {2, 3, 5, 6}

    def line(cells: tuple[str, ...], header: bool = False) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric and not header else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [line(COLUMNS, header=True), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    return "\n".join(out) + "\n"


def _md(cell: str) -> str:
    return cell.replace("|", "\\|")


def markdown_table(figures: Iterable[Figure]) -> str:
    """A GitHub Markdown table of the same cells; numeric columns right-aligned."""
    align = ["---:" if i in {2, 3, 5, 6} else "---" for i in range(len(COLUMNS))]
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(_md(c) for c in row(f)) + " |" for f in figures]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Machine:
    """What the figures were measured on; the header of the run and of the Markdown."""

    date: str  # YYYY-MM-DD HH:MM, local time
    cpus: int
    usable_cpus: int
    cpu_model: str
    memory: str  # e.g. "7.8 GiB RAM"
    system: str  # e.g. "Linux 6.1.0-18-amd64"
    software: str  # Python, Django, psycopg
    postgres: str  # version and where
    postgres_settings: str  # shared_buffers=..., work_mem=...

    def lines(self) -> list[tuple[str, str]]:
        return [
            (
                "machine",
                f"{self.cpus} CPUs ({self.usable_cpus} usable), {self.cpu_model}, {self.memory}",
            ),
            ("software", f"{self.software}, {self.system}"),
            ("PostgreSQL", f"{self.postgres}; {self.postgres_settings}"),
        ]


def passed_count(figures: list[Figure]) -> str:
    misses = sum(1 for f in figures if not f.passed)
    return f"{len(figures) - misses} of {len(figures)} PASS" + (f", {misses} not" if misses else "")


def markdown_block(
    figures: list[Figure], machine: Machine, command: str, summary: str, failed: list[str]
) -> str:
    """The machine, the command and the table, without a title (for README.md as well)."""
    out = [f"Measured {machine.date} by `{command}` ({summary}); {passed_count(figures)}.", ""]
    out += [f"- {label}: {text}" for label, text in machine.lines()]
    if failed:
        out.append(f"- failed to run (no figures): {', '.join(failed)}")
    out += ["", markdown_table(figures).rstrip("\n")]
    return "\n".join(out) + "\n"


def markdown_report(
    figures: list[Figure], machine: Machine, command: str, summary: str, failed: list[str]
) -> str:
    return (
        "# Latest benchmark results\n\n"
        "Written by `python -m bench` (`make bench`); see [README.md](README.md) for what each "
        "figure and baseline is.\n\n" + markdown_block(figures, machine, command, summary, failed)
    )


_BLOCK = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.DOTALL)


def replace_readme_block(text: str, block: str) -> str:
    """`text` with what stands between the README markers replaced by `block`.

    Raises ValueError when the markers are missing, so a moved README is noticed."""
    if not _BLOCK.search(text):
        raise ValueError(f"no {README_START!r} … {README_END!r} block")
    return _BLOCK.sub(lambda _m: f"{README_START}\n{block}{README_END}", text, count=1)


def write_markdown(path: Path, report: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report, encoding="utf-8")


def exit_status(figures: list[Figure], failed: list[str], strict: bool = False) -> int:
    """0: every benchmark ran and every check agreed (a MISS on a time is information: times
    depend on the machine); 1: a benchmark raised or a check found a mismatch; 3: with
    `strict`, a figure missed its target."""
    if failed or any(f.is_check and not f.passed for f in figures):
        return 1
    if strict and any(not f.passed for f in figures):
        return 3
    return 0
