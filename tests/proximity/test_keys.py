"""The key upload's rules (GAEN): each refusal has its own code and stores nothing; with the
case's consent, a warned phone's person joins the case's F1 list as a Bluetooth contact."""

from __future__ import annotations

import datetime as dt

import hypothesis
import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import strategies as st

from kiemdich.declarations.models import Person
from kiemdich.declarations.services import person_token
from kiemdich.proximity import keyserver, keystore, protocol
from kiemdich.proximity.exportfile import ExportKey
from kiemdich.proximity.models import ConsentedKey, DiagnosisKey, VerificationCode
from kiemdich.tracing import services as tracing
from kiemdich.tracing.models import Contact, Evidence

from .conftest import Phone, b64, issue, post

pytestmark = pytest.mark.django_db
DAY = protocol.TEK_ROLLING_PERIOD
NOW = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
TODAY = protocol.rolling_start(protocol.interval_number(NOW))


def key(day: int = 0, period: int = DAY, start: int | None = None, risk: int = 0, data=None):
    return keyserver.UploadKey(
        b64(data or bytes([day % 256]) * 16),
        TODAY - day * DAY if start is None else start,
        period,
        risk,
    )


@pytest.mark.parametrize(
    ("keys", "onset", "code"),
    [
        ([], None, "no_keys"),
        ([key(d) for d in range(15)], None, "too_many_keys"),
        ([keyserver.UploadKey("c2hvcnQ=", TODAY)], None, "key_invalid"),
        ([key(period=0)], None, "rolling_period_invalid"),
        ([key(period=145)], None, "rolling_period_invalid"),
        ([key(start=TODAY + 100, period=50)], None, "rolling_start_invalid"),
        ([key(1), key(2, data=bytes([1]) * 16)], None, "duplicate_key"),
        (
            [key(1), key(start=TODAY - DAY + 10, period=20, data=b"x" * 16)],
            None,
            "two_keys_one_day",
        ),
        ([key(-1)], None, "key_in_future"),
        ([key(15)], None, "key_too_old"),
        ([key(risk=9)], None, "transmission_risk_invalid"),
        ([key(0)], TODAY - 15 * DAY, "onset_invalid"),
    ],
)
def test_each_rule_refuses_with_its_code(keys, onset, code):
    with pytest.raises(keyserver.UploadRefused) as refused:
        keyserver.check_keys(keys, protocol.interval_number(NOW), onset)
    assert refused.value.code == code


def test_14_days_of_keys_with_onset_pass():
    keys = [key(d) for d in range(14)]
    checked = keyserver.check_keys(keys, protocol.interval_number(NOW), TODAY - 3 * DAY)
    assert [k.days_since_onset for k in checked] == [3 - d for d in range(14)]
    # Today's key (still rolling, shorter) and a key of 14 days ago are fine.
    keyserver.check_keys([key(0, period=50), key(14)], protocol.interval_number(NOW), None)


def test_a_refused_upload_stores_nothing_and_uses_nothing_up(client, personas, case):
    phone = Phone(client)
    code = issue(client, personas["tracer"], case).json()["code"]
    certificate = phone.certificate(code)
    bad = phone.upload(certificate, keys=[*phone.keys[:13], phone.keys[0]])
    assert (bad.status_code, bad.json()["code"]) == (400, "duplicate_key")
    assert not DiagnosisKey.objects.exists()
    assert VerificationCode.objects.get().uploaded_at is None
    assert phone.upload(certificate).status_code == 200


def warned_person():
    return Person.objects.create(
        full_name="Trần Thị Hàng", phone="+84912000002", commune_id="25396"
    )


def heard(phone, day: int = 1) -> list[dict]:
    k = phone.keys[day]
    first = protocol.interval_start(k.rolling_start) + dt.timedelta(hours=10)
    return [
        {
            "key": b64(k.key),
            "rollingStartNumber": k.rolling_start,
            "firstSeen": first.isoformat(),
            "lastSeen": (first + dt.timedelta(minutes=30)).isoformat(),
        }
    ]


def share(client, person, exposures):
    return post(client, "exposures", {"personToken": person_token(person), "exposures": exposures})


