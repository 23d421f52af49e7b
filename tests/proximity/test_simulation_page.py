"""The officials' page of the latest simulation: empty state, chart, table, who may see it."""

import pytest
from django.utils.timezone import localtime

from kiemdich.proximity import simulation


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def test_without_a_simulation_the_page_tells_how_to_run_one(client, personas, data_dir):
    client.force_login(personas["tracer"])
    page = client.get("/proximity/simulation/").content.decode()
    assert "kiemdich proximity simulate" in page and 'id="simulation-chart"' not in page
    assert client.get("/proximity/simulation/chart.png").status_code == 404


def test_the_page_shows_the_latest_chart_table_and_parameters(client, personas, data_dir):
    scenario = simulation.Scenario(people=300, days=2, seed=4, case_share=0.05)
    result = simulation.simulate(scenario, [0.3, 0.9])
    simulation.write_outputs(result, simulation.folder(data_dir))
    client.force_login(personas["district"])
    page = client.get("/proximity/simulation/").content.decode()
    assert 'id="simulation-chart"' in page
    assert 'data-adoption="30"' in page and 'data-adoption="90"' in page
    assert 'data-param="people">300<' in page and 'data-param="seed">4<' in page
    assert localtime(result.ran_at).strftime("%d/%m/%Y %H:%M") in page
    chart = client.get("/proximity/simulation/chart.png")
    assert (
        chart["Content-Type"] == "image/png" and b"".join(chart.streaming_content)[:4] == b"\x89PNG"
    )
    table = client.get("/proximity/simulation/table.csv")
    assert b"".join(table.streaming_content).startswith(b"adoption,true_contacts,")


def test_citizens_and_checkpoint_owners_are_refused(client, personas, data_dir):
    for role in ("citizen", "venue_owner"):
        client.force_login(personas[role])
        assert client.get("/proximity/simulation/").status_code == 403
    client.logout()
    assert client.get("/proximity/simulation/").status_code == 302
