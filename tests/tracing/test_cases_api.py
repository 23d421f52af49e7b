"""Tracers record a case, read its contacts inside their area, follow them up, warn them."""

import datetime as dt
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone

from kiemdich.accounts.models import AuditLog
from kiemdich.accounts.tokens import create_token
from kiemdich.checkins.models import Checkin
from kiemdich.declarations.models import Person
from kiemdich.declarations.services import person_token
from kiemdich.messaging.models import Message
from kiemdich.tracing.models import Case, Contact
from tests.venues.conftest import make_venue


def visit(person, venue, start, minutes):
    return Checkin(
        client_id=uuid.uuid4(),
        venue=venue,
        person=person,
        method="self",
        t_in=start,
        t_out=start + dt.timedelta(minutes=minutes),
    )


@pytest.fixture
def outbreak(binh_phuoc):
    """The case shopped in Đức Phong (25396) with a neighbour; in Thống Nhất (25420) it ate
    next to a diner, who later took a coach with a traveller."""
    now = timezone.now()
    shop = make_venue(name="Tạp hóa", category="shop")
    eatery = make_venue(name="Quán cơm", category="restaurant", commune="25420")
    bus = make_venue(name="Xe khách", category="vehicle_interprovincial", plate_number="93B-012.34")
    case = Person.objects.create(
        full_name="Nguyễn Văn Ca", phone="+84912000001", commune_id="25396"
    )
    neighbour = Person.objects.create(
        full_name="Trần Thị Hàng", phone="+84912000002", commune_id="25396"
    )
    diner = Person.objects.create(full_name="Lê Văn Thực", phone="+84912000003", commune_id="25420")
    traveller = Person.objects.create(full_name="Phạm Thị Đi", phone="", commune_id="25420")
    day = now - dt.timedelta(days=1)
    Checkin.objects.bulk_create(
        [
            visit(case, shop, day, 20),
            visit(neighbour, shop, day + dt.timedelta(minutes=10), 15),
            visit(case, eatery, day + dt.timedelta(hours=2), 45),
            visit(diner, eatery, day + dt.timedelta(hours=2, minutes=30), 40),
            visit(diner, bus, day + dt.timedelta(hours=6), 120),
            visit(traveller, bus, day + dt.timedelta(hours=7), 30),
        ]
    )
    return {
        "case": case,
        "neighbour": neighbour,
        "diner": diner,
        "traveller": traveller,
        "now": now,
    }


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {create_token(user)[1]}"}


def record(client, user, **body):
    body = {"phone": "0912 000 001", "confirmed_at": timezone.now().isoformat(), **body}
    return client.post("/api/v1/cases", body, content_type="application/json", **bearer(user))


def test_a_tracer_records_a_case_and_gets_f1_and_f2_with_evidence(client, outbreak, personas):
    response = record(client, personas["tracer"], degree=2)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["f1"], body["f2"]) == (2, 1)
    case = Case.objects.get()
    listed = client.get(f"/api/v1/cases/{case.pk}/contacts", **bearer(personas["tracer"])).json()
    by_name = {c["full_name"]: c for c in listed["items"]}
    assert set(by_name) == {"Trần Thị Hàng", "Lê Văn Thực", "Phạm Thị Đi"}
    assert by_name["Trần Thị Hàng"]["evidence"]["venue_name"] == "Tạp hóa"
    assert by_name["Trần Thị Hàng"]["evidence"]["minutes"] == 15.0  # 10 min + the margin
    assert by_name["Phạm Thị Đi"]["degree"] == 2
    assert by_name["Phạm Thị Đi"]["evidence"]["met_person_id"] == outbreak["diner"].pk
    assert AuditLog.objects.filter(subject=f"case {case.pk} contacts").count() == 1
    assert "F1: 2   F2: 1" in _trace_output(case, 2)


def _trace_output(case, degree) -> str:
    from io import StringIO

    out = StringIO()
    call_command("trace", str(case.pk), "--degree", str(degree), stdout=out)
    return out.getvalue()