def test_with_consent_a_warned_person_who_shares_joins_the_f1_list(client, personas, case):
    phone = Phone(client)
    certificate = phone.certificate(issue(client, personas["tracer"], case).json()["code"])
    answer = phone.upload(certificate, consent=True)
    assert answer.json()["linkedToCase"] == 14
    neighbour = warned_person()
    shared = share(client, neighbour, heard(phone))
    assert (shared.status_code, shared.json()) == (202, {"received": 1})
    contact = Contact.objects.get(case=case)
    assert (contact.person, contact.degree, contact.evidence) == (neighbour, 1, Evidence.BLUETOOTH)
    assert contact.venue is None and contact.source_id == case.person_id
    assert contact.overlap == dt.timedelta(minutes=30)
    assert contact.commune_id == "25396"
    # The same share again (a retry after a lost answer) answers as the first and lists
    # nobody twice.
    again = share(client, neighbour, heard(phone))
    assert (again.status_code, again.json()) == (202, {"received": 1})
    assert Contact.objects.count() == 1


def test_the_answer_says_nothing_of_which_keys_are_linked(client, personas, case):
    """Diagnosis keys are public: an attacker with a person token sends keys from the export
    files. Linked to a consented case or not, listed already or not, the answer is the same,
    so pairs of keys sent cannot tell which of them belong to one case (GAEN's unlinkability
    across days)."""
    phone = Phone(client)
    certificate = phone.certificate(issue(client, personas["tracer"], case).json()["code"])
    phone.upload(certificate, consent=True)
    unlinked = [dict(heard(phone)[0], key=b64(b"u" * 16))]
    answers = []
    for i, exposures in enumerate([unlinked, heard(phone, 1), heard(phone, 2), heard(phone, 3)]):
        person = Person.objects.create(full_name=f"Người {i}", phone=f"+8491200010{i}")
        if i == 3:  # listed already (as by a QR scan)
            tracing.add_bluetooth_contact(case, person, NOW, NOW + dt.timedelta(minutes=20))
        got = share(client, person, exposures)
        answers.append((got.status_code, got.json()))
    assert answers == [(202, {"received": 1})] * 4
    two_days = heard(phone, 1) + heard(phone, 2)
    got = share(client, Person.objects.create(full_name="Người 9", phone="+84912000109"), two_days)
    assert (got.status_code, got.json()) == (202, {"received": 2})


def test_one_share_per_person_a_day_of_at_most_14_keys(client, personas, case):
    """Each share is one try at public keys: once a day per person, whatever the address."""
    phone = Phone(client)
    certificate = phone.certificate(issue(client, personas["tracer"], case).json()["code"])
    phone.upload(certificate, consent=True)
    neighbour = warned_person()
    fifteen = [dict(heard(phone)[0], key=b64(bytes([i]) * 16)) for i in range(15)]
    assert share(client, neighbour, fifteen).status_code == 422
    assert share(client, neighbour, heard(phone, 1)).status_code == 202
    other = share(client, neighbour, heard(phone, 2))
    assert (other.status_code, other.json()["code"]) == (429, "rate_limited")
    assert int(other["Retry-After"]) > 0
    assert Contact.objects.count() == 1
    # The same share again still answers as the first did; another person is not limited.
    assert share(client, neighbour, heard(phone, 1)).status_code == 202
    assert share(client, warned_person(), heard(phone, 2)).status_code == 202


def test_without_consent_nothing_links_keys_to_anyone(client, personas, case):
    phone = Phone(client)
    certificate = phone.certificate(issue(client, personas["tracer"], case).json()["code"])
    assert phone.upload(certificate).json()["linkedToCase"] == 0
    assert not ConsentedKey.objects.exists()
    shared = share(client, warned_person(), heard(phone))
    assert (shared.status_code, shared.json()) == (202, {"received": 1})
    assert not Contact.objects.exists()


def test_a_code_by_hand_links_no_case_even_with_consent(client, personas):
    phone = Phone(client)
    certificate = phone.certificate(issue(client, personas["tracer"]).json()["code"])
    assert phone.upload(certificate, consent=True).json()["linkedToCase"] == 0
    assert not ConsentedKey.objects.exists()


