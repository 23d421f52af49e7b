"""Visitors without a smartphone checked in by a code sent to their phone (checkins.phonecheck):
the services, the staff pages and the API. The code is read from the outbox, as the visitor's
phone would receive it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from kiemdich.accounts.models import AuditLog, Role
from kiemdich.accounts.tokens import create_token
from kiemdich.checkins import phonecheck
from kiemdich.checkins.models import Checkin, Method, PhoneCheck, ScanDaily
from kiemdich.declarations import services as declarations
from kiemdich.declarations.forms import DeclarationForm, FamilyDeclarationForm
from kiemdich.declarations.models import Person
from kiemdich.messaging.models import Message
from kiemdich.venues.models import Status, VenueStaff
from tests.conftest import PASSWORD, make_user
from tests.declarations.conftest import DECLARATION
from tests.venues.conftest import make_venue

PHONE = "+84912345678"  # DECLARATION's phone, as stored


def cleaned(form_class=DeclarationForm, **overrides) -> dict:
    """A declaration's values as the form hands them to the services."""
    form = form_class(data={**DECLARATION, **overrides})
    assert form.is_valid(), form.errors
    return form.cleaned_data


def declared(**overrides) -> Person:
    """Someone who declared on their own phone (`overrides` on top of DECLARATION)."""
    declaration, _ = declarations.declare(cleaned(**overrides))
    return declaration.person


def sms_code(check: PhoneCheck) -> str:
    """The code as the visitor's phone gets it: the outbox's message to that phone."""
    message = Message.objects.get(key=f"phone-code:{check.pk}")
    assert message.to == check.phone
    return re.search(r"\b(\d{6})\b", message.body).group(1)


@pytest.fixture
def shop(personas):
    return make_venue(owner=personas["venue_owner"])


@pytest.fixture
def owner(personas):
    return personas["venue_owner"]


# Services


def test_a_known_phone_gets_a_code_and_the_visitor_is_checked_in_with_their_declaration(
    shop, owner
):
    person = declared()
    check = phonecheck.start(owner, shop.pk, "0912 345 678")
    assert check.sent and check.phone == PHONE
    message = Message.objects.get(key=f"phone-code:{check.pk}")
    # In Vietnamese, naming the checkpoint, the code in plain digits; the row keeps a hash only.
    assert "Tạp hóa Minh Phương" in message.body and "phút" in message.body
    code = sms_code(check)
    assert code not in check.code_hash and len(check.code_hash) == 64

    outcome = phonecheck.confirm(owner, check.pk, code, "in")
    [recorded] = outcome.recorded
    assert recorded.status == 201 and recorded.person == person
    checkin = Checkin.objects.get()
    assert (checkin.person, checkin.venue, checkin.method) == (person, shop, Method.PHONE)
    assert checkin.recorded_by == owner and checkin.t_out_auto  # the usual stay, as any entry
    assert ScanDaily.objects.get(commune_id="25396").scans == 1  # counted like any scan
    assert outcome.declarations[person.pk] == person.declarations.get()
    assert recorded.shown.name == "N***** V** A*"  # what a scanner shows, masked

    # The same code again (a double tap) stores nothing more: the writer's replay answer.
    again = phonecheck.confirm(owner, check.pk, code, "in")
    assert [r.status for r in again.recorded] == [200]
    assert Checkin.objects.count() == 1


def test_an_unknown_phone_gets_no_sms_and_the_same_answer(shop, owner):
    known = phonecheck.start(owner, shop.pk, "+84912345678")
    unknown = phonecheck.start(owner, shop.pk, "0987 000 111")
    assert not unknown.sent and not known.sent  # nobody declared with either yet
    assert not Message.objects.exists()
    declared()
    check = phonecheck.start(owner, shop.pk, PHONE)
    assert check.sent and Message.objects.count() == 1
    # Any code typed for the unknown phone is wrong, as for a known one.
    with pytest.raises(phonecheck.WrongCode):
        phonecheck.confirm(owner, unknown.pk, "123456")


