"""Monitoring's pages: enrolling from tracing, the person's signed link, /me/ for a household,
the commune's follow-up list, the team's calls, transfers and closure, and who gets in."""

import datetime as dt
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from kiemdich.accounts.models import AuditLog
from kiemdich.declarations.cookies import PERSON_COOKIE
from kiemdich.declarations.models import Declaration, Person
from kiemdich.declarations.services import person_token
from kiemdich.messaging.models import Message
from kiemdich.monitoring import services
from kiemdich.monitoring.links import report_token
from kiemdich.monitoring.models import (
    Alert,
    AlertKind,
    CloseReason,
    DailyReport,
    Facility,
    Monitoring,
    Outcome,
    Regime,
    Reporter,
    State,
    Transfer,
)
from kiemdich.tracing.models import Case, Contact
from tests.tracing.test_pages import case, login, town  # noqa: F401 (fixtures)

from .conftest import enrol


def report_link(monitoring) -> str:
    return reverse("monitoring:report", args=[report_token(monitoring)])


def post_report(client, url, **data):
    return client.post(url, {"client_id": str(uuid.uuid4()), **data})


# --- enrolment from tracing --------------------------------------------------------------------


def test_all_f1_of_a_case_at_once_after_seeing_how_many(case, personas, client):  # noqa: F811
    login(client, personas["tracer"])
    html = client.get(f"/tracing/{case.pk}/").content.decode()
    assert reverse("monitoring:enrol-case", args=[case.pk]) in html
    page = client.get(reverse("monitoring:enrol-case", args=[case.pk])).content.decode()
    assert re.search(r"\b2 F1\b", page)  # A and B; C is an F2
    response = client.post(reverse("monitoring:enrol-case", args=[case.pk]))
    assert response.status_code == 302
    enrolled = Monitoring.objects.order_by("person__full_name")
    f1 = Contact.objects.filter(case=case, degree=1)
    assert {m.person_id for m in enrolled} == {c.person_id for c in f1}
    one = enrolled.get(person__full_name="Lê Văn Bình")
    assert (one.regime, one.source, one.commune_id) == (Regime.HOME_QUARANTINE, "tracing", "25420")
    assert one.exposure_at == f1.get(person=one.person).overlap_to
    # Again: nobody is enrolled twice, and the page says so.
    client.post(reverse("monitoring:enrol-case", args=[case.pk]))
    assert Monitoring.objects.count() == 2
    page = client.get(reverse("monitoring:enrol-case", args=[case.pk])).content.decode()
    assert "confirm-count" not in page


def test_one_contact_from_the_commune_list(case, personas, client):  # noqa: F811
    login(client, personas["commune"])
    contact = Contact.objects.get(case=case, commune_id="25396")
    html = client.get(f"/tracing/{case.pk}/communes/25396/").content.decode()
    assert reverse("monitoring:enrol-contact", args=[contact.pk]) in html
    client.post(reverse("monitoring:enrol-contact", args=[contact.pk]))
    assert Monitoring.objects.get().person == contact.person
    # Thống Nhất's contact is not Đức Phong's to enrol.
    theirs = Contact.objects.filter(case=case, commune_id="25420").first()
    assert client.post(reverse("monitoring:enrol-contact", args=[theirs.pk])).status_code == 404


def test_a_declaration_from_an_outbreak_area_is_offered_on_the_commune_list(personas, client):
    person = Person.objects.create(full_name="Đỗ Văn Đi", phone="+84912000009", commune_id="25396")
    declaration = Declaration.objects.create(
        person=person,
        client_id=uuid.uuid4(),
        full_name=person.full_name,
        birth_year=1980,
        gender="male",
        phone=person.phone,
        commune_id="25396",
        travel_outbreak_area=True,
    )
    login(client, personas["commune"])
    html = client.get("/monitoring/communes/25396/").content.decode()
    assert "Đỗ Văn Đi" in html
    client.post(reverse("monitoring:enrol-declaration", args=[declaration.pk]))
    monitoring = Monitoring.objects.get()
    assert (monitoring.person, monitoring.source) == (person, "declaration")
    assert (
        "Đỗ Văn Đi"
        not in client.get("/monitoring/communes/25396/?show=symptomatic").content.decode()
    )


