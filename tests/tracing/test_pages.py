"""The tracers' pages, persona by persona: who sees which case, which contacts, and the audit log.

The town: the F0 and A live in Đức Phong (25396), B and C in Thống Nhất (25420). The F0 met A and
B at a shop in Đức Phong (F1); B later met C at a café in Thống Nhất (F2).
"""

import datetime as dt
import json
import re
import uuid

import pytest
from django.utils import timezone

from kiemdich.accounts.models import AuditLog
from kiemdich.checkins.models import Checkin
from kiemdich.declarations.models import Person
from kiemdich.geo.models import Unit
from kiemdich.messaging.models import Message
from kiemdich.tracing.models import Case, Contact, Status
from tests.conftest import PASSWORD
from tests.official_files import data_table, texts
from tests.venues.conftest import make_venue


def visit(person, venue, t_in, minutes=60):
    return Checkin.objects.create(
        client_id=uuid.uuid4(),
        venue=venue,
        person=person,
        method="self",
        t_in=t_in,
        t_out=t_in + dt.timedelta(minutes=minutes),
    )


@pytest.fixture
def town(personas):
    confirmed = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(hours=6)
    shop = make_venue(name="Tạp hóa Minh Phương", category="shop")
    cafe = make_venue(name="Quán cà phê Sáng", category="restaurant", commune="25420")
    people = {
        "f0": ("Nguyễn Văn Không", "+84912000000", "25396"),
        "a": ("Trần Thị An", "+84912000001", "25396"),
        "b": ("Lê Văn Bình", "+84912000002", "25420"),
        "c": ("Phạm Thị Cúc", "+84912000003", "25420"),
    }
    people = {
        key: Person.objects.create(
            full_name=name, phone=phone, commune_id=commune, address=f"Số {i}, ấp 3"
        )
        for i, (key, (name, phone, commune)) in enumerate(people.items(), start=1)
    }
    met = confirmed - dt.timedelta(days=1)
    visit(people["f0"], shop, met)
    visit(people["a"], shop, met + dt.timedelta(minutes=10))
    visit(people["b"], shop, met + dt.timedelta(minutes=20))
    visit(people["b"], cafe, met + dt.timedelta(hours=3))
    visit(people["c"], cafe, met + dt.timedelta(hours=3, minutes=5))
    return {"confirmed": confirmed, "shop": shop, "cafe": cafe, **people}


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def local_input(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def record(client, town, **extra) -> Case:
    data = {"phone": "0912 000 000", "confirmed_at": local_input(town["confirmed"]), **extra}
    response = client.post("/tracing/new/", data)
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tracing/{case.pk}/"
    return case


@pytest.fixture
def case(town, personas, client) -> Case:
    """Recorded by the district's tracer and traced to F2; the client is logged out again."""
    login(client, personas["tracer"])
    case = record(client, town)
    client.post(f"/tracing/{case.pk}/trace-f2/")
    client.logout()
    AuditLog.objects.all().delete()
    return case


def graph(html: str) -> dict:
    found = re.search(r'<script id="graph-data" type="application/json">(.*?)</script>', html)
    return json.loads(found.group(1))


# --- who gets in -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["citizen", "venue_owner"])
def test_people_without_an_area_are_refused(personas, client, persona):
    login(client, personas[persona])
    for url in ["/tracing/", "/tracing/new/"]:
        assert client.get(url).status_code == 403


def test_anonymous_goes_to_login(binh_phuoc, client):
    response = client.get("/tracing/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_nav_link_only_for_area_staff(personas, client):
    login(client, personas["tracer"])
    assert 'href="/tracing/"' in client.get("/").content.decode()
    client.logout()
    login(client, personas["citizen"])
    assert 'href="/tracing/"' not in client.get("/").content.decode()


# --- recording a case ------------------------------------------------------------------------


def test_tracer_records_a_case_and_finds_the_f1(town, personas, client):
    login(client, personas["tracer"])
    case = record(client, town)
    assert case.person == town["f0"] and case.unit_id == "25396"
    assert case.created_by == personas["tracer"]
    assert case.infectious_from == town["confirmed"] - dt.timedelta(days=2)
    contacts = {c.person_id: c.degree for c in Contact.objects.filter(case=case)}
    assert contacts == {town["a"].pk: 1, town["b"].pk: 1}
    assert AuditLog.objects.filter(
        actor=personas["tracer"], action="record", subject=f"case {case.pk}", unit_code="25396"
    ).exists()

    html = client.get(f"/tracing/{case.pk}/").content.decode()
    assert "Nguyễn Văn Không" in html and "Tạp hóa Minh Phương" in html  # F0 and timeline
    assert "/communes/25396/" in html and "/communes/25420/" in html
    data = graph(html)
    assert {n["id"] for n in data["nodes"]} == {town["f0"].pk, town["a"].pk, town["b"].pk}
    assert {(link["source"], link["target"]) for link in data["links"]} == {
        (town["f0"].pk, town["a"].pk),
        (town["f0"].pk, town["b"].pk),
    }
    assert "Nguyễn" not in json.dumps(data)  # initials only
    assert AuditLog.objects.filter(action="view", subject=f"case {case.pk}").count() == 1


def test_trace_f2_adds_who_met_the_f1(town, case):
    contacts = {c.person_id: (c.degree, c.source_id) for c in Contact.objects.filter(case=case)}
    assert contacts[town["c"].pk] == (2, town["b"].pk)


def test_errors_are_next_to_the_fields(town, personas, client):
    login(client, personas["tracer"])
    confirmed = local_input(town["confirmed"])
    html = client.post(
        "/tracing/new/", {"phone": "0912 999 999", "confirmed_at": confirmed}
    ).content.decode()
    assert re.search(r'id="field-phone">.*?class="error"', html, re.S)
    html = client.post("/tracing/new/", {"confirmed_at": confirmed}).content.decode()
    assert 'class="error"' in html and "field-phone" in html
    future = local_input(timezone.now() + dt.timedelta(days=2))
    html = client.post(
        "/tracing/new/", {"id_number": "", "phone": "0912000000", "confirmed_at": future}
    ).content.decode()
    assert re.search(r'id="field-confirmed_at">.*?class="error"', html, re.S)
    bad_window = {
        "phone": "0912000000",
        "confirmed_at": confirmed,
        "infectious_from": confirmed,
        "infectious_to": local_input(town["confirmed"] - dt.timedelta(days=1)),
    }
    html = client.post("/tracing/new/", bad_window).content.decode()
    assert re.search(r'id="field-infectious_to">.*?class="error"', html, re.S)
    assert not Case.objects.exists()


def test_a_person_outside_the_area_is_refused(town, personas, client):
    elsewhere = Unit.objects.filter(parent_id="692").first()  # a commune of Lộc Ninh
    Person.objects.create(full_name="Võ Văn Xa", phone="+84912000009", commune=elsewhere)
    login(client, personas["tracer"])
    html = client.post(
        "/tracing/new/",
        {"phone": "0912000009", "confirmed_at": local_input(town["confirmed"])},
    ).content.decode()
    assert re.search(r'id="field-phone">.*?class="error"', html, re.S)
    assert not Case.objects.exists()


# --- the case page by persona ----------------------------------------------------------------


def test_case_list_by_persona(case, personas, client):
    for persona, listed in [
        ("tracer", True),
        ("district", True),
        ("commune", True),
        ("other_commune", True),  # B and C live there
        ("other_district", False),
    ]:
        login(client, personas[persona])
        html = client.get("/tracing/").content.decode()
        assert (f'href="/tracing/{case.pk}/"' in html) is listed, persona
        client.logout()


def test_other_district_gets_404(case, personas, client):
    login(client, personas["other_district"])
    for url in [
        f"/tracing/{case.pk}/",
        f"/tracing/{case.pk}/communes/25396/",
        f"/tracing/{case.pk}/communes/25396/export.xlsx",
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/tracing/{case.pk}/trace-f2/").status_code == 404
    assert not AuditLog.objects.exists()


def test_commune_officer_sees_only_their_communes_contacts(town, case, personas, client):
    login(client, personas["commune"])
    html = client.get(f"/tracing/{case.pk}/").content.decode()
    assert "Nguyễn Văn Không" in html  # the F0 lives in their commune
    assert "/communes/25396/" in html and "/communes/25420/" not in html
    nodes = {n["id"] for n in graph(html)["nodes"]}
    assert nodes == {town["f0"].pk, town["a"].pk}

    html = client.get(f"/tracing/{case.pk}/communes/25396/").content.decode()
    assert "Trần Thị An" in html and "0912 000 001" in html and "Số 2, ấp 3" in html
    assert "Lê Văn Bình" not in html and "Phạm Thị Cúc" not in html
    assert client.get(f"/tracing/{case.pk}/communes/25420/").status_code == 404
    log = AuditLog.objects.filter(actor=personas["commune"])
    assert {(r.action, r.subject, r.unit_code) for r in log} == {
        ("view", f"case {case.pk}", "25396"),
        ("view", f"case {case.pk} contacts 25396", "25396"),
    }


def test_other_commune_sees_its_contacts_but_not_the_f0(town, case, personas, client):
    login(client, personas["other_commune"])
    html = client.get(f"/tracing/{case.pk}/").content.decode()
    assert "Nguyễn Văn Không" not in html and "Tạp hóa Minh Phương" not in html  # no timeline
    assert "Trace F2" not in html and "Truy vết F2" not in html
    data = graph(html)
    labels = {n["id"]: n["label"] for n in data["nodes"]}
    assert labels[town["f0"].pk] == "F0" and labels[town["b"].pk] == "LVB"
    assert town["a"].pk not in labels
    assert client.post(f"/tracing/{case.pk}/trace-f2/").status_code == 403

    html = client.get(f"/tracing/{case.pk}/communes/25420/").content.decode()
    assert "Lê Văn Bình" in html and "Phạm Thị Cúc" in html and "Trần Thị An" not in html
    assert client.get(f"/tracing/{case.pk}/communes/25396/").status_code == 404


def test_district_and_tracer_see_every_commune(case, personas, client):
    for persona in ["district", "tracer"]:
        login(client, personas[persona])
        html = client.get(f"/tracing/{case.pk}/").content.decode()
        assert "/communes/25396/" in html and "/communes/25420/" in html
        assert len(graph(html)["nodes"]) == 4
        assert client.get(f"/tracing/{case.pk}/communes/25420/").status_code == 200
        client.logout()


# --- working on the list ---------------------------------------------------------------------


def test_status_and_notes_by_the_commune_only(town, case, personas, client):
    contact = Contact.objects.get(case=case, person=town["a"])
    url = f"/tracing/{case.pk}/contacts/{contact.pk}/"
    form = {"status": Status.ISOLATING, "notes": "Đã gọi, cách ly tại nhà", "page": "1"}

    login(client, personas["other_commune"])
    assert client.post(url, form).status_code == 404
    client.logout()

    login(client, personas["commune"])
    response = client.post(url, form)
    assert response["Location"] == f"/tracing/{case.pk}/communes/25396/?page=1#contact-{contact.pk}"
    contact.refresh_from_db()
    assert contact.status == Status.ISOLATING and contact.notes == "Đã gọi, cách ly tại nhà"
    assert AuditLog.objects.filter(action="update", subject=f"contact {contact.pk}").exists()
    assert client.post(url, {"status": "nonsense"}).status_code == 302
    contact.refresh_from_db()
    assert contact.status == Status.ISOLATING
    assert client.get(url).status_code == 405


def test_excel_export_is_scoped_and_logged(town, case, personas, client):
    login(client, personas["other_commune"])
    response = client.get(f"/tracing/{case.pk}/communes/25420/export.xlsx")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert "attachment" in response["Content-Disposition"]
    header, rows, _after = data_table(response.content)
    assert header[:2] == ["STT", "Họ và tên"]
    assert {row[1] for row in rows} == {"Lê Văn Bình", "Phạm Thị Cúc"}
    found = texts(response.content)
    assert found[:2] == ["UBND XÃ THỐNG NHẤT", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"]
    assert "THỦ TRƯỞNG ĐƠN VỊ" in found
    assert AuditLog.objects.filter(
        actor=personas["other_commune"], action="export", unit_code="25420"
    ).exists()
    assert client.get(f"/tracing/{case.pk}/communes/25396/export.xlsx").status_code == 404


def test_notify_shows_the_warning_and_sends_it_once_confirmed(town, case, personas, client):
    url = f"/tracing/{case.pk}/communes/25396/notify/"
    confirmed = {"confirm": "1", "recipients": "3"}
    login(client, personas["other_commune"])  # the outbox warns the whole case: not theirs
    assert client.get(f"/tracing/{case.pk}/communes/25420/notify/").status_code == 403
    assert client.post(f"/tracing/{case.pk}/communes/25420/notify/", confirmed).status_code == 403
    assert "/notify/" not in client.get(f"/tracing/{case.pk}/communes/25420/").content.decode()
    client.logout()

    login(client, personas["commune"])
    html = client.get(f"/tracing/{case.pk}/communes/25396/").content.decode()
    assert f'href="{url}"' in html  # a link to the question, not a button that sends
    preview = client.get(url).content.decode()
    assert 'id="warning-recipients">3<' in preview
    assert "COVID-19" in preview and "1022" in preview  # the SMS as it arrives
    assert "SMS" in preview and 'name="recipients" value="3"' in preview
    assert Message.objects.count() == 0  # looking sends nothing

    response = client.post(url, follow=True)  # no confirmation: nothing sent, the question again
    assert response.redirect_chain[-1][0] == url and Message.objects.count() == 0
    response = client.post(url, {**confirmed, "recipients": "2"}, follow=True)  # a stale count
    assert response.redirect_chain[-1][0] == url and Message.objects.count() == 0
    assert "3" in response.content.decode()

    response = client.post(url, confirmed, follow=True)
    assert response.redirect_chain[-1][0] == f"/tracing/{case.pk}/communes/25396/"
    assert "3" in response.content.decode()
    assert not Contact.objects.filter(case=case, notified_at__isnull=True).exists()
    assert Message.objects.count() == 3
    assert AuditLog.objects.get(action="notify").actor == personas["commune"]
    client.post(url, confirmed)  # pressed twice: the second finds nobody left
    assert Message.objects.count() == 3
    assert "không còn ai để gửi" in client.get(url).content.decode()
    assert client.post(f"/tracing/{case.pk}/communes/25420/notify/", confirmed).status_code == 404


def test_a_contact_testing_positive_becomes_a_case(town, case, personas, client):
    contact = Contact.objects.get(case=case, person=town["a"])
    login(client, personas["commune"])
    response = client.post(
        f"/tracing/{case.pk}/contacts/{contact.pk}/", {"status": Status.POSITIVE}, follow=True
    )
    new = Case.objects.get(person=town["a"])
    assert f"F0 #{new.pk}" in response.content.decode()
    assert client.get(f"/tracing/{new.pk}/").status_code == 200
