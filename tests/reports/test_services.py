"""The 15:00 / 16:00 deadlines: who is flagged, who is reminded (once), and what counts as late."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from kiemdich.accounts.models import Role
from kiemdich.geo.models import Unit
from kiemdich.messaging.models import Message
from kiemdich.reports.models import DailyReport, MissedDeadline
from kiemdich.reports.services import (
    Figures,
    ReportState,
    check_deadlines,
    next_deadline,
    overview,
    submit,
)
from kiemdich.reports.tasks import check_report_deadlines, schedule_deadline_check
from tests.conftest import make_user

DAY = dt.date(2021, 7, 12)


def at(hhmm: str, day: dt.date = DAY) -> dt.datetime:
    """An aware instant at local (Vietnam) time `hhmm` on `day`."""
    hours, minutes = map(int, hhmm.split(":"))
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time(hours, minutes)), timezone.get_default_timezone()
    )


@pytest.fixture
def officers(personas):
    """Đức Phong's officer has a phone, its second officer none; Thống Nhất's has one too."""
    for key, phone in (("commune", "+84912000001"), ("other_commune", "+84912000002")):
        personas[key].phone = phone
        personas[key].save()
    return personas


def reminders() -> list[tuple[str, str]]:
    return sorted(Message.objects.values_list("key", "to"))


def test_at_15_01_an_unreported_commune_is_flagged_and_its_officer_reminded_once(officers):
    thong_nhat = Unit.objects.get(code="25420")
    submit(officers["other_commune"], thong_nhat, DAY, Figures(installs=40), now=at("14:00"))

    assert check_deadlines(at("14:59")).flagged == []
    assert not MissedDeadline.objects.exists() and not Message.objects.exists()

    first = check_deadlines(at("15:01"))

    # Only Đức Phong: Thống Nhất reported at 14:00, the other communes have no officer account,
    # and the districts are not due before 16:00.
    assert first.flagged == ["25396"] and first.reminded == 1
    officer = officers["commune"]
    assert reminders() == [(f"report-reminder:25396:2021-07-12:{officer.pk}", "+84912000001")]
    missed = MissedDeadline.objects.get()
    assert (missed.unit_id, missed.date, missed.reminded) == ("25396", DAY, 1)

    second = check_deadlines(at("15:20"))

    assert second.flagged == [] and second.reminded == 0
    assert len(reminders()) == 1
    assert MissedDeadline.objects.get().reminded == 1


def test_at_16_01_the_districts_with_an_officer_are_flagged(officers):
    check_deadlines(at("15:01"))
    result = check_deadlines(at("16:01"))
    # Bù Đăng and Lộc Ninh have officers (without phones: flagged, nobody to text).
    assert result.flagged == ["692", "696"] and result.reminded == 0
    flagged = set(MissedDeadline.objects.values_list("unit_id", flat=True))
    assert flagged == {"25396", "25420", "692", "696"}


def test_a_report_sent_at_15_30_is_accepted_marked_late_and_the_flag_stays(officers):
    duc_phong = Unit.objects.get(code="25396")
    check_deadlines(at("15:01"))

    report, created = submit(
        officers["commune"], duc_phong, DAY, Figures(installs=120), now=at("15:30")
    )

    assert created and report.late and report.status == DailyReport.Status.SENT
    assert report.submitted_at == at("15:30")
    row = next(
        r for r in overview(duc_phong.parent, DAY, now=at("15:40")).rows if r.unit == duc_phong
    )
    assert row.state == ReportState.LATE and row.flagged and row.report.installs == 120
    # Sent now: no further reminder, however often the check runs.
    assert check_deadlines(at("15:45")).reminded == 0
    assert [key for key, _to in reminders() if ":25396:" in key] == [
        f"report-reminder:25396:2021-07-12:{officers['commune'].pk}"
    ]


def test_a_report_sent_before_the_deadline_stays_on_time_when_corrected_later(officers):
    duc_phong = Unit.objects.get(code="25396")
    submit(officers["commune"], duc_phong, DAY, Figures(installs=100), now=at("14:00"))

    report, created = submit(
        officers["commune_peer"], duc_phong, DAY, Figures(installs=110, scans=5), now=at("17:00")
    )

    assert not created and DailyReport.objects.count() == 1
    assert report.installs == 110 and report.scans == 5
    assert report.submitted_at == at("14:00") and not report.late
    assert check_deadlines(at("15:01")).flagged == ["25420"]  # Đức Phong had reported


def test_the_district_sees_on_time_late_waiting_and_missing(officers):
    district = Unit.objects.get(code="696")
    submit(
        officers["other_commune"],
        Unit.objects.get(code="25420"),
        DAY,
        Figures(installs=40, smartphone_users=100),
        now=at("09:00"),
    )

    before = overview(district, DAY, now=at("14:00"))
    states = {r.unit.code: r.state for r in before.rows}
    assert states["25420"] == ReportState.ON_TIME
    assert states["25396"] == ReportState.WAITING
    assert {s for c, s in states.items() if c not in ("25396", "25420")} == {
        ReportState.NOT_EXPECTED
    }
    assert before.own_state == ReportState.WAITING

    after = overview(district, DAY, now=at("16:30"))
    assert {r.unit.code: r.state for r in after.rows}["25396"] == ReportState.MISSING
    assert after.counts == {"on_time": 1, "late": 0, "missing": 1, "draft": 0, "waiting": 0}
    assert after.total.installs == 40 and after.total.smartphone_users == 100
    assert after.total.scans is None  # nobody gave it: unknown, not zero
    assert after.own_state == ReportState.MISSING


def test_next_deadline_is_the_next_15_00_or_16_00():
    assert next_deadline(at("09:00")) == at("15:00")
    assert next_deadline(at("15:00")) == at("16:00")
    assert next_deadline(at("16:30")) == at("15:00", DAY + dt.timedelta(days=1))


def test_the_deadlines_are_configurable(officers, settings):
    settings.REPORT_DEADLINE_UNIT = "11:30"
    assert check_deadlines(at("11:29")).flagged == []
    assert check_deadlines(at("11:31")).flagged == ["25396", "25420"]


def test_inactive_officers_do_not_make_a_unit_expected(officers):
    for key in ("commune", "commune_peer"):
        officers[key].is_active = False
        officers[key].save()
    assert check_deadlines(at("15:01")).flagged == ["25420"]


def test_the_command_checks_as_of_a_given_time(officers, capsys):
    call_command("reports", "deadlines", "--at", "2021-07-12T15:01")
    out = capsys.readouterr().out
    assert "2 units newly flagged (25396, 25420), 2 reminders queued" in out
    assert MissedDeadline.objects.filter(date=DAY, unit_id="25396").exists()
    call_command("reports", "deadlines", "--at", "2021-07-12T15:05")
    assert "0 units newly flagged" in capsys.readouterr().out
    assert len(reminders()) == 2  # one per commune officer with a phone, not one per run


def test_the_command_refuses_a_bad_time(officers):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("reports", "deadlines", "--at", "yesterday")


def test_the_task_runs_in_process_by_default(officers):
    result = check_report_deadlines.enqueue()
    local = timezone.localtime()
    due = local.hour * 60 + local.minute >= 15 * 60
    assert ("25396" in result.return_value["flagged"]) == due
    assert schedule_deadline_check() is None  # the in-process backend cannot defer: use cron


def test_with_the_database_backend_the_check_books_the_next_deadline_once(binh_phuoc, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    first = schedule_deadline_check()
    assert first is not None and schedule_deadline_check() is None
    booked = DBTaskResult.objects.get()
    local = timezone.localtime(booked.run_after)
    assert (local.hour, local.minute) in ((15, 0), (16, 0))
    assert booked.run_after == next_deadline() and booked.run_after > timezone.now()


def test_an_officer_added_later_is_reminded_without_a_second_flag(officers):
    check_deadlines(at("15:01"))
    late_comer = make_user("xa_ducphong_3", Role.COMMUNE_OFFICER, "25396", phone="+84912000003")
    result = check_deadlines(at("15:30"))
    assert result.flagged == [] and result.reminded == 1
    assert (f"report-reminder:25396:2021-07-12:{late_comer.pk}", "+84912000003") in reminders()
    assert MissedDeadline.objects.get(unit_id="25396").reminded == 2


def test_a_check_run_the_next_morning_still_flags_yesterday(officers, settings):
    """The worker was down at 15:00: the check booked for 15:00 runs at 08:00 the next day and
    still flags and reminds for the day it was booked for."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    booked = schedule_deadline_check(at("14:00"))
    assert DBTaskResult.objects.get().run_after == at("15:00")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    result = check_report_deadlines.call(*booked.args)
    assert result["flagged"] == ["25396", "25420"]
    assert set(MissedDeadline.objects.values_list("date", flat=True)) == {DAY}


