"""`kiemdich retention` purges the expired rows of every table holding personal data.

The test walks every installed model (`apps.get_models()`). A model is personal when one of its
fields has a personal name or type (PERSONAL_NAMES, PERSONAL_TYPES) or points to a person. Each
personal model must be either purged (a maker below builds an expired and a fresh row, and the
purge must delete exactly the expired one) or in EXEMPT with the reason it is kept. A new model
with a personal field fails here until someone decides which.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.utils import timezone

from kiemdich.retention import purged_models

#: Field names that hold (or may hold) personal data: names, contact details, identity
#: numbers, addresses, birth dates, free texts about people, device ids, IP addresses, and the
#: framework's copies of any of those (admin log, sessions, task arguments and results).
PERSONAL_NAMES = {
    "full_name",
    "first_name",
    "last_name",
    "phone",
    "contact_phone",
    "to",
    "recipient",
    "email",
    "id_number",
    "address",
    "birth_year",
    "birth_date",
    "body",
    "text",
    "notes",
    "note",
    "ip",
    "install_id",
    "session_data",
    "object_repr",
    "change_message",
    "args_kwargs",
    "return_value",
    "traceback",
}
PERSONAL_TYPES = (models.EmailField, models.GenericIPAddressField)
PERSON_MODEL = "declarations.Person"

#: Reviewed: personal models the purge keeps on purpose, and why.
EXEMPT = {
    "accounts.User": "a login account (staff, officials, citizens who signed up): kept until "
    "the account is deleted; its phone is how the person is reached for their work",
    "accounts.AuditLog": "the accountability record of officials' reads of personal data: "
    "subjects are ids (person/contact/case ids, no name, phone or ID number), the reading "
    "official and their IP; ids of purged people point to nothing",
    "venues.Venue": "a checkpoint's registration: a business or office address and its "
    "contact line, printed on its poster; kept while the checkpoint exists",
    "geo.Unit": "administrative units: `full_name` is a commune's official name",
    "messaging.Campaign": "the official's own text to everybody of an area; its recipients "
    "are its outbox messages, which are purged (messaging.Message)",
    "reports.DailyReport": "a unit's daily report to the level above: figures and the unit's "
    "remark (`note`), an aggregate kept as the history of reports",
    "adoption.Install": "a pseudonymous app install id per commune (no name, phone or "
    "device data), the register behind the install counts and rates",
}

OLD = dt.timedelta(days=40)  # past the 30-day period set below
FRESH = dt.timedelta(days=2)


def is_personal(model) -> bool:
    for field in model._meta.get_fields():
        if not field.concrete:
            continue
        if field.name in PERSONAL_NAMES or isinstance(field, PERSONAL_TYPES):
            return True
        related = field.related_model if field.is_relation else None
        if related is not None and related._meta.label == PERSON_MODEL:
            return True
    return False


def personal_models() -> dict[str, type]:
    return {m._meta.label: m for m in apps.get_models() if is_personal(m)}


# Makers: each builds one row that is `age` old and returns it.


def _age(obj, age: dt.timedelta, field: str):
    type(obj).objects.filter(pk=obj.pk).update(**{field: timezone.now() - age})
    return obj


def _person(age: dt.timedelta):
    from kiemdich.declarations.models import Person

    person = Person.objects.create(full_name="Nguyễn Văn Cũ", phone="+84912000009")
    return _age(person, age, "created_at")


def _venue():
    from tests.venues.conftest import make_venue

    return make_venue()


def make_checkin(age):
    from kiemdich.checkins.models import Checkin

    t_in = timezone.now() - age
    return Checkin.objects.create(
        client_id=uuid.uuid4(),
        venue=_venue(),
        person=_person(FRESH),
        method="self",
        t_in=t_in,
        t_out=t_in + dt.timedelta(minutes=20),
    )


def make_declaration(age):
    from kiemdich.declarations.models import Declaration

    declaration = Declaration.objects.create(
        person=_person(FRESH),
        client_id=uuid.uuid4(),
        full_name="Nguyễn Văn Cũ",
        birth_year=1990,
        gender="male",
        phone="+84912000009",
        commune_id="25396",
        address="Số 1",
    )
    return _age(declaration, age, "created_at")


def make_case(age):
    from kiemdich.tracing.models import Case

    now = timezone.now()
    return Case.objects.create(
        person=_person(FRESH),
        unit_id="25396",
        confirmed_at=now - age,
        infectious_from=now - age - dt.timedelta(days=2),
        infectious_to=now - age + dt.timedelta(days=1),
    )


def make_contact(age):
    from kiemdich.tracing.models import Contact

    case = make_case(age)
    return Contact.objects.create(
        case=case,
        person=_person(FRESH),
        degree=1,
        source=case.person,
        venue=_venue(),
        overlap_from=case.confirmed_at - dt.timedelta(days=1),
        overlap_to=case.confirmed_at - dt.timedelta(days=1) + dt.timedelta(minutes=30),
        commune_id="25396",
        notes="Đã gọi, hẹn xét nghiệm",
    )


def make_monitoring(age):
    """A monitoring closed `age` ago, with a day's report: both go once it is old enough."""
    from kiemdich.monitoring.models import DailyReport, Monitoring

    now = timezone.now()
    monitoring = Monitoring.objects.create(
        person=_person(FRESH),
        regime="home_quarantine",
        exposure_at=now - age - dt.timedelta(days=14),
        period_days=14,
        ends_at=now - age,
        commune_id="25396",
        source="manual",
        state="closed",
        close_reason="completed",
        closed_at=now - age,
        created_at=now - age - dt.timedelta(days=14),
    )
    DailyReport.objects.create(
        monitoring=monitoring,
        date=(now - age).date(),
        symptoms=["cough"],
        reporter="self",
        created_at=now - age,
    )
    return monitoring


