"""The simulator: coverage grows with adoption, Bluetooth's with its square (small, seeded)."""

import csv
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kiemdich.proximity import simulation


@pytest.fixture(scope="module")
def sweep():
    scenario = simulation.Scenario(people=2000, days=3, seed=1, case_share=0.1)
    return simulation.simulate(scenario, [0.1, 0.3, 0.6, 0.9])


def test_coverage_rises_with_adoption_and_bluetooth_with_its_square(sweep):
    bluetooth = [p.share("bluetooth") for p in sweep.points]
    either = [p.share("either") for p in sweep.points]
    assert bluetooth == sorted(bluetooth) and bluetooth[0] < bluetooth[-1]
    assert either == sorted(either)
    at_30, at_90 = bluetooth[1], bluetooth[3]
    assert 0.67 * 9 < at_90 / at_30 < 1.5 * 9  # (0.9 / 0.3) ** 2 = 9
    # QR scans do not need the app: the same contacts found at every level
    assert len({p.qr for p in sweep.points}) == 1 and sweep.points[0].qr > 0
    assert all(
        p.either >= max(p.bluetooth, p.qr) and p.both <= min(p.bluetooth, p.qr)
        for p in sweep.points
    )


def test_the_same_seed_gives_the_same_district():
    scenario = simulation.Scenario(people=500, days=3, seed=9, case_share=0.02)
    first = simulation.simulate(scenario, [0.8]).points
    assert simulation.simulate(scenario, [0.8]).points == first
    assert first[0].true_contacts > 0


def test_the_command_writes_the_chart_the_table_and_the_parameters(tmp_path, capsys):
    out = StringIO()
    call_command(
        "proximity",
        "simulate",
        "--people",
        "400",
        "--adoption",
        "60",
        "--days",
        "2",
        "--seed",
        "5",
        "--out",
        str(tmp_path),
        stdout=out,
    )
    assert "60%" in out.getvalue()
    rows = list(csv.DictReader((tmp_path / "simulation.csv").open()))
    assert [r["adoption"] for r in rows] == ["0.6"]
    assert (tmp_path / "simulation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    params = json.loads((tmp_path / "simulation.json").read_text())
    assert params["scenario"]["people"] == 400 and params["scenario"]["seed"] == 5
    assert "adoption levels" in capsys.readouterr().err  # the progress bar


def test_an_adoption_out_of_range_is_refused():
    with pytest.raises(CommandError, match="--adoption"):
        call_command("proximity", "simulate", "--people", "100", "--adoption", "150")
