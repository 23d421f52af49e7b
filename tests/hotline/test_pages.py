"""The hotline's pages and the public's Open311 API."""

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from kiemdich.accounts.models import AuditLog
from kiemdich.hotline import services
from kiemdich.hotline.forms import challenge_answer
from kiemdich.hotline.models import Category, RoutingRule, Status, Ticket
from tests.conftest import PASSWORD
from tests.hotline.test_clock import report

FORM = {
    "category": "suspected_case",
    "commune_code": "25396",
    "location": "Chợ Đức Phong",
    "description": "Một người ho sốt ở chợ",
    "phone": "0912345678",
    "public": "no",
}


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def answer_of(page: str) -> tuple[str, str]:
    token = re.search(r'name="challenge" value="([^"]+)"', page).group(1)
    return token, str(challenge_answer(token))


def test_a_citizen_files_and_follows_a_report_without_personal_data(client, hotline):
    page = client.get("/1022/").content.decode()
    token, answer = answer_of(page)
    wrong = client.post("/1022/", FORM | {"challenge": token, "answer": "99"})
    assert wrong.status_code == 200 and Ticket.objects.count() == 0
    assert "Một người ho sốt ở chợ" in wrong.content.decode()  # typed text is kept
    filed = client.post("/1022/", FORM | {"challenge": token, "answer": answer})
    ticket = Ticket.objects.get()
    assert ticket.number in filed.content.decode()
    assert (ticket.channel, ticket.status, ticket.public) == ("web", Status.ASSIGNED, False)
    status = client.get(f"/1022/status/?number={ticket.number.lower()}").content.decode()
    assert "TTYT Bù Đăng" in status
    for personal in ("0912", "+8491", "Một người ho", "Chợ Đức Phong"):
        assert personal not in status


def test_the_public_form_is_rate_limited(client, hotline, settings):
    settings.RATELIMITS = {**settings.RATELIMITS, "hotline-report": "1/h"}
    token, answer = answer_of(client.get("/1022/").content.decode())
    assert client.post("/1022/", FORM | {"challenge": token, "answer": answer}).status_code == 200
    assert client.post("/1022/", FORM | {"challenge": token, "answer": answer}).status_code == 429
    assert Ticket.objects.count() == 1


def test_an_operator_logs_a_call_on_one_page(client, hotline):
    login(client, hotline["operator"])
    answer = client.post(
        "/hotline/new/",
        {
            "channel": "call",
            "caller_phone": "",
            "category": "gathering",
            "commune_code": "25396",
            "description": "Tụ tập đông người",
        },
        follow=True,
    )
    ticket = Ticket.objects.get()
    assert ticket.number in answer.content.decode()
    assert ticket.status == Status.UNROUTED  # no rule for gatherings: the supervisor's queue
    queue = client.get("/hotline/").content.decode()
    assert ticket.number in queue


def test_the_agency_acknowledges_and_resolves_on_its_pages(client, hotline):
    ticket = services.receive(report())
    login(client, hotline["health_member"])
    assert ticket.number in client.get("/hotline/inbox/").content.decode()
    page = client.get(f"/hotline/tickets/{ticket.pk}/").content.decode()
    assert "+84912345678" in page
    assert AuditLog.objects.filter(actor=hotline["health_member"]).exists()
    client.post(f"/hotline/tickets/{ticket.pk}/acknowledge/", {"note": ""})
    client.post(f"/hotline/tickets/{ticket.pk}/resolve/", {"note": "Đã lấy mẫu xét nghiệm"})
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED and ticket.outcome == "met"
    refused = client.post(f"/hotline/tickets/{ticket.pk}/reopen/", {"note": "x"})
    assert refused.status_code == 403


def test_returning_needs_a_reason_shown_next_to_the_field(client, hotline):
    ticket = services.receive(report())
    login(client, hotline["health_member"])
    answer = client.post(f"/hotline/tickets/{ticket.pk}/return/", {"note": ""})
    assert answer.status_code == 422
    assert "Hãy ghi lý do trả lại đường dây nóng." in answer.content.decode()
    ticket.refresh_from_db()
    assert ticket.agency == hotline["health"]


def test_the_board_colours_by_the_clock(client, hotline):
    now = timezone.now()
    late = services.receive(report(received_at=now - dt.timedelta(hours=5, minutes=10)), now=now)
    near = services.receive(report(received_at=now - dt.timedelta(hours=4, minutes=10)), now=now)
    fresh = services.receive(report(), now=now)
    login(client, hotline["supervisor"])
    page = client.get("/hotline/board/").content.decode()
    assert re.search(rf'state-breached">\s*<td><a[^>]*>{late.number}', page)
    assert re.search(rf'state-near">\s*<td><a[^>]*>{near.number}', page)
    assert re.search(rf'state-on_time">\s*<td><a[^>]*>{fresh.number}', page)


def test_the_province_edits_the_rules(client, hotline):
    login(client, hotline["province"])
    client.post(
        "/hotline/rules/",
        {"category": "gathering", "unit_code": "696", "agency": hotline["police"].pk},
    )
    rule = RoutingRule.objects.get(category=Category.GATHERING)
    assert rule.agency == hotline["police"] and rule.unit_id == "696"
    assert services.receive(report(category="gathering")).agency == hotline["police"]
    client.post("/hotline/rules/", {"delete": rule.pk})
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()


def test_statistics_page_and_files(client, hotline):
    ticket = services.receive(report())
    services.resolve(ticket, hotline["health_member"])
    login(client, hotline["province"])
    page = client.get("/hotline/stats/?unit=70").content.decode()
    assert "TTYT Bù Đăng" in page and "hotline-charts" in page
    xlsx = client.get("/hotline/stats.xlsx?unit=70")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    pdf = client.get("/hotline/stats.pdf?unit=70")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_intake_and_status_without_personal_data(client, hotline, fmt):
    services_list = client.get(f"/open311/v2/services.{fmt}")
    assert services_list.status_code == 200 and b"suspected_case" in services_list.content
    posted = client.post(
        f"/open311/v2/requests.{fmt}",
        {
            "service_code": "suspected_case",
            "address_id": "25396",
            "address_string": "Chợ Đức Phong",
            "description": "Người ho sốt ở chợ",
            "phone": "0912345678",
            "attribute[public]": "true",
        },
    )
    assert posted.status_code == 201
    ticket = Ticket.objects.get()
    assert ticket.public and ticket.caller_phone == "+84912345678"
    one = client.get(f"/open311/v2/requests/{ticket.number}.{fmt}")
    listed = client.get(f"/open311/v2/requests.{fmt}")
    for answer in (posted, one, listed):
        assert b"0912345678" not in answer.content and b"+8491" not in answer.content
    assert ticket.number.encode() in listed.content and "Chợ Đức Phong".encode() in one.content
    if fmt == "xml":
        root = ET.fromstring(one.content)  # noqa: S314 (our own answer)
        assert root.find("request/status").text == "open"
    else:
        assert one.json()[0]["agency_responsible"] == "TTYT Bù Đăng"


def test_open311_refusals_are_4xx(client, hotline):
    bad = client.post("/open311/v2/requests.json", {"service_code": "nope"})
    assert bad.status_code == 400 and "service_code" in bad.json()[0]["description"]
    assert client.get("/open311/v2/requests/NOPE.xml").status_code == 404
    assert client.get("/open311/v2/requests.json?start_date=x").status_code == 400