def test_a_wrong_code_counts_and_five_spend_the_check(shop, owner):
    declared()
    check = phonecheck.start(owner, shop.pk, PHONE)
    code = sms_code(check)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(phonecheck.WrongCode) as refused:
            phonecheck.confirm(owner, check.pk, wrong)
        assert refused.value.left == left and refused.value.status == 422
    with pytest.raises(phonecheck.CodeSpent):
        phonecheck.confirm(owner, check.pk, wrong)
    # Spent: even the right code no longer works, and nobody was checked in.
    with pytest.raises(phonecheck.CodeSpent):
        phonecheck.confirm(owner, check.pk, code)
    assert PhoneCheck.objects.get().attempts == 5 and not Checkin.objects.exists()


def test_the_code_expires(shop, owner):
    declared()
    check = phonecheck.start(owner, shop.pk, PHONE)
    code = sms_code(check)
    later = timezone.now() - dt.timedelta(minutes=phonecheck.CODE_MINUTES, seconds=1)
    PhoneCheck.objects.filter(pk=check.pk).update(expires_at=later)
    with pytest.raises(phonecheck.CodeExpired) as refused:
        phonecheck.confirm(owner, check.pk, code)
    assert refused.value.status == 410 and not Checkin.objects.exists()


def test_a_code_is_for_the_account_that_asked(shop, owner, personas):
    declared()
    check = phonecheck.start(owner, shop.pk, PHONE)
    code = sms_code(check)
    # An officer of the area may scan there, but another account's code is not theirs to type.
    with pytest.raises(phonecheck.NotFound):
        phonecheck.confirm(personas["commune"], check.pk, code)
    assert not Checkin.objects.exists()


def test_only_who_may_scan_there_asks_for_a_code(shop, personas):
    declared()
    for who in ("citizen", "tracer", "other_commune"):
        with pytest.raises(phonecheck.NotStaff):
            phonecheck.start(personas[who], shop.pk, PHONE)
    assert not PhoneCheck.objects.exists() and not Message.objects.exists()
    guard = make_user("+84900000009", Role.CITIZEN)
    VenueStaff.objects.create(venue=shop, user=guard)
    assert phonecheck.start(guard, shop.pk, PHONE).sent


def test_a_paused_checkpoint_sends_no_code(client, shop, owner):
    declared()
    shop.status = Status.PAUSED
    shop.save()
    with pytest.raises(phonecheck.ScanRefused) as refused:
        phonecheck.start(owner, shop.pk, PHONE)
    assert refused.value.code == "paused"
    log_in(client, owner)
    page = client.get(f"/venues/{shop.pk}/phone/").content.decode()
    assert 'id="phone-form"' not in page and 'class="notice"' in page
    assert client.post(f"/venues/{shop.pk}/phone/", {"phone": PHONE}).status_code == 409
    assert not Message.objects.exists() and not PhoneCheck.objects.exists()


def test_a_phone_a_family_shares_asks_who_is_here(shop, owner):
    """A grandmother declared on her basic phone, and her son declared for his child with it."""
    grandmother = declared(full_name="Trần Thị Bà", birth_year=1950, id_number="")
    son = declared(full_name="Lê Văn Con", phone="0987654321", id_number="")
    child_declaration, _ = declarations.declare_for_member(
        son,
        cleaned(
            FamilyDeclarationForm,
            full_name="Lê Thị Cháu",
            birth_year=2016,
            gender="female",
            id_number="",
            phone="0912 345 678",
        ),
    )
    child = child_declaration.person
    check = phonecheck.start(owner, shop.pk, PHONE)
    outcome = phonecheck.confirm(owner, check.pk, sms_code(check), "in")
    assert not outcome.recorded and not Checkin.objects.exists()
    assert {c.person for c in outcome.people} == {grandmother, child}
    # Only the phone's people may be picked.
    with pytest.raises(phonecheck.FieldError):
        phonecheck.check_in(owner, check.pk, [son.pk], "in")
    done = phonecheck.check_in(owner, check.pk, [grandmother.pk, child.pk], "in")
    assert sorted(r.person.pk for r in done.recorded) == sorted([grandmother.pk, child.pk])
    assert set(Checkin.objects.values_list("person_id", flat=True)) == {grandmother.pk, child.pk}
    # Done: asked again, it stores nobody twice.
    phonecheck.check_in(owner, check.pk, [grandmother.pk], "in")
    assert Checkin.objects.count() == 2


def test_picking_needs_the_code_first(shop, owner):
    person = declared()
    check = phonecheck.start(owner, shop.pk, PHONE)
    with pytest.raises(phonecheck.NotConfirmed):
        phonecheck.check_in(owner, check.pk, [person.pk])