def test_f1_whose_period_is_over_are_left_out_of_all_and_refused_alone(
    case,  # noqa: F811
    personas,
    client,
):
    """Enrolling all F1 of a case still enrols the others; the one contact alone is refused
    with the reason (its monitoring would have ended already)."""
    f1 = list(Contact.objects.filter(case=case, degree=1).order_by("pk"))
    old = f1[0]
    Contact.objects.filter(pk=old.pk).update(
        overlap_from=timezone.now() - dt.timedelta(days=31),
        overlap_to=timezone.now() - dt.timedelta(days=30),
    )
    old.refresh_from_db()
    with pytest.raises(services.MonitoringError) as refused:
        services.enrol_contacts(personas["tracer"], [old])
    assert refused.value.field == "exposure_at"
    # The confirmation page counts them apart, so the number asked is the number enrolled.
    login(client, personas["tracer"])
    page = client.get(reverse("monitoring:enrol-case", args=[case.pk])).content.decode()
    assert re.search(rf"\b{len(f1) - 1} F1\b", page.split('id="confirm-count"')[1])
    assert 'id="over-count"' in page
    assert services.enrol_contacts(personas["tracer"], f1) == len(f1) - 1
    assert not Monitoring.objects.filter(person=old.person).exists()


def test_by_hand_with_a_phone(personas, people, client):
    login(client, personas["commune"])
    facility = Facility.objects.create(name="KTX Đại học", commune_id="25396", capacity=1)
    data = {
        "phone": "0912000001",
        "regime": "centralized",
        "facility": facility.pk,
        "exposure_at": f"{timezone.localtime() - dt.timedelta(days=2):%Y-%m-%dT%H:%M}",
        "team": "Trạm y tế Đức Phong",
    }
    response = client.post("/monitoring/new/", data)
    monitoring = Monitoring.objects.get()
    assert response["Location"] == f"/monitoring/{monitoring.pk}/"
    assert (monitoring.facility, monitoring.period_days) == (facility, 21)
    # The facility is full now: the next person is refused, with the reason on the page.
    Person.objects.create(full_name="Người thứ hai", phone="+84912000005", commune_id="25396")
    response = client.post("/monitoring/new/", {**data, "phone": "0912000005"})
    assert response.status_code == 422 and Monitoring.objects.count() == 1
    with translation.override("vi"):
        assert gettext("This facility is full.") in response.content.decode()


def test_an_exposure_in_year_one_or_the_future_is_refused_next_to_the_field(
    personas, people, client
):
    login(client, personas["commune"])
    data = {"phone": "0912000001", "regime": "home_quarantine"}
    for typed, message in [
        ("0001-01-01T08:00", "đã kết thúc vào ngày 15/01/0001."),
        ("2999-01-01T08:00", "Lần tiếp xúc cuối nằm ở tương lai."),
    ]:
        response = client.post("/monitoring/new/", {**data, "exposure_at": typed})
        html = response.content.decode()
        assert response.status_code == 422
        field = html[html.index('id="field-exposure_at"') :]
        assert message in field[: field.index("</div>")]
        assert f'value="{typed}"' in html  # what was typed is kept
    assert not Monitoring.objects.exists()


# --- the person's report -----------------------------------------------------------------------


def test_the_sms_link_reports_once_even_when_sent_twice(personas, people, client):
    an = enrol(personas["commune"], people["an"])
    url = report_link(an)
    page = client.get(url)
    assert page.status_code == 200 and 'name="symptoms"' in page.content.decode()
    data = {"client_id": str(uuid.uuid4()), "symptoms": ["cough"], "temperature": "38,2"}
    first = client.post(url, data)
    again = client.post(url, data)
    assert first.status_code == again.status_code == 200
    assert 'id="reported"' in again.content.decode()
    assert DailyReport.objects.count() == 1
    assert Alert.objects.open().get(monitoring=an).kind == AlertKind.SYMPTOMATIC