def test_each_commune_sees_only_its_own_contacts(client, outbreak, personas):
    record(client, personas["tracer"], degree=2)
    case = Case.objects.get()
    url = f"/api/v1/cases/{case.pk}/contacts"
    mine = client.get(url, **bearer(personas["commune"])).json()
    assert [c["full_name"] for c in mine["items"]] == ["Trần Thị Hàng"]
    # The case lives in 25396; the other commune holds some of its contacts, so it sees the
    # case (as on its pages) and only its own people in it, and may not work the case.
    theirs = client.get(url, **bearer(personas["other_commune"])).json()
    assert {c["commune_code"] for c in theirs["items"]} == {personas["other_commune"].unit_id}
    assert theirs["items"] and not set(c["full_name"] for c in theirs["items"]) & {"Trần Thị Hàng"}
    seen = client.get(f"/api/v1/cases/{case.pk}", **bearer(personas["other_commune"])).json()
    assert seen["person_id"] is None and seen["f1"] + seen["f2"] == len(theirs["items"])
    for work in ("trace", "notify/preview", "notify"):
        answer = client.post(
            f"/api/v1/cases/{case.pk}/{work}",
            {"confirm": True, "recipients": 1},
            content_type="application/json",
            **bearer(personas["other_commune"]),
        )
        assert answer.status_code == 403
    assert client.get(url, **bearer(personas["other_district"])).status_code == 404
    assert client.get(url, **bearer(personas["citizen"])).status_code == 403
    assert client.get(url).status_code == 401


def test_a_contact_who_tests_positive_becomes_a_case(client, outbreak, personas):
    record(client, personas["tracer"])
    case = Case.objects.get()
    contact = Contact.objects.get(person=outbreak["neighbour"])
    response = client.patch(
        f"/api/v1/cases/{case.pk}/contacts/{contact.pk}",
        {"status": "positive", "notes": "Test nhanh dương tính"},
        content_type="application/json",
        **bearer(personas["commune"]),
    )
    assert response.status_code == 200 and response.json()["status"] == "positive"
    assert Case.objects.filter(person=outbreak["neighbour"]).exists()


