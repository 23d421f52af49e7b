"""The hotline's public side as an attacker tries it: Open311's XML stays well-formed whatever a
reporter typed, odd dates are never a 500, status lookups are rate-limited like the
form, and a solved challenge cannot be posted again."""

import xml.etree.ElementTree as ET

import pytest

from kiemdich.accounts.models import Role
from kiemdich.hotline import services
from kiemdich.hotline.models import Ticket
from tests.conftest import make_user
from tests.hotline.test_clock import report
from tests.hotline.test_pages import FORM, answer_of


def test_open311_xml_is_well_formed_whatever_the_reporter_typed(client, hotline):
    typed = "Tụ tập\x0bđông\x1b[31m người\x7f ở chợ \ufffe"
    ticket = services.receive(report(description=typed, location="chợ\x08", public=True))
    for path in (f"/open311/v2/requests/{ticket.number}.xml", "/open311/v2/requests.xml"):
        answer = client.get(path)
        assert answer.status_code == 200
        root = ET.fromstring(answer.content)  # noqa: S314 (our own answer)
        assert root.find("request/description").text == "Tụ tậpđông[31m người\x7f ở chợ "
        assert root.find("request/address").text == "chợ"
    # JSON carries any character escaped: the text as typed.
    assert (
        client.get(f"/open311/v2/requests/{ticket.number}.json").json()[0]["description"] == typed
    )


@pytest.mark.parametrize(
    "query",
    [
        "end_date=0001-01-01T00:00:00",
        "end_date=0001-01-01T00:00:00%2B14:00",
        "start_date=9999-12-31T23:59:59-12:00",
        "start_date=2026-13-01",
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_odd_dates_never_fail(client, hotline, query, fmt):
    """Dates at the ends of the calendar: a 400 if the window cannot be computed, never a 500."""
    assert client.get(f"/open311/v2/requests.{fmt}?{query}").status_code in (200, 400)


@pytest.mark.parametrize(
    "path",
    [
        "/1022/status/?number=ABCD2345",
        "/open311/v2/requests/ABCD2345.json",
        "/open311/v2/requests.xml",
    ],
)
def test_status_lookups_are_rate_limited(client, hotline, settings, path):
    """Receipt numbers are random, but nothing should let one address try them at will."""
    # Per hour, not per minute: a window that ended between the four requests would reset it.
    settings.RATELIMITS = {**settings.RATELIMITS, "hotline-status": "3/h"}
    assert [client.get(path).status_code for _ in range(4)][-2:] in ([404, 429], [200, 429])
    other = client.get(path, REMOTE_ADDR="203.0.113.9")
    assert other.status_code != 429


def test_a_solved_challenge_cannot_be_posted_again(client, hotline):
    token, answer = answer_of(client.get("/1022/").content.decode())
    assert client.post("/1022/", FORM | {"challenge": token, "answer": answer}).status_code == 200
    again = client.post("/1022/", FORM | {"challenge": token, "answer": answer})
    assert again.status_code == 200 and 'class="error"' in again.content.decode()
    assert Ticket.objects.count() == 1


def test_statistics_at_the_ends_of_the_calendar(client, hotline):
    """An official's odd dates: the API refuses them (422), the page shows the last week."""
    client.force_login(hotline["province"])
    for query in ("to=0001-01-01", "from=9999-12-30&to=9999-12-31"):
        answer = client.get(f"/api/v1/stats/hotline?unit=70&{query}")
        assert (answer.status_code, answer.json()["code"]) == (422, "invalid")
    for query in ("end=0001-01-01", "start=9999-12-30&end=9999-12-31"):
        assert client.get(f"/hotline/stats/?unit=70&{query}").status_code == 200


def test_open311s_list_costs_the_same_few_queries_for_many_reports(
    client, hotline, django_assert_max_num_queries
):
    """A public GET lists up to 1,000 reports: one query more per report would let anyone make
    the database do a thousand for each request."""
    for n in range(30):
        services.receive(report(description=f"Tụ tập số {n}", public=True))
    with django_assert_max_num_queries(4):
        listed = client.get("/open311/v2/requests.json")
    assert len(listed.json()) == 30


def test_the_service_refuses_an_operator_a_commune_outside_their_area(hotline):
    """The rule is the service's, so every way in (page, API, a future one) keeps it."""
    elsewhere = make_user("tongdai_locninh", Role.HOTLINE_OPERATOR, "692")
    with pytest.raises(services.TicketFieldError) as refused:
        services.receive(report(), actor=elsewhere)
    assert refused.value.field == "commune_code"
    assert not Ticket.objects.exists()
    assert services.receive(report(), actor=hotline["operator"]).commune_id == "25396"


def test_deleting_a_rule_by_a_made_up_id_is_a_404(client, hotline):
    client.force_login(hotline["province"])
    for which in ("abc", "1 OR 1=1", "99999999999999999999999"):
        assert client.post("/hotline/rules/", {"delete": which}).status_code == 404