def test_a_forged_or_closed_link_reports_nothing(personas, people, client):
    an = enrol(personas["commune"], people["an"])
    assert client.get(report_link(an)[:-3] + "xx/").status_code == 404
    services.close(personas["commune"], an, CloseReason.NEGATIVE)
    assert client.post(report_link(an), {"temperature": "36.5"}).status_code == 410
    assert not DailyReport.objects.exists()


def test_a_leaked_link_is_replaced_after_a_confirmation(personas, people, client):
    """An SMS read by someone else: the team sends a new link (after a confirmation page, as
    it messages the person); the old link then names nobody and reports nothing."""
    an = enrol(personas["commune"], people["an"])
    old = report_link(an)
    login(client, personas["commune"])
    detail = client.get(reverse("monitoring:detail", args=[an.pk])).content.decode()
    confirm_url = reverse("monitoring:new-link", args=[an.pk])
    assert confirm_url in detail
    confirm = client.get(confirm_url)
    assert confirm.status_code == 200 and 'id="new-link"' in confirm.content.decode()
    assert not Message.objects.filter(key__startswith="monitoring-link:").exists()
    assert client.post(confirm_url).status_code == 302
    sms = Message.objects.get(key__startswith="monitoring-link:")
    an.refresh_from_db()
    new = report_link(an)
    assert sms.to == an.person.phone and new in sms.body and old not in sms.body
    assert AuditLog.objects.filter(action="new link", subject__contains=str(an.pk)).exists()
    client.logout()
    replaced = client.post(old, {"client_id": str(uuid.uuid4()), "temperature": "36.5"})
    assert replaced.status_code == 410
    html = replaced.content.decode()
    assert 'id="replaced"' in html and an.person.full_name not in html
    assert not DailyReport.objects.exists()
    assert post_report(client, new, temperature="36.5").status_code == 200
    assert DailyReport.objects.count() == 1
    # Later reminders carry the new link.
    assert new in services.reminder_text(an)


def test_a_new_link_is_for_the_area_and_an_active_monitoring(personas, people, client):
    an = enrol(personas["commune"], people["an"])
    login(client, personas["other_commune"])
    assert client.post(reverse("monitoring:new-link", args=[an.pk])).status_code == 404
    services.close(personas["commune"], an, CloseReason.NEGATIVE)
    login(client, personas["commune"])
    refused = client.post(reverse("monitoring:new-link", args=[an.pk]))
    assert refused.status_code == 422
    assert not Message.objects.filter(key__startswith="monitoring-link:").exists()


def test_a_link_signed_before_versions_still_works(personas, people, client):
    from django.core import signing

    an = enrol(personas["commune"], people["an"])
    legacy = signing.Signer(salt="kiemdich.monitoring-report").sign(str(an.pk))
    assert client.get(reverse("monitoring:report", args=[legacy])).status_code == 200


def test_a_temperature_out_of_range_is_refused_next_to_the_field(personas, people, client):
    an = enrol(personas["commune"], people["an"])
    response = post_report(client, report_link(an), temperature="63")
    assert response.status_code == 422
    assert (
        'id="field-temperature"' in response.content.decode() and "63" in response.content.decode()
    )
    assert not DailyReport.objects.exists()


def test_a_household_head_reports_for_a_family_member_from_me(personas, people, client):
    head = people["an"]
    child = Person.objects.create(full_name="Trần Bé", commune_id="25396")
    Declaration.objects.create(
        person=child,
        declared_by=head,
        client_id=uuid.uuid4(),
        full_name="Trần Bé",
        birth_year=2015,
        gender="female",
        phone=head.phone,
        commune_id="25396",
    )
    theirs = enrol(personas["commune"], child)
    stranger = enrol(personas["district"], people["binh"])
    client.cookies[PERSON_COOKIE] = person_token(head)
    html = client.get("/monitoring/me/").content.decode()
    assert "Trần Bé" in html and "Lê Văn Bình" not in html
    post_report(client, f"/monitoring/me/{theirs.pk}/", temperature="36.7")
    assert DailyReport.objects.get().reporter == Reporter.HOUSEHOLD
    assert client.post(f"/monitoring/me/{stranger.pk}/", {}).status_code == 404


