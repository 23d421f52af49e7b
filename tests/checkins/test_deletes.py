"""Check-ins keep their venue and person without foreign-key constraints (migration 0003): the
rule holds when venues and people are deleted, by SQL as well as by Django, and a delete running
beside a scan never leaves a check-in pointing at nobody."""

import threading
import uuid

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client
from django.utils import timezone

from kiemdich.checkins.models import Checkin
from kiemdich.checkins.services import Scan, record_scan_batch, record_scans
from kiemdich.declarations.models import Person
from kiemdich.declarations.services import person_token
from kiemdich.venues.services import qr_url
from tests.checkins.conftest import other_connection
from tests.declarations.conftest import make_person
from tests.venues.conftest import make_venue

TRIGGERS = pytest.mark.postgresql("the triggers are PostgreSQL's (migration 0003)")
LOCKS = pytest.mark.postgresql(
    "PostgreSQL's row and table locks between two sessions (SQLite writes one at a time)"
)


def entry(venue, person: Person) -> Scan:
    return Scan(uuid.uuid4(), qr_url(venue), "in", person_token=person_token(person))


def orphans() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM checkins_checkin c WHERE (c.person_id IS NOT NULL AND NOT "
            "EXISTS (SELECT 1 FROM declarations_person p WHERE p.id = c.person_id)) OR NOT "
            "EXISTS (SELECT 1 FROM venues_venue v WHERE v.id = c.venue_id)"
        )
        return cursor.fetchone()[0]


@TRIGGERS
def test_a_visited_venue_is_not_deleted_even_by_sql(binh_phuoc):
    shop, quiet = make_venue(), make_venue(name="Quán chưa ai quét")
    record_scans([entry(shop, make_person())])
    refused = pytest.raises(IntegrityError, match="checkpoints with check-ins cannot be deleted")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM venues_venue WHERE id IN (%s, %s)", [shop.pk, quiet.pk])
    assert Checkin.objects.filter(venue=shop).count() == 1


@TRIGGERS
def test_deleting_people_even_by_sql_empties_their_checkins(binh_phuoc):
    shop = make_venue()
    gone, kept = make_person(1), make_person(2)
    record_scans([entry(shop, gone), entry(shop, kept)])
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM declarations_person WHERE id = %s", [gone.pk])
    assert set(Checkin.objects.values_list("person_id", flat=True)) == {None, kept.pk}
    assert orphans() == 0


def run_while_a_delete_is_open(person: Person, scan_it) -> object:
    """Delete `person` in another session and, before it commits, scan in this one: the scan
    must wait for the delete, then find the person gone."""
    other = other_connection()
    other.execute("DELETE FROM declarations_person WHERE id = %s", [person.pk])
    outcome: dict = {}

    def scan() -> None:
        try:
            outcome["result"] = scan_it()
        finally:
            connections.close_all()

    worker = threading.Thread(target=scan)
    worker.start()
    worker.join(1.0)
    waited = worker.is_alive()
    other.commit()
    other.close()
    worker.join(30)
    assert waited, "the scan did not wait for the delete"
    return outcome["result"]


@LOCKS
@pytest.mark.django_db(transaction=True)
def test_a_single_scan_waits_for_a_delete_and_finds_the_person_gone(binh_phuoc):
    shop, person = make_venue(), make_person()
    body = {
        "client_id": str(uuid.uuid4()),
        "venue": qr_url(shop),
        "person_token": person_token(person),
        "direction": "in",
    }
    response = run_while_a_delete_is_open(
        person,
        lambda: Client().post("/api/v1/checkins", body, content_type="application/json"),
    )
    assert response.status_code == 410 and response.json()["code"] == "person_gone"
    assert not Checkin.objects.exists() and orphans() == 0


@LOCKS
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store", [record_scan_batch, record_scans])
def test_a_batch_waits_for_a_delete_and_finds_the_person_gone(binh_phuoc, store):
    shop, person, other_person = make_venue(), make_person(1), make_person(2)
    results = run_while_a_delete_is_open(
        person, lambda: store([entry(shop, person), entry(shop, other_person)])
    )
    assert [r.status for r in results] == [410, 201]
    assert list(Checkin.objects.values_list("person_id", flat=True)) == [other_person.pk]
    assert orphans() == 0


@LOCKS
@pytest.mark.django_db(transaction=True)
def test_a_delete_waits_for_scans_being_stored_and_empties_them(binh_phuoc):
    shop, person = make_venue(), make_person()
    other = other_connection()
    done = threading.Event()

    def delete() -> None:
        other.execute("DELETE FROM declarations_person WHERE id = %s", [person.pk])
        other.commit()
        done.set()

    with transaction.atomic():
        record_scan_batch([entry(shop, person)])
        deleter = threading.Thread(target=delete)
        deleter.start()
        assert not done.wait(1.0), "the delete did not wait for the scan being stored"
    deleter.join(30)
    other.close()
    assert done.is_set()
    visit = Checkin.objects.get()
    assert visit.person_id is None and visit.t_in <= timezone.now()
    assert orphans() == 0


@LOCKS
@pytest.mark.django_db(transaction=True)
def test_a_django_delete_queues_behind_scans_instead_of_deadlocking(binh_phuoc):
    """Django empties the check-ins' person before its DELETE runs; unless it takes the delete
    lock before that (checkins/signals.py), a scan ending that person's visit meanwhile and the
    delete wait for each other until PostgreSQL kills one."""
    shop, cafe = make_venue(), make_venue(name="Cà phê Gió", category="restaurant")
    person, other_person = make_person(1), make_person(2)
    record_scans([entry(cafe, person)])  # an open visit, which the next entry ends
    failures: list[Exception] = []

    def delete() -> None:
        try:
            Person.objects.filter(pk=person.pk).delete()
        except Exception as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    with transaction.atomic():
        record_scan_batch([entry(shop, other_person)])  # this transaction now stores scans
        deleter = threading.Thread(target=delete)
        deleter.start()
        deleter.join(0.5)
        results = record_scan_batch([entry(shop, person)])  # ends the cafe visit
    deleter.join(30)
    assert not failures, failures
    assert [r.status for r in results] == [201]
    assert not Person.objects.filter(pk=person.pk).exists()
    assert Checkin.objects.filter(person__isnull=True).count() == 2 and orphans() == 0


def test_an_admin_edit_never_asks_for_the_bound_and_keeps_it_above_the_exit(binh_phuoc, rf):
    from django.contrib.admin import site

    from kiemdich.accounts.models import User
    from kiemdich.checkins.admin import CheckinAdmin

    record_scans([entry(make_venue(), make_person())])
    visit = Checkin.objects.get()
    model_admin = CheckinAdmin(Checkin, site)
    request = rf.get("/")
    request.user = User.objects.create_superuser("root", "root@example.org", "a-long-password")
    assert "t_out_max" not in model_admin.get_form(request, visit).base_fields
    assert {"venue", "person"} <= set(model_admin.get_readonly_fields(request, visit))
    visit.t_out = visit.t_out_max + timezone.timedelta(hours=1)  # an exit typed in later
    visit.save()
    visit.refresh_from_db()
    assert visit.t_out_max == visit.t_out