def test_contacts_are_warned_once(
    client, outbreak, personas, settings, django_capture_on_commit_callbacks
):
    settings.MESSAGE_SENDER = "kiemdich.messaging.senders.DatabaseSender"
    record(client, personas["tracer"], degree=2)
    case = Case.objects.get()
    url = f"/api/v1/cases/{case.pk}/notify"

    def post(path: str, body: dict):
        return client.post(
            path, body, content_type="application/json", **bearer(personas["tracer"])
        )

    preview = post(f"{url}/preview", {}).json()
    assert preview["recipients"] == 2 and preview["without_phone"] == 1  # the traveller: no phone
    assert "tiếp xúc gần" in preview["sample"] and preview["encoding"] == "UCS-2"
    assert preview["total_sms"] == 2 * preview["segments"] >= 2
    refused = post(url, {"recipients": 2})  # not confirmed
    assert refused.status_code == 422 and "confirm" in str(refused.json()["detail"])
    stale = post(url, {"recipients": 1, "confirm": True})
    assert (stale.status_code, stale.json()["code"]) == (409, "recipients_changed")
    assert not Message.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):  # the outbox is sent after commit
        assert post(url, {"recipients": 2, "confirm": True}).json() == {"queued": 2}
    assert post(url, {"recipients": 0, "confirm": True}).json() == {"queued": 0}
    messages = Message.objects.order_by("to")
    assert [m.to for m in messages] == ["+84912000002", "+84912000003"]
    assert [(m.state, "tiếp xúc gần" in m.body) for m in messages] == [("sent", True)] * 2
    warned = AuditLog.objects.get(action="notify")  # the second press warned nobody: no record
    assert (warned.actor, warned.subject) == (personas["tracer"], f"case {case.pk} contacts warned")
    assert sorted(warned.subjects) == sorted(
        Case.objects.get().contacts.values_list("person_id", flat=True).filter(degree=1)
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "0999 999 999"}, "phone"),
        ({"phone": "", "id_number": "001"}, "id_number"),
        ({"confirmed_at": "2999-01-01T00:00:00+07:00"}, "confirmed_at"),
        (
            {"infectious_from": "2026-01-02T00:00:00Z", "infectious_to": "2026-01-01T00:00:00Z"},
            "infectious_to",
        ),
    ],
)
def test_bad_cases_are_refused_next_to_the_field(client, outbreak, personas, body, field):
    response = record(client, personas["tracer"], **body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert not Case.objects.exists()


def test_an_outsider_gets_the_same_refusal_and_no_case_is_stored(client, outbreak, personas):
    """Before: the case was stored, then the 403 came, and the F0's name showed on the tracing
    pages of their area. A known and an unknown phone also answered differently (a lookup)."""
    outsider = personas["other_district"]
    known = record(client, outsider, phone="0912 000 001")
    unknown = record(client, outsider, phone="0999 999 999")
    assert known.status_code == unknown.status_code == 422
    assert known.json()["detail"][0]["msg"] == unknown.json()["detail"][0]["msg"]
    known_id = record(client, outsider, phone="", id_number="079190001234")
    Person.objects.filter(pk=outbreak["case"].pk).update(id_number="079190001234")
    unknown_id = record(client, outsider, phone="", id_number="079190001234")
    assert known_id.json()["detail"] == unknown_id.json()["detail"]
    token = person_token(outbreak["case"])
    by_token = record(client, outsider, phone="", person_token=token)
    assert by_token.status_code == 422 and by_token.json()["detail"][0]["loc"] == [
        "body",
        "person_token",
    ]
    assert not Case.objects.exists()


def test_degree_is_read_from_the_query_string(client, outbreak, personas):
    record(client, personas["tracer"])
    case = Case.objects.get()
    auth = bearer(personas["tracer"])
    traced = client.post(f"/api/v1/cases/{case.pk}/trace?degree=2", **auth)
    assert traced.status_code == 200 and traced.json()["f2"] == 1
    f2 = client.get(f"/api/v1/cases/{case.pk}/contacts?degree=2", **auth).json()
    assert [c["full_name"] for c in f2["items"]] == ["Phạm Thị Đi"]
    assert client.post(f"/api/v1/cases/{case.pk}/trace?degree=3", **auth).status_code == 422


def test_reads_of_contacts_are_audited_with_whose_data_and_where(client, outbreak, personas):
    record(client, personas["tracer"], degree=2)
    case = Case.objects.get()
    officer = personas["commune"]
    listed = client.get(f"/api/v1/cases/{case.pk}/contacts", **bearer(officer)).json()
    log = AuditLog.objects.get(actor=officer, subject=f"case {case.pk} contacts")
    assert log.subjects == [outbreak["neighbour"].pk] == [c["person_id"] for c in listed["items"]]
    assert log.unit_code == "25396"
    contact = Contact.objects.get(person=outbreak["neighbour"])
    client.patch(
        f"/api/v1/cases/{case.pk}/contacts/{contact.pk}",
        {"notes": "Đã gọi"},
        content_type="application/json",
        **bearer(officer),
    )
    patched = AuditLog.objects.get(actor=officer, subject=f"contact {contact.pk}")
    assert patched.subjects == [outbreak["neighbour"].pk] and patched.unit_code == "25396"


def test_an_id_card_of_someone_outside_the_area_creates_nobody(client, outbreak, personas):
    """Before: a tracer's unknown ID card made a new person with that number, and every later
    ID-card scan of the real person (elsewhere) was attached to that phantom."""
    Person.objects.filter(pk=outbreak["diner"].pk).update(id_number="079190001234")
    cccd = "079190001234|123456789|Lê Văn Thực|15081990|Nam|x|01012021"
    people = Person.objects.count()
    response = record(client, personas["other_district"], phone="", person_qr=cccd)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "person_qr"]
    assert Person.objects.count() == people and not Case.objects.exists()
