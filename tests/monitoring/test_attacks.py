"""Monitoring's pages as an attacker tries them: the redirect after a team report stays on the
site, a closed monitoring's signed link names nobody, and a refused step on a person's page is
audited like the page itself."""

import uuid

import pytest
from django.urls import reverse

from kiemdich.accounts.models import AuditLog
from kiemdich.monitoring import services
from kiemdich.monitoring.links import report_token
from kiemdich.monitoring.models import CloseReason, Facility
from tests.tracing.test_pages import login

from .conftest import enrol

VISIT = {"reporter": "team_visit", "outcome": "seen_well"}


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/login/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)"],
)
def test_a_team_report_never_redirects_off_the_site(personas, people, client, target):
    an = enrol(personas["commune"], people["an"])
    login(client, personas["commune"])
    response = client.post(
        f"/monitoring/{an.pk}/team-report/",
        VISIT | {"client_id": str(uuid.uuid4()), "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("monitoring:detail", args=[an.pk])


def test_a_team_report_goes_back_to_the_work_list(personas, people, client):
    an = enrol(personas["commune"], people["an"])
    login(client, personas["commune"])
    response = client.post(
        f"/monitoring/{an.pk}/team-report/",
        VISIT | {"client_id": str(uuid.uuid4()), "next": "/monitoring/work/"},
    )
    assert response["Location"] == "/monitoring/work/"


def test_a_closed_monitorings_link_names_nobody(personas, people, client):
    """The link has no expiry and travels by SMS (a shared or second-hand phone keeps it): once
    the monitoring is closed it says so, without the person's name or regime."""
    an = enrol(personas["commune"], people["an"])
    link = reverse("monitoring:report", args=[report_token(an)])
    assert "Trần Thị An" in client.get(link).content.decode()
    services.close(personas["commune"], an, CloseReason.COMPLETED)
    for response in (client.get(link), client.post(link, {"temperature": "36.5"})):
        assert response.status_code == 410
        page = response.content.decode()
        assert 'id="closed"' in page and "Trần Thị An" not in page


def test_a_refused_step_on_a_persons_page_is_audited(personas, people, client):
    """The page shown again with the error holds the person's data like the page itself."""
    an = enrol(personas["commune"], people["an"])
    login(client, personas["commune"])
    before = AuditLog.objects.filter(actor=personas["commune"]).count()
    response = client.post(f"/monitoring/{an.pk}/transfer/", {"to_commune": "nowhere"})
    assert response.status_code == 422 and "Trần Thị An" in response.content.decode()
    logged = AuditLog.objects.filter(actor=personas["commune"]).order_by("pk")[before:]
    assert [log.subjects for log in logged] == [[people["an"].pk]]


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        ({"name": "Khu cách ly " * 20, "capacity": "50"}, "name"),
        ({"capacity": "99999999999"}, "capacity"),
    ],
)
def test_a_facility_out_of_bounds_is_a_422(personas, client, typed, field):
    """A name longer than the column or a capacity past any site's: a 422 on the page,
    not a 500 from the database."""
    login(client, personas["province"])
    response = client.post(
        "/monitoring/facilities/", {"name": "Ký túc xá", "commune": "25396", **typed}
    )
    assert response.status_code == 422
    assert not Facility.objects.exists()