def make_message(age):
    from kiemdich.messaging.models import Message

    message = Message.objects.create(
        key=f"contact:{uuid.uuid4()}",
        channel="sms",
        to="+84912000009",
        body="Bạn có thể đã tiếp xúc gần với ca bệnh COVID-19 tại Tạp hóa",
        state="sent",
    )
    return _age(message, age, "created_at")


def make_phone_check(age):
    """A code sent to a visitor's phone at a checkpoint (checkins.phonecheck): the phone."""
    from kiemdich.checkins.models import PhoneCheck

    check = PhoneCheck.objects.create(
        client_id=uuid.uuid4(),
        venue=_venue(),
        phone="+84912000009",
        code_hash="0" * 64,
        sent=True,
        expires_at=timezone.now() - age + dt.timedelta(minutes=5),
    )
    return _age(check, age, "created_at")


def make_session(age):
    from django.contrib.sessions.models import Session

    # A session's own expiry date decides: an old one has expired, a fresh one has not.
    expire = timezone.now() - age if age > FRESH else timezone.now() + dt.timedelta(days=1)
    return Session.objects.create(
        session_key=uuid.uuid4().hex, session_data="e30:1", expire_date=expire
    )


def make_log_entry(age):
    from django.contrib.admin.models import ADDITION, LogEntry
    from django.contrib.contenttypes.models import ContentType

    from kiemdich.accounts.models import User
    from kiemdich.messaging.models import Message

    admin = User.objects.get_or_create(username="quantri", defaults={"is_staff": True})[0]
    entry = LogEntry.objects.create(
        user=admin,
        content_type=ContentType.objects.get_for_model(Message),
        object_id="1",
        object_repr="sms +84912000009: Bạn có thể đã tiếp xúc gần",
        action_flag=ADDITION,
        change_message="",
    )
    return _age(entry, age, "action_time")


def make_task_result(age):
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    return DBTaskResult.objects.create(
        status="SUCCESSFUL",
        args_kwargs={"args": ["/var/uploads/diem.xlsx"], "kwargs": {}},
        task_path="kiemdich.venues.tasks.import_venues_task",
        backend_name="default",
        run_after=now - age,
        finished_at=now - age,
        return_value={"errors": ["dòng 3: 0912 345 678 ..."]},
        exception_class_path="",
        traceback="",
    )


def make_ticket_event(age):
    """A line of a hotline ticket's history (an official's note), of a ticket resolved."""
    from kiemdich.hotline import services
    from kiemdich.hotline.models import Ticket, TicketEvent

    now = timezone.now()
    ticket = services.receive(
        services.Report("call", "gathering", "25396", description="Tụ tập ở nhà ông A"),
        now=now,
    )
    services.resolve(ticket, None, "Đã nhắc nhở ông A", now=now)
    Ticket.objects.filter(pk=ticket.pk).update(received_at=now - age)
    return TicketEvent.objects.filter(ticket=ticket).last()