def test_a_failed_check_still_books_the_next_one(officers, monkeypatch):
    import kiemdich.reports.tasks as tasks

    booked = []
    monkeypatch.setattr(tasks, "check_deadlines", lambda now: 1 / 0)
    monkeypatch.setattr(tasks, "schedule_deadline_check", lambda: booked.append(True))
    with pytest.raises(ZeroDivisionError):
        check_report_deadlines.call()
    assert booked == [True]


def test_a_sent_report_cannot_be_turned_back_into_a_draft(officers):
    duc_phong = Unit.objects.get(code="25396")
    submit(officers["commune"], duc_phong, DAY, Figures(installs=100), now=at("14:00"))
    with pytest.raises(ValidationError) as refused:
        submit(
            officers["commune"], duc_phong, DAY, Figures(installs=5), send=False, now=at("14:10")
        )
    assert "status" in refused.value.message_dict
    report = DailyReport.objects.get()
    assert (report.installs, report.status) == (100, DailyReport.Status.SENT)


def test_a_draft_past_the_deadline_is_counted(officers):
    duc_phong = Unit.objects.get(code="25396")
    submit(officers["commune"], duc_phong, DAY, Figures(installs=100), send=False, now=at("14:00"))
    view = overview(Unit.objects.get(code="696"), DAY, now=at("15:30"))
    assert view.counts[ReportState.DRAFT] == 1
