"""The results table of `python -m bench` (bench/summary.py): ratios, PASS/MISS, Markdown.

No database: the table is built from figures as the benchmarks return them."""

import pytest

from bench.common import Figure
from bench.summary import (
    README_END,
    README_START,
    Machine,
    exit_status,
    markdown_block,
    markdown_report,
    markdown_table,
    replace_readme_block,
    row,
    text_table,
)

SCANS = Figure(
    name="single scans, POST /checkins",
    unit="req/s",
    median=1_500.0,
    target=1_000.0,
    baseline=3_000.0,
    baseline_label="GET /health",
    higher_is_better=True,
    ratio_target=0.40,
    benchmark="scans",
)
F1 = Figure(
    name="F1 of one F0",
    unit="ms",
    median=2.4,
    p90=3.1,
    target=10.0,
    baseline=1.2,
    baseline_label="SQL self-join",
    ratio_target=3.0,
    benchmark="tracing",
)
MACHINE = Machine(
    date="2026-12-02 10:00",
    cpus=2,
    usable_cpus=2,
    cpu_model="Test CPU @ 2.0GHz",
    memory="7.8 GiB RAM",
    system="Linux 6.1",
    software="Python 3.11.2, Django 5.2.19, psycopg 3.3.9 (binary)",
    postgres="15.6 on 127.0.0.1:5432, database kiemdich_bench",
    postgres_settings="shared_buffers=128MB",
)


def test_ratio_is_median_over_baseline_and_absent_without_one():
    assert SCANS.ratio == pytest.approx(0.5)
    assert Figure(name="x", unit="MB", median=1, target=2).ratio is None
    assert Figure(name="x", unit="ms", median=1, target=2, baseline=0).ratio is None


def test_pass_needs_the_value_the_ratio_and_no_errors():
    assert SCANS.passed and F1.passed
    slow = Figure(**{**F1.__dict__, "median": 12.0, "baseline": 10.0})
    assert slow.misses == ["value"]
    far_from_baseline = Figure(**{**F1.__dict__, "median": 4.0, "baseline": 1.0})
    assert far_from_baseline.misses == ["ratio"]  # 4 ms is under 10 ms, but 4x its self-join
    low_share = Figure(**{**SCANS.__dict__, "baseline": 4_000.0})
    assert low_share.misses == ["ratio"]  # 1,500 of 4,000 req/s is 37.5 %
    failing = Figure(**{**SCANS.__dict__, "errors": 3})
    assert failing.misses == ["3 errors"]
    at_target = Figure(
        name="rate", unit="scans/s", median=20_000, target=20_000, higher_is_better=True
    )
    assert at_target.passed  # ≥ for rates
    assert not Figure(name="time", unit="ms", median=100, target=100).passed  # < for times


def test_rows_show_ratio_target_and_result():
    assert row(SCANS) == (
        "scans",
        "single scans, POST /checkins",
        "1,500 req/s",
        "–",
        "GET /health",
        "3,000 req/s",
        "0.50x",
        "≥ 1,000 req/s, ratio ≥ 0.40x",
        "PASS",
    )
    cells = row(Figure(**{**F1.__dict__, "median": 40.0, "errors": 2}))
    assert cells[6] == "33.33x"
    assert cells[7] == "< 10.0 ms, ratio < 3.00x"
    assert cells[8] == "MISS (value, ratio, 2 errors)"
    assert row(Figure(name="t", unit="ms", median=900, target=100, baseline=90_000))[6] == "0.010x"


def test_checks_read_same_or_mismatch():
    ok, bad = Figure.check("totals", True, "count(*)"), Figure.check("totals", False, "count(*)")
    assert row(ok)[2:] == ("same", "–", "count(*)", "–", "–", "same", "PASS")
    assert row(bad)[2] == "MISMATCH" and row(bad)[8] == "MISMATCH"


def test_text_table_is_aligned():
    lines = text_table([SCANS, F1]).splitlines()
    assert lines[0].split()[:2] == ["benchmark", "figure"]
    assert set(lines[1]) == {"-", " "}
    # Every column starts at the same place on every line (the result column is last).
    assert len({line.index("PASS") for line in lines[2:]}) == 1
    assert lines[3].startswith("tracing ")
    assert lines[3].index("F1 of one F0") == lines[0].index("figure")


def test_markdown_table_and_report():
    table = markdown_table([SCANS, Figure.check("a | b", True)]).splitlines()
    assert table[0].startswith("| benchmark | figure | median |")
    assert table[1].startswith("|---|---|---:|")
    assert "a \\| b" in table[3]  # a pipe in a cell does not split it
    assert all(line.count(" | ") >= 8 for line in table if line.startswith("| "))
    report = markdown_report([SCANS, F1], MACHINE, "python -m bench", "whole run 506 s", [])
    assert report.startswith("# Latest benchmark results")
    for fact in ("2026-12-02 10:00", "2 CPUs (2 usable), Test CPU @ 2.0GHz, 7.8 GiB RAM", "15.6"):
        assert fact in report
    assert "2 of 2 PASS" in report
    failed = markdown_block([F1], MACHINE, "python -m bench", "", ["scans"])
    assert "failed to run (no figures): scans" in failed


def test_readme_block_is_replaced_between_its_markers_only():
    text = f"# kiemdich\n\n## Benchmarks\n\n{README_START}\nold table\n{README_END}\n\nafter\n"
    new = replace_readme_block(text, "new table\n")
    assert (
        new == f"# kiemdich\n\n## Benchmarks\n\n{README_START}\nnew table\n{README_END}\n\nafter\n"
    )
    with pytest.raises(ValueError):
        replace_readme_block("no markers", "x")


def test_exit_status_keeps_a_miss_informational_unless_strict():
    slow = Figure(**{**F1.__dict__, "median": 12.0})
    assert exit_status([SCANS, slow], []) == 0  # a MISS on a time is not a failure
    assert exit_status([SCANS, slow], [], strict=True) == 3
    assert exit_status([SCANS], ["posters"]) == 1  # a benchmark raised
    assert exit_status([Figure.check("totals", False)], []) == 1  # a wrong answer


def test_the_readme_has_the_block_python_m_bench_rewrites():
    from bench.__main__ import README

    text = README.read_text()
    assert text.count(README_START) == 1 and text.count(README_END) == 1