MAKERS = {
    "hotline.TicketEvent": make_ticket_event,
    "checkins.Checkin": make_checkin,
    "checkins.PhoneCheck": make_phone_check,
    "declarations.Declaration": make_declaration,
    "declarations.Person": _person,
    "tracing.Case": make_case,
    "tracing.Contact": make_contact,
    "monitoring.Monitoring": make_monitoring,
    "messaging.Message": make_message,
    "sessions.Session": make_session,
    "admin.LogEntry": make_log_entry,
    "django_tasks_database.DBTaskResult": make_task_result,
}


def test_every_personal_model_is_purged_or_exempt_with_a_reason():
    found = personal_models()
    purged = {m._meta.label for m in purged_models()}
    undecided = sorted(set(found) - set(EXEMPT) - purged)
    assert undecided == [], (
        "These models hold personal data and the retention purge does not cover them: add an "
        "Expiry to their app's retention.py (and a maker here), or exempt them with a reason."
    )
    untested = sorted((set(found) & purged) - set(MAKERS))
    assert untested == [], "Purged personal models without a maker in this test"
    stale = sorted(set(EXEMPT) - set(found))
    assert stale == [], "Exempt models that are gone or no longer personal: drop them"
    assert not set(EXEMPT) & purged, "A model cannot be both purged and exempt"


@pytest.mark.parametrize("label", sorted(MAKERS))
def test_expired_rows_of_each_personal_model_are_purged(binh_phuoc, settings, label):
    settings.RETENTION_DAYS = 30
    model = apps.get_model(label)
    expired = MAKERS[label](OLD)
    fresh = MAKERS[label](FRESH)
    call_command("retention", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not model.objects.filter(pk=expired.pk).exists(), f"{label}: expired row kept"
    assert model.objects.filter(pk=fresh.pk).exists(), f"{label}: fresh row deleted"


def test_the_purge_keeps_the_aggregates(binh_phuoc, settings):
    from kiemdich.adoption.models import InstallDay, InstallFigure
    from kiemdich.checkins.models import ScanDaily
    from kiemdich.geo.models import UnitStat
    from kiemdich.messaging import campaigns
    from kiemdich.messaging.models import Campaign, Message
    from tests.conftest import make_user

    settings.RETENTION_DAYS = 30
    old = timezone.localdate() - OLD
    ScanDaily.objects.create(commune_id="25396", date=old, scans=8832)
    InstallDay.objects.create(unit_id="25396", date=old, added=40, removed=2)
    InstallFigure.objects.create(unit_id="25396", date=old, installs=1234)
    UnitStat.objects.create(unit_id="25396", date=old, population=9000, smartphone_users=5000)
    officer = make_user("xa_cu", "commune_officer", "25396")
    campaign = Campaign.objects.create(
        name="Nhắc cài đặt", kind="install", text="Cài Bluezone", channel="sms", unit_id="25396"
    )
    campaign.created_by = officer
    campaign.queued = campaign.total = 3
    campaign.status = "done"
    campaign.save()
    for n, state in enumerate(["sent", "sent", "failed"]):
        message = Message.objects.create(
            key=f"{campaign.key_prefix}+8491200000{n}", channel="sms", to="x", body="b", state=state
        )
        _age(message, OLD, "created_at")
    before = campaigns.progress(campaign)
    call_command("retention", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not Message.objects.exists()
    assert ScanDaily.objects.get().scans == 8832
    assert InstallDay.objects.get().added == 40 and InstallFigure.objects.get().installs == 1234
    assert UnitStat.objects.get().smartphone_users == 5000
    campaign.refresh_from_db()
    after = campaigns.progress(campaign)
    assert (
        (after["sent"], after["failed"], after["finished"])
        == (2, 1, True)
        == (
            before["sent"],
            before["failed"],
            before["finished"],
        )
    )


def test_a_person_with_a_kept_case_is_kept(binh_phuoc, settings):
    """An old person with no declaration or scan left, but a case still followed up, stays
    (deleting them would take the case with them)."""
    from kiemdich.declarations.models import Person

    settings.RETENTION_DAYS = 30
    case = make_case(FRESH)
    _age(case.person, OLD, "created_at")
    lonely = _person(OLD)
    call_command("retention", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Person.objects.filter(pk=case.person.pk).exists()
    assert not Person.objects.filter(pk=lonely.pk).exists()