# --- the officials' lists ------------------------------------------------------------------------


def test_the_commune_list_shows_who_reported_and_who_is_silent(personas, people, client):
    an = enrol(personas["commune"], people["an"])
    login(client, personas["commune"])
    html = client.get("/monitoring/communes/25396/?show=not_reported_today").content.decode()
    assert "Trần Thị An" in html
    services.record_report(an, reporter=Reporter.SELF, temperature="36.5")
    html = client.get("/monitoring/communes/25396/?show=not_reported_today").content.decode()
    assert "Trần Thị An" not in html
    assert AuditLog.objects.filter(actor=personas["commune"], subjects=[people["an"].pk]).exists()


def test_a_team_visit_from_the_work_list(personas, people, client):
    an = enrol(personas["commune"], people["an"])
    login(client, personas["commune"])
    assert "Trần Thị An" in client.get("/monitoring/work/").content.decode()
    response = client.post(
        f"/monitoring/{an.pk}/team-report/",
        {
            "client_id": str(uuid.uuid4()),
            "reporter": "team_visit",
            "outcome": "seen_unwell",
            "symptoms": ["fever"],
            "next": "/monitoring/work/",
        },
    )
    assert response.status_code == 302
    an.refresh_from_db()
    assert an.last_outcome == "seen_unwell" and an.symptomatic_since is not None
    with translation.override("vi"):
        seen = str(Outcome.SEEN_UNWELL.label)
    assert seen in client.get("/monitoring/communes/25396/").content.decode()


def test_transfer_then_accept_by_the_receiving_commune(personas, people, client):
    an = enrol(personas["commune"], people["an"])
    login(client, personas["commune"])
    client.post(f"/monitoring/{an.pk}/transfer/", {"to_commune": "25420"})
    transfer = Transfer.objects.get()
    assert client.post(f"/monitoring/transfers/{transfer.pk}/accept/").status_code == 302
    assert Transfer.objects.get().accepted_at is None  # the sender cannot accept it
    client.logout()
    login(client, personas["other_commune"])
    assert "Trần Thị An" in client.get("/monitoring/transfers/").content.decode()
    client.post(f"/monitoring/transfers/{transfer.pk}/accept/")
    an.refresh_from_db()
    assert (
        an.commune_id == "25420" and Transfer.objects.get().accepted_by == personas["other_commune"]
    )


def test_closing_as_a_case_opens_one_in_tracing(personas, people, client):
    an = enrol(personas["commune"], people["an"])
    login(client, personas["commune"])
    response = client.post(f"/monitoring/{an.pk}/close/", {"reason": "became_case"})
    opened = Case.objects.get(person=people["an"])
    assert response["Location"] == f"/tracing/{opened.pk}/"
    an.refresh_from_db()
    assert (an.state, an.close_reason) == (State.CLOSED, CloseReason.BECAME_CASE)


def test_dashboard_counts_and_excel(personas, people, client):
    an = enrol(personas["commune"], people["an"])
    enrol(personas["other_commune"], people["binh"])
    services.record_report(an, reporter=Reporter.SELF, symptoms=["cough"])
    login(client, personas["district"])
    html = client.get("/monitoring/?unit=696").content.decode()
    assert re.search(r'id="under">2<', html) and re.search(r'id="symptomatic">1<', html)
    xlsx = client.get("/monitoring/export.xlsx?unit=696")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


@pytest.mark.parametrize("persona", ["citizen", "venue_owner"])
def test_people_without_an_area_are_refused(personas, persona, client):
    login(client, personas[persona])
    for url in ["/monitoring/", "/monitoring/work/", "/monitoring/communes/25396/"]:
        assert client.get(url).status_code == 403


def test_another_commune_sees_nothing_of_ours(personas, people, client):
    an = enrol(personas["commune"], people["an"])
    login(client, personas["other_commune"])
    assert client.get(f"/monitoring/{an.pk}/").status_code == 404
    assert client.get("/monitoring/communes/25396/").status_code == 404
    assert "Trần Thị An" not in client.get("/monitoring/work/").content.decode()