def test_sharing_impossible_times_is_refused(client, binh_phuoc):
    body = {
        "personToken": person_token(warned_person()),
        "exposures": [
            {
                "key": b64(b"k" * 16),
                "rollingStartNumber": TODAY,
                "firstSeen": "2026-12-01T10:00:00",  # no time zone
                "lastSeen": "2026-12-01T10:30:00",
            }
        ],
    }
    answer = post(client, "exposures", body)
    assert (answer.status_code, answer.json()["code"]) == (400, "time_invalid")
    body["exposures"][0].update(firstSeen="2026-12-01T11:00:00Z", lastSeen="2026-12-01T10:00:00Z")
    assert post(client, "exposures", body).json()["code"] == "time_invalid"


def test_sharing_a_key_heard_outside_its_day_is_refused(client, personas, case):
    """Diagnosis keys are public (the export files): anyone may send one. A sighting outside
    the day the key was broadcast (more than the 2 hours of clock tolerance) is made up, and
    refused before any link is looked up, linked or not."""
    phone = Phone(client)
    certificate = phone.certificate(issue(client, personas["tracer"], case).json()["code"])
    phone.upload(certificate, consent=True)
    token = person_token(warned_person())
    for shift in (dt.timedelta(days=2), -dt.timedelta(hours=13)):
        made_up = heard(phone)
        for field in ("firstSeen", "lastSeen"):
            made_up[0][field] = (dt.datetime.fromisoformat(made_up[0][field]) + shift).isoformat()
        answer = post(client, "exposures", {"personToken": token, "exposures": made_up})
        assert (answer.status_code, answer.json()["code"]) == (400, "time_invalid")
    assert not Contact.objects.exists()
    # Within the tolerance (a phone's clock an hour off at the day's edge) it counts.
    late = heard(phone)
    day_end = protocol.interval_start(phone.keys[1].rolling_start + DAY)
    late[0].update(
        firstSeen=day_end.isoformat(), lastSeen=(day_end + dt.timedelta(hours=1)).isoformat()
    )
    answer = post(client, "exposures", {"personToken": token, "exposures": late})
    assert answer.json() == {"received": 1}
    assert Contact.objects.count() == 1


def test_sharing_needs_the_persons_own_token(client, db):
    answer = post(client, "exposures", {"personToken": "forged", "exposures": []})
    assert (answer.status_code, answer.json()["code"]) == (400, "person_invalid")


def test_codes_expire_and_consented_links_go_with_the_case(client, personas, case, settings):
    phone = Phone(client)
    certificate = phone.certificate(issue(client, personas["tracer"], case).json()["code"])
    phone.upload(certificate, consent=True)
    assert ConsentedKey.objects.count() == 14
    far = timezone.now() + dt.timedelta(days=settings.RETENTION_DAYS + 3)
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=far):
        call_command("retention", verbosity=0)
    assert not VerificationCode.objects.exists()
    assert not ConsentedKey.objects.exists()


class _Rollback(Exception):
    """Raised to undo one drawn example's key."""


@hypothesis.settings(
    max_examples=60, deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
@hypothesis.given(
    now_in_day=st.integers(min_value=0, max_value=DAY * 600 - 1),
    #: When the key ended, in intervals after the moment 14 days before now: both sides of
    #: the boundary, and the boundary itself, drawn often.
    end_after_cutoff=st.integers(min_value=-1, max_value=1) | st.integers(-3 * DAY, 3 * DAY),
    period=st.integers(min_value=1, max_value=DAY),
)
def test_the_upload_refuses_exactly_the_keys_the_store_deletes(
    now_in_day, end_after_cutoff, period
):
    """One 14-day rule: a key the upload refuses as too old is one the store's SQL (purge and
    exports) counts as expired at the same moment, and the other way round."""
    now = dt.datetime.fromtimestamp(TODAY * 600 + now_in_day, tz=dt.UTC)
    now_interval = protocol.interval_number(now)
    end = now_interval - 14 * DAY + end_after_cutoff
    start = end - period
    hypothesis.assume(start // DAY == (end - 1) // DAY)
    upload = keyserver.UploadKey(b64(b"r" * 16), start, period)
    try:
        keyserver.check_keys([upload], now_interval, None)
        refused = False
    except keyserver.UploadRefused as exc:
        assert exc.code == "key_too_old"
        refused = True
    try:
        with transaction.atomic():
            keystore.add_keys([ExportKey(b"r" * 16, start, period, 0, 1, None)], now)
            assert keystore.expired(now).exists() is refused
            assert keystore.live(now).exists() is not refused
            raise _Rollback
    except _Rollback:
        pass