# Pages


def log_in(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def test_the_staff_page_sends_a_code_and_checks_the_visitor_in(client, shop, owner):
    person = declared()
    log_in(client, owner)
    page = client.get(f"/venues/{shop.pk}/scanner/")
    assert f'href="/venues/{shop.pk}/phone/"' in page.content.decode()
    form = client.get(f"/venues/{shop.pk}/phone/")
    assert form.status_code == 200 and 'name="phone"' in form.content.decode()

    sent = client.post(f"/venues/{shop.pk}/phone/", {"phone": "0912 345 678"})
    check = PhoneCheck.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/venues/{shop.pk}/phone/{check.pk}/"
    code_page = client.get(sent["Location"]).content.decode()
    assert "0912 345 678" in code_page
    assert person.full_name not in code_page and "N*****" not in code_page  # nothing before
    before = AuditLog.objects.count()

    wrong_code = f"{(int(sms_code(check)) + 1) % 1_000_000:06d}"
    wrong = client.post(sent["Location"], {"code": wrong_code, "direction": "in"})
    assert wrong.status_code == 422
    html = wrong.content.decode()
    assert 'class="field invalid" id="field-code"' in html and "Còn 4 lần thử" in html
    assert f'value="{wrong_code}"' in html  # what was typed stays
    assert AuditLog.objects.count() == before and not Checkin.objects.exists()

    done = client.post(sent["Location"], {"code": sms_code(check), "direction": "in"})
    assert done.status_code == 201
    html = done.content.decode()
    assert "N***** V** A*" in html and person.full_name not in html
    assert Checkin.objects.get().method == Method.PHONE
    log = AuditLog.objects.get(pk__gt=0, reason="check-in by phone code")
    assert log.actor == owner and log.subjects == [person.pk] and log.unit_code == "25396"
    # Reloading the result stores nothing more.
    again = client.post(sent["Location"], {"code": sms_code(check), "direction": "in"})
    assert again.status_code == 200 and Checkin.objects.count() == 1


def test_a_bad_phone_is_refused_next_to_the_field_and_kept(client, shop, owner):
    log_in(client, owner)
    response = client.post(f"/venues/{shop.pk}/phone/", {"phone": "12345"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'class="field invalid" id="field-phone"' in html and 'value="12345"' in html
    assert not PhoneCheck.objects.exists()


def test_the_page_says_the_same_whether_the_phone_is_known(client, shop, owner):
    declared()
    log_in(client, owner)
    pages = []
    for phone in ("0912 345 678", "0987 000 111"):
        sent = client.post(f"/venues/{shop.pk}/phone/", {"phone": phone})
        assert sent.status_code == 302
        html = client.get(sent["Location"]).content.decode()
        pages.append(
            re.sub(
                r"09\d[\d ]+", "PHONE", re.search(r'<p id="code-sent".*?</p>', html, re.S).group(0)
            )
        )
    assert pages[0] == pages[1]
    assert Message.objects.count() == 1  # only the known phone got an SMS


def test_codes_are_rate_limited_per_phone_and_per_staff(client, shop, owner, settings):
    settings.RATELIMITS = {**settings.RATELIMITS, "phone-code-phone": "2/h", "phone-code": "4/h"}
    declared()
    log_in(client, owner)
    for _ in range(2):
        assert client.post(f"/venues/{shop.pk}/phone/", {"phone": PHONE}).status_code == 302
    refused = client.post(f"/venues/{shop.pk}/phone/", {"phone": PHONE})
    assert refused.status_code == 429 and refused["Retry-After"]
    assert 'id="field-phone"' in refused.content.decode()
    assert PhoneCheck.objects.count() == 2
    # Other phones still go, until the staff account's own limit (the refused try counted).
    assert client.post(f"/venues/{shop.pk}/phone/", {"phone": "0987000111"}).status_code == 302
    assert client.post(f"/venues/{shop.pk}/phone/", {"phone": "0987000112"}).status_code == 429
    assert PhoneCheck.objects.count() == 3
    cache.clear()


def test_another_account_cannot_open_the_code_page(client, shop, owner, personas):
    declared()
    check = phonecheck.start(owner, shop.pk, PHONE)
    log_in(client, personas["commune"])
    assert client.get(f"/venues/{shop.pk}/phone/{check.pk}/").status_code == 404
    response = client.post(f"/venues/{shop.pk}/phone/{check.pk}/", {"code": sms_code(check)})
    assert response.status_code == 404 and not Checkin.objects.exists()


def test_the_page_asks_who_is_here_for_a_shared_phone(client, shop, owner):
    first = declared(full_name="Trần Thị Bà", birth_year=1950, id_number="")
    second = declared(full_name="Trần Văn Ông", birth_year=1948, id_number="")
    log_in(client, owner)
    sent = client.post(f"/venues/{shop.pk}/phone/", {"phone": PHONE})
    check = PhoneCheck.objects.get()
    pick = client.post(sent["Location"], {"code": sms_code(check), "direction": "in"})
    assert pick.status_code == 200
    html = pick.content.decode()
    assert "T*** T** B*" in html and "T*** V** Ô**" in html and not Checkin.objects.exists()
    nobody = client.post(sent["Location"], {"person_ids": "", "direction": "in"})
    assert nobody.status_code == 422 and not Checkin.objects.exists()
    done = client.post(sent["Location"], {"person_ids": [second.pk], "direction": "in"})
    assert done.status_code == 201
    assert list(Checkin.objects.values_list("person_id", flat=True)) == [second.pk]
    assert first.pk not in Checkin.objects.values_list("person_id", flat=True)


# API


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {create_token(user)[1]}"}


def test_the_api_sends_a_code_and_checks_in(client, shop, owner):
    person = declared()
    headers = bearer(owner)
    sent = client.post(
        "/api/v1/checkins/phone",
        {"venue_id": shop.pk, "phone": "0912 345 678"},
        content_type="application/json",
        **headers,
    )
    assert sent.status_code == 202, sent.json()
    body = sent.json()
    assert set(body) == {"id", "expires_at", "detail"}
    unknown = client.post(
        "/api/v1/checkins/phone",
        {"venue_id": shop.pk, "phone": "0987 000 111"},
        content_type="application/json",
        **headers,
    )
    assert unknown.status_code == 202 and unknown.json()["detail"] == body["detail"]
    check = PhoneCheck.objects.get(pk=body["id"])
    url = f"/api/v1/checkins/phone/{check.pk}/confirm"
    wrong = client.post(url, {"code": "abc"}, content_type="application/json", **headers)
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "code"]
    done = client.post(
        url,
        {"code": sms_code(check), "direction": "in"},
        content_type="application/json",
        **headers,
    )
    assert done.status_code == 201, done.json()
    [checkin] = done.json()["checkins"]
    assert checkin["person"]["name"] == "N***** V** A*" and checkin["has_risk"] is False
    assert checkin["declared_at"] and done.json()["people"] == []
    assert Checkin.objects.get().person == person
    assert AuditLog.objects.filter(actor=owner, subjects=[person.pk]).exists()


def test_the_api_refuses_a_bad_phone_and_strangers(client, shop, owner, personas):
    bad = client.post(
        "/api/v1/checkins/phone",
        {"venue_id": shop.pk, "phone": "12"},
        content_type="application/json",
        **bearer(owner),
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "phone"]
    body = {"venue_id": shop.pk, "phone": PHONE}
    anonymous = client.post("/api/v1/checkins/phone", body, content_type="application/json")
    assert anonymous.status_code == 401
    citizen = client.post(
        "/api/v1/checkins/phone",
        body,
        content_type="application/json",
        **bearer(personas["citizen"]),
    )
    assert citizen.status_code == 404  # a checkpoint out of reach is a missing one
    tracer = client.post(
        "/api/v1/checkins/phone",
        body,
        content_type="application/json",
        **bearer(personas["tracer"]),
    )
    assert tracer.status_code == 403
    assert not PhoneCheck.objects.exists()


# Retention


def test_phone_checks_go_with_the_retention_period(shop, owner, settings):
    from django.core.management import call_command

    settings.RETENTION_DAYS = 30
    declared()
    old = phonecheck.start(owner, shop.pk, PHONE)
    fresh = phonecheck.start(owner, shop.pk, PHONE)
    PhoneCheck.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    Message.objects.filter(key=f"phone-code:{old.pk}").update(
        created_at=timezone.now() - dt.timedelta(days=31)
    )
    call_command("retention", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert list(PhoneCheck.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert list(Message.objects.values_list("key", flat=True)) == [f"phone-code:{fresh.pk}"]
