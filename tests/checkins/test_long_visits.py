"""An exit scan later than the checkpoint's usual stay still ends the visit it belongs to.

A visitor scans in at an office (usual stay 120 minutes) and out three hours later: within
MAX_STAY_MINUTES (12 hours) of the entry, and with no entry anywhere since, the exit ends that
visit at the exit's time, as one in time does. Single scans, one batch and batches one after the
other (an offline scanner's sync) alike, on both databases; an exit later than 12 hours, or after
an entry elsewhere, is an exit with no entry on record (a visit of no length) as before.
"""

import datetime as dt
import uuid

import pytest
from django.db.models import Sum
from django.utils import timezone

from kiemdich.checkins.models import Checkin, ScanDaily
from kiemdich.checkins.services import Recorded, Scan, record_scan, record_scan_batch
from kiemdich.declarations.services import person_token
from kiemdich.tracing import search
from kiemdich.venues.models import MAX_STAY_MINUTES
from kiemdich.venues.services import qr_url
from tests.declarations.conftest import make_person
from tests.venues.conftest import make_venue

USUAL = dt.timedelta(minutes=120)  # an office's usual stay (venues.models)


@pytest.fixture
def office(binh_phuoc):
    return make_venue(name="UBND xã Đức Phong", category="office")


@pytest.fixture
def now() -> dt.datetime:
    return timezone.now().replace(microsecond=0)


def scan(venue, person, direction: str, at: dt.datetime) -> Scan:
    return Scan(uuid.uuid4(), qr_url(venue), direction, at, person_token=person_token(person))


def counted() -> int:
    return ScanDaily.objects.aggregate(n=Sum("scans"))["n"] or 0


def assert_one_visit_ended_by(exit: Scan, entry: Scan) -> Checkin:
    visit = Checkin.objects.get()
    assert visit.client_id == entry.client_id and visit.client_id_out == exit.client_id
    assert (visit.t_in, visit.t_out) == (entry.at, exit.at)
    assert visit.t_out_auto is False
    assert visit.t_out_max >= visit.t_out
    assert counted() == 1  # an exit is not another visit
    return visit


def post(client, scan: Scan):
    body = {
        "client_id": str(scan.client_id),
        "venue": scan.venue,
        "direction": scan.direction,
        "at": scan.at.isoformat(),
        "person_token": scan.person_token,
    }
    return client.post("/api/v1/checkins", body, content_type="application/json")


def test_a_single_exit_three_hours_after_entry_ends_the_office_visit(client, office, now):
    person = make_person()
    entry = scan(office, person, "in", now - dt.timedelta(hours=4))
    exit = scan(office, person, "out", now - dt.timedelta(hours=1))
    assert post(client, entry).status_code == 201
    answer = post(client, exit)
    assert answer.status_code == 201
    body = answer.json()
    assert body["direction"] == "out" and body["exit_estimated"] is False
    assert dt.datetime.fromisoformat(body["t_out"]) == exit.at
    visit = assert_one_visit_ended_by(exit, entry)
    assert body["id"] == visit.pk
    again = post(client, exit)  # a retry of the exit is its replay
    assert again.status_code == 200 and again.json() == body
    assert Checkin.objects.count() == 1


def test_an_entry_and_a_late_exit_in_one_batch_are_one_visit(office, now):
    """An offline scanner's queue: the entry and the exit three hours later, sent together."""
    person = make_person()
    entry = scan(office, person, "in", now - dt.timedelta(hours=4))
    exit = scan(office, person, "out", now - dt.timedelta(hours=1))
    results = record_scan_batch([exit, entry])  # in any order: applied in time order
    assert [(r.status, r.direction) for r in results] == [(201, "out"), (201, "in")]
    assert_one_visit_ended_by(exit, entry)


def test_a_late_exit_in_a_later_batch_ends_the_visit_of_an_earlier_one(office, now):
    """The entry synced first (on PostgreSQL by the batch statement), the exit hours later."""
    person = make_person()
    entry = scan(office, person, "in", now - dt.timedelta(hours=5))
    exit = scan(office, person, "out", now - dt.timedelta(hours=2))
    assert record_scan_batch([entry])[0].status == 201
    [result] = record_scan_batch([exit])
    assert isinstance(result, Recorded) and (result.status, result.direction) == (201, "out")
    assert_one_visit_ended_by(exit, entry)


def test_an_exit_twelve_hours_after_entry_still_ends_it(office, now):
    person = make_person()
    entry = scan(office, person, "in", now - dt.timedelta(minutes=MAX_STAY_MINUTES + 30))
    exit = scan(office, person, "out", entry.at + dt.timedelta(minutes=MAX_STAY_MINUTES))
    record_scan(entry)
    record_scan(exit)
    assert_one_visit_ended_by(exit, entry)


def test_an_exit_thirteen_hours_after_entry_is_an_exit_with_no_entry(office, now):
    person = make_person()
    entry = scan(office, person, "in", now - dt.timedelta(hours=14))
    exit = scan(office, person, "out", now - dt.timedelta(hours=1))
    record_scan(entry)
    assert record_scan(exit).status == 201
    visit = Checkin.objects.get(client_id=entry.client_id)
    assert visit.t_out_auto is True and visit.t_out == entry.at + USUAL
    alone = Checkin.objects.get(client_id=exit.client_id)
    assert (alone.t_in, alone.t_out, alone.t_out_auto) == (exit.at, exit.at, False)
    assert Checkin.objects.count() == 2


@pytest.mark.parametrize("together", [False, True], ids=["one by one", "one batch"])
def test_a_late_exit_after_an_entry_elsewhere_does_not_end_the_first_visit(office, now, together):
    """In at the office, then in at a shop: that entry ended the office visit for real, so an
    exit scanned at the office afterwards belongs to no visit there."""
    person = make_person()
    shop = make_venue(name="Tạp hóa Minh Phương", category="shop")
    entry = scan(office, person, "in", now - dt.timedelta(hours=4))
    elsewhere = scan(shop, person, "in", now - dt.timedelta(hours=3))
    exit = scan(office, person, "out", now - dt.timedelta(hours=1))
    if together:
        record_scan_batch([entry, elsewhere, exit])
    else:
        for one in (entry, elsewhere, exit):
            record_scan(one)
    visit = Checkin.objects.get(client_id=entry.client_id)
    assert (visit.t_out, visit.t_out_auto) == (elsewhere.at, True)
    alone = Checkin.objects.get(client_id=exit.client_id)
    assert (alone.venue_id, alone.t_in, alone.t_out, alone.t_out_auto) == (
        office.pk,
        exit.at,
        exit.at,
        False,
    )
    assert Checkin.objects.count() == 3


def test_who_met_the_case_after_the_usual_stay_is_its_f1(office, now):
    """The case stays three hours; a visitor arrives two and a half hours after it (past the
    usual stay and the 30 minutes' margin after it) and meets it in its last half hour."""
    case, met, later = make_person(1), make_person(2), make_person(3)
    t0 = now - dt.timedelta(hours=6)
    record_scan(scan(office, case, "in", t0))
    record_scan(scan(office, met, "in", t0 + dt.timedelta(minutes=155)))
    record_scan(scan(office, case, "out", t0 + dt.timedelta(hours=3)))
    record_scan(scan(office, later, "in", t0 + dt.timedelta(hours=4)))  # long after it left
    found, _crowds = search.trace(case.pk, t0 - dt.timedelta(days=1), now, now)
    assert set(found) == {met.pk}
    degree, link = found[met.pk]
    assert degree == 1 and link.venue_id == office.pk
    assert link.start == t0 + dt.timedelta(minutes=155)
