"""Scanning in and out through the API: self scans, staff scans, replays, batches, refusals."""

import datetime as dt
import json
import uuid
from dataclasses import replace

import pytest
from django.db import OperationalError, connection
from django.db.models import Sum
from django.utils import timezone
from ninja.responses import NinjaJSONEncoder

from kiemdich.accounts.tokens import create_token
from kiemdich.checkins import fastsql, reading, services
from kiemdich.checkins.models import Checkin, ScanDaily
from kiemdich.checkins.services import Entry, Recorded, Scan, record_scan_batch, record_scans
from kiemdich.declarations.models import Person
from kiemdich.declarations.services import person_token
from kiemdich.venues import signing
from kiemdich.venues.models import SigningKey, Status
from kiemdich.venues.services import qr_url
from tests.checkins.conftest import other_connection
from tests.declarations.conftest import DECLARATION, make_person
from tests.venues.conftest import make_venue


@pytest.fixture
def shop(binh_phuoc):
    return make_venue(name="Tạp hóa Minh Phương", category="shop")


@pytest.fixture
def token(client, binh_phuoc) -> str:
    response = client.post("/api/v1/declarations", DECLARATION, content_type="application/json")
    return response.json()["person_token"]


def post(client, body: dict, url="/api/v1/checkins", **headers):
    return client.post(url, body, content_type="application/json", **headers)


def scan(venue, **fields) -> dict:
    return {"client_id": str(uuid.uuid4()), "venue": qr_url(venue), **fields}


def scans_today(commune="25396") -> int:
    row = ScanDaily.objects.filter(commune_id=commune, date=timezone.localdate()).first()
    return row.scans if row else 0


def scans_all_days(commune="25396") -> int:
    """Scans counted on any day: back-dated entries may fall before local midnight."""
    return sum(ScanDaily.objects.filter(commune_id=commune).values_list("scans", flat=True))


def test_a_scan_counts_at_once_and_a_second_scan_is_the_exit(client, shop, token):
    entry = post(client, scan(shop, person_token=token))
    assert entry.status_code == 201
    body = entry.json()
    assert body["direction"] == "in" and body["venue"]["name"] == "Tạp hóa Minh Phương"
    # No exit yet: the visit ends after the shop's usual stay (20 minutes) unless scanned out.
    t_in = dt.datetime.fromisoformat(body["t_in"])
    assert dt.datetime.fromisoformat(body["t_out"]) - t_in == dt.timedelta(minutes=20)
    assert body["exit_estimated"] is True
    assert scans_today() == 1
    leaving = post(client, scan(shop, person_token=token))
    assert leaving.status_code == 201 and leaving.json()["direction"] == "out"
    visit = Checkin.objects.get()
    assert visit.t_out_auto is False and visit.t_out >= visit.t_in
    assert scans_today() == 1  # an exit is not another visit


def test_a_replayed_client_id_returns_the_original_and_stores_nothing(client, shop, token):
    body = scan(shop, person_token=token, direction="in")
    first = post(client, body)
    again = post(client, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Checkin.objects.count() == 1 and scans_today() == 1


def test_entering_another_venue_ends_the_visit_before(client, shop, token):
    cafe = make_venue(name="Cà phê Gió", category="restaurant")
    now = timezone.now()
    post(client, scan(shop, person_token=token, at=(now - dt.timedelta(minutes=10)).isoformat()))
    post(client, scan(cafe, person_token=token, at=now.isoformat()))
    at_shop = Checkin.objects.get(venue=shop)
    assert abs((at_shop.t_out - now).total_seconds()) < 1


@pytest.mark.parametrize(
    ("at", "code"),
    [
        (lambda now: now + dt.timedelta(hours=1), "future"),
        (lambda now: now - dt.timedelta(days=31), "too_old"),
    ],
)
def test_scan_times_in_the_future_or_beyond_retention_are_refused(client, shop, token, at, code):
    response = post(client, scan(shop, person_token=token, at=at(timezone.now()).isoformat()))
    assert response.status_code == 422 and response.json()["code"] == code
    assert not Checkin.objects.exists() and scans_today() == 0


def test_forged_and_revoked_posters_are_refused(client, shop, token):
    payload = signing.sign(shop.pk)
    forged = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    response = post(client, scan(shop, person_token=token) | {"venue": forged})
    assert response.status_code == 400 and response.json()["code"] == "forged"
    shop.status = Status.REVOKED
    shop.save()
    response = post(client, scan(shop, person_token=token) | {"venue": payload})
    assert response.status_code == 410 and response.json()["code"] == "revoked"
    assert not Checkin.objects.exists()


@pytest.mark.parametrize(
    ("batch", "direction"),
    [(False, "in"), (True, "in"), (False, "out"), (True, "out")],
    ids=["fast entry", "fast batch", "general path", "general batch"],
)
def test_a_poster_whose_key_another_process_retired_is_refused_at_once(
    client, shop, token, batch, direction
):
    """This process has verified the poster and read its key; then `kiemdich venues keys
    retire` (another process) retires the key: the next scan is refused, on every path."""
    assert post(client, scan(shop, person_token=token, direction="in")).status_code == 201
    body = scan(shop, person_token=token, direction=direction)  # the same poster
    SigningKey.objects.update(retired_at=timezone.now())
    if batch:
        response = post(client, {"items": [body]}, url="/api/v1/checkins/batch")
        result = response.json()["results"][0]
        assert (result["status"], result["code"]) == (410, "key_retired")
    else:
        response = post(client, body)
        assert response.status_code == 410 and response.json()["code"] == "key_retired"
    assert Checkin.objects.count() == 1 and scans_today() == 1


@pytest.mark.parametrize(
    ("batch", "direction"),
    [(False, "in"), (True, "in"), (False, "out"), (True, "out")],
    ids=["fast entry", "fast batch", "general path", "general batch"],
)
def test_a_paused_checkpoint_records_no_scan_until_it_resumes(
    client, shop, token, batch, direction
):
    """The poster of a paused checkpoint stays genuine, but no entry is recorded there: 409
    `paused` on every path, and the same scan is stored once the checkpoint resumes."""
    body = scan(shop, person_token=token, direction=direction)
    shop.status = Status.PAUSED
    shop.save()
    if batch:
        response = post(client, {"items": [body]}, url="/api/v1/checkins/batch")
        result = response.json()["results"][0]
        assert (result["status"], result["code"]) == (409, "paused")
        assert "tạm dừng" in result["detail"]
    else:
        response = post(client, body)
        assert response.status_code == 409 and response.json()["code"] == "paused"
    assert not Checkin.objects.exists() and scans_today() == 0
    assert (
        client.get(f"/api/v1/venues/resolve/{signing.sign(shop.pk)}").json()["accepts_scans"]
        is False
    )
    shop.status = Status.ACTIVE
    shop.save()
    assert post(client, body).status_code == 201 and Checkin.objects.count() == 1


def test_bad_person_tokens_are_refused(client, shop):
    response = post(client, scan(shop, person_token="12:not-a-signature"))
    assert response.status_code == 400 and response.json()["code"] == "bad_token"


def test_only_staff_scan_other_people(client, shop, personas):
    shop.owner = personas["venue_owner"]
    shop.save()
    typed = scan(shop, person={"full_name": "Lê Thị Cúc", "phone": "0987654321"})
    assert post(client, typed).status_code == 401
    _, citizen_token = create_token(personas["citizen"])
    refused = post(client, typed, HTTP_AUTHORIZATION=f"Bearer {citizen_token}")
    assert refused.status_code == 403
    _, owner_token = create_token(personas["venue_owner"])
    stored = post(client, typed, HTTP_AUTHORIZATION=f"Bearer {owner_token}")
    assert stored.status_code == 201
    assert stored.json()["person"] == {"name": "L* T** C**", "birth_year": None, "gender": ""}
    visit = Checkin.objects.get()
    assert visit.method == "manual" and visit.recorded_by == personas["venue_owner"]
    # The same visitor typed in again is the same person, not a new one.
    post(
        client, typed | {"client_id": str(uuid.uuid4())}, HTTP_AUTHORIZATION=f"Bearer {owner_token}"
    )
    assert Person.objects.count() == 1


def test_staff_scan_personal_and_id_card_qr_codes(client, shop, personas, token):
    shop.owner = personas["venue_owner"]
    shop.save()
    _, owner_token = create_token(personas["venue_owner"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {owner_token}"}
    person = Person.objects.get()
    personal = signing.qr_url(signing.sign(person.pk, kind=signing.PERSON), kind=signing.PERSON)
    response = post(client, scan(shop, person_qr=personal), **auth)
    assert response.status_code == 201
    assert Checkin.objects.get().person == person
    cccd = "079190001234|123456789|Phạm Văn Đức|15081990|Nam|12 Lê Lợi, Đồng Xoài|01012021"
    response = post(client, scan(shop, person_qr=cccd, direction="in"), **auth)
    assert response.json()["person"] == {
        "name": "P*** V** Đ**",
        "birth_year": 1990,
        "gender": "male",
    }
    assert Person.objects.filter(id_number="079190001234", entered_by_staff=True).exists()
    junk = post(client, scan(shop, person_qr="hello"), **auth)
    assert junk.status_code == 400 and junk.json()["code"] == "unknown_qr"


def test_a_control_post_scans_a_vehicle_poster_with_no_person(client, binh_phuoc, personas):
    bus = make_venue(
        name="Xe khách Phúc Lộc", category="vehicle_interprovincial", plate_number="93B-012.34"
    )
    _, officer_token = create_token(personas["commune"])
    response = post(client, scan(bus), HTTP_AUTHORIZATION=f"Bearer {officer_token}")
    assert response.status_code == 201 and response.json()["person"] is None
    assert scans_today() == 1


def test_a_batch_reports_each_scan_and_applies_them_in_time_order(client, shop, token):
    now = timezone.now()
    entry = scan(
        shop, person_token=token, direction="in", at=(now - dt.timedelta(minutes=9)).isoformat()
    )
    exit_ = scan(
        shop, person_token=token, direction="out", at=(now - dt.timedelta(minutes=2)).isoformat()
    )
    bad = scan(shop, person_token=token, at=(now + dt.timedelta(days=1)).isoformat())
    response = post(client, {"items": [exit_, bad, entry, entry]}, url="/api/v1/checkins/batch")
    assert response.status_code == 200
    body = response.json()
    assert [r["status"] for r in body["results"]] == [201, 422, 201, 200]
    assert (body["stored"], body["replayed"], body["failed"]) == (2, 1, 1)
    visit = Checkin.objects.get()
    assert visit.t_out_auto is False
    assert round((visit.t_out - visit.t_in).total_seconds()) == 7 * 60
    assert scans_today() == 1
    # The whole batch again (the scanner never heard back): all replays, nothing new.
    again = post(client, {"items": [exit_, entry]}, url="/api/v1/checkins/batch").json()
    assert [r["status"] for r in again["results"]] == [200, 200]
    assert Checkin.objects.count() == 1 and scans_today() == 1


def test_an_exit_without_a_recorded_entry_is_still_a_visit(client, shop, token):
    response = post(client, scan(shop, person_token=token, direction="out"))
    assert response.status_code == 201
    visit = Checkin.objects.get()
    assert visit.t_in == visit.t_out and scans_today() == 1


def test_a_batch_is_at_most_1000_scans(client, shop, token):
    items = [scan(shop, person_token=token) for _ in range(1001)]
    response = post(client, {"items": items}, url="/api/v1/checkins/batch")
    assert response.status_code == 422
    assert not Checkin.objects.exists()


def test_fast_entries_store_what_the_general_path_stores(client, shop, token):
    """Entries with a token take a shorter path; the rows must be the same as a batch makes."""
    cafe = make_venue(name="Cà phê Gió", category="restaurant")
    now = timezone.now()
    times = [now - dt.timedelta(minutes=m) for m in (50, 30, 10)]
    singles = [
        scan(venue, person_token=token, direction="in", at=t.isoformat())
        for venue, t in zip([shop, cafe, shop], times, strict=True)
    ]
    for body in singles:
        assert post(client, body).status_code == 201
    fields = ("venue_id", "person_id", "method", "t_in", "t_out", "t_out_auto")
    fast = list(Checkin.objects.order_by("t_in").values_list(*fields))
    daily = scans_all_days()
    Checkin.objects.all().delete()
    ScanDaily.objects.all().delete()
    batch = [body | {"client_id": str(uuid.uuid4())} for body in singles]
    post(client, {"items": batch}, url="/api/v1/checkins/batch")
    assert list(Checkin.objects.order_by("t_in").values_list(*fields)) == fast
    assert scans_all_days() == daily == 3
    # Each entry ended the visit before it.
    assert [row[4] for row in fast[:2]] == times[1:]


def test_fast_entries_refuse_like_the_general_path(client, shop, token):
    body = scan(shop, person_token=token, direction="in")
    shop.status = Status.REVOKED
    shop.save()
    response = post(client, body)
    assert response.status_code == 410 and response.json()["code"] == "revoked"
    Person.objects.all().delete()
    open_venue = make_venue(name="Chợ Đức Phong", category="market")
    assert open_venue.status == Status.ACTIVE
    response = post(client, scan(open_venue, person_token=token, direction="in"))
    assert response.json()["code"] == "person_gone", response.json()
    assert response.status_code == 410
    assert not Checkin.objects.exists() and scans_today() == 0


def stored_rows() -> tuple[list, dict]:
    fields = ("venue_id", "person_id", "method", "t_in", "t_out", "t_out_auto")
    rows = list(Checkin.objects.order_by("t_in", "person_id", "venue_id").values_list(*fields))
    daily = dict(
        ScanDaily.objects.values("commune_id")
        .annotate(n=Sum("scans"))
        .values_list("commune_id", "n")
    )
    return rows, daily


def test_a_batch_of_entries_stores_what_the_general_path_stores(shop):
    """Token holders' entries in a batch are stored by one statement (fastsql.fast_entries);
    the rows and counts must be exactly what the scan-by-scan path makes of the same batch."""
    cafe = make_venue(name="Cà phê Gió", category="restaurant", commune="25420")
    people = [make_person(n) for n in range(3)]
    a, b, c = (person_token(p) for p in people)
    now = timezone.now()

    def entry(venue, token, minutes_ago, client_id=None):
        at = now - dt.timedelta(minutes=minutes_ago)
        return Scan(client_id or uuid.uuid4(), qr_url(venue), "in", at, person_token=token)

    def run(store) -> tuple[list, tuple[list, dict]]:
        # A is still in the cafe (90 minutes' usual stay) when the batch's entries come in.
        store([entry(cafe, a, 40)])
        repeated = uuid.uuid4()
        batch = [
            entry(cafe, a, 25),  # ends A's shop visit, which began at -30 (20 minutes' stay)
            entry(shop, a, 30),  # ends the stored cafe visit
            entry(shop, b, 10),
            entry(cafe, b, 10),  # at the same moment: neither ends the other
            entry(shop, c, 5, repeated),
            entry(shop, c, 5, repeated),  # sent twice in the batch: a replay of the first
            entry(shop, c, 100),  # over long before: ended by nothing
        ]
        results = store(batch)
        rows = stored_rows()
        Checkin.objects.all().delete()
        ScanDaily.objects.all().delete()
        return results, rows

    fast_results, fast = run(record_scan_batch)
    general_results, general = run(record_scans)
    # Elsewhere than on PostgreSQL the batch takes the general path too (no fast statement).
    stored_as = Entry if connection.vendor == "postgresql" else Recorded
    assert all(isinstance(r, stored_as) for r in fast_results), fast_results
    assert [r.status for r in fast_results] == [r.status for r in general_results]
    assert [r.status for r in fast_results] == [201, 201, 201, 201, 201, 200, 201]
    assert fast == general
    rows, daily = fast
    assert daily == {"25396": 4, "25420": 3}
    # A's visits: the cafe until the shop entry, the shop until the cafe entry, then the cafe's
    # usual stay.
    a_ends = [row[4] - now for row in rows if row[1] == people[0].pk]
    assert a_ends == [dt.timedelta(minutes=m) for m in (-30, -25, 65)]


def test_a_batch_answers_replays_and_refusals_beside_stored_entries(client, shop, token):
    stored = scan(shop, person_token=token, direction="in")
    assert post(client, stored).status_code == 201
    closed = make_venue(name="Quán đã đóng")
    closed_scan = scan(closed, person_token=token, direction="in")
    closed.status = Status.REVOKED
    closed.save()
    gone = make_person()
    gone_token = person_token(gone)
    gone.delete()
    fresh = scan(shop, person_token=token, direction="in")
    items = [
        fresh,
        stored,
        closed_scan,
        scan(shop, person_token=gone_token, direction="in"),
        fresh,
    ]
    body = post(client, {"items": items}, url="/api/v1/checkins/batch").json()
    assert [(r["status"], r["code"]) for r in body["results"]] == [
        (201, "stored"),
        (200, "replayed"),
        (410, "revoked"),
        (410, "person_gone"),
        (200, "replayed"),
    ]
    assert body["results"][0]["checkin"] == body["results"][4]["checkin"]
    assert body["results"][0]["checkin"]["venue"]["name"] == "Tạp hóa Minh Phương"
    assert (body["stored"], body["replayed"], body["failed"]) == (1, 2, 2)
    assert Checkin.objects.count() == 2 and scans_today() == 2


def test_a_replay_in_a_batch_does_not_end_a_new_entry(shop):
    """An app resends a scan the server already has beside an older one it never sent: the
    replay changes nothing, so the new entry keeps its usual stay, as on the general path."""
    cafe = make_venue(name="Cà phê Gió", category="restaurant")
    token = person_token(make_person())
    now = timezone.now()
    online = Scan(uuid.uuid4(), qr_url(shop), "in", now - dt.timedelta(minutes=10), token)
    assert isinstance(record_scans([online])[0], Recorded)
    offline = Scan(uuid.uuid4(), qr_url(cafe), "in", now - dt.timedelta(minutes=30), token)
    results = record_scan_batch([offline, online])
    stored_as = Entry if connection.vendor == "postgresql" else Recorded  # the fast path or not
    assert isinstance(results[0], stored_as) and [r.status for r in results] == [201, 200]
    visit = Checkin.objects.get(client_id=offline.client_id)
    assert visit.t_out == offline.at + dt.timedelta(minutes=90)
    assert Checkin.objects.count() == 2


@pytest.mark.postgresql("a PL/pgSQL function raising PostgreSQL's deadlock error in the fast path")
@pytest.mark.parametrize(
    "inside",
    [
        pytest.param("a transaction", marks=pytest.mark.django_db),
        pytest.param("autocommit", marks=pytest.mark.django_db(transaction=True)),
    ],
)
def test_a_batch_whose_statement_fails_is_stored_by_the_general_path(shop, monkeypatch, inside):
    """A lock cycle with another writer (PostgreSQL cancels one side): the statement's work is
    rolled back, the connection stays usable, and the general path stores the batch; whether
    the statement ran as its own transaction or in a savepoint of the caller's."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION pg_temp.deadlock(items text) RETURNS void AS $$ BEGIN "
            "RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END $$ LANGUAGE plpgsql"
        )
    monkeypatch.setattr(fastsql, "entries_sql", lambda: "SELECT pg_temp.deadlock(%(items)s::text)")
    token = person_token(make_person())
    batch = [Scan(uuid.uuid4(), qr_url(shop), "in", timezone.now(), token)]
    results = record_scan_batch(batch)
    assert isinstance(results[0], Recorded) and results[0].status == 201
    assert Checkin.objects.count() == 1 and scans_today() == 1


def test_a_client_id_stored_by_another_request_meanwhile_is_answered_as_a_replay(shop, monkeypatch):
    """Two requests with one client id at once: the other one stores it after this one looked
    for replays. The insert then conflicts, and the scan is run again and answered as the
    replay it is, not as a server error."""
    first = Scan(uuid.uuid4(), qr_url(shop), "in", timezone.now(), person_token(make_person()))
    record_scans([first])
    look = reading.replays
    calls: list[int] = []

    def too_early(scans):  # the first look ran before the other request committed
        calls.append(1)
        return {} if len(calls) == 1 else look(scans)

    monkeypatch.setattr(reading, "replays", too_early)
    [result] = record_scans([first])
    assert len(calls) == 2 and isinstance(result, Recorded) and result.status == 200
    assert Checkin.objects.count() == 1 and scans_today() == 1


@pytest.mark.postgresql("the fast paths are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "store",
    [record_scan_batch, lambda scans: [services.fast_entry(scans[0])]],
    ids=["batch", "one"],
)
def test_a_lost_connection_fails_one_request_and_the_next_reconnects(shop, store):
    """PostgreSQL restarted, or the session was killed: that scan fails, and the connection
    is dropped at the end of the request (as Django drops its own), not kept to fail the next
    requests too."""
    token, poster = person_token(make_person()), qr_url(shop)

    def scans() -> list[Scan]:
        return [Scan(uuid.uuid4(), poster, "in", timezone.now(), token)]

    assert isinstance(store(scans())[0], Entry)
    killer = other_connection()
    killer.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
    killer.close()
    with pytest.raises(OperationalError):
        store(scans())
    connection.close_if_unusable_or_obsolete()  # what Django does when a request ends
    assert isinstance(store(scans())[0], Entry)
    assert Checkin.objects.count() == 2


@pytest.mark.postgresql("PostgreSQL's isolation levels")
@pytest.mark.django_db(transaction=True)
def test_sessions_read_committed_whatever_the_database_default(binh_phuoc):
    """The scan statements' lock against deletes comes before their snapshot only in READ
    COMMITTED (settings.py): a database whose default is stricter must not change that."""
    name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER DATABASE "{name}" SET default_transaction_isolation = serializable')
    try:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute("SHOW transaction_isolation")
            assert cursor.fetchone()[0] == "read committed"
        plain = other_connection()  # without the settings' session option
        assert plain.execute("SHOW transaction_isolation").fetchone()[0] == "serializable"
        plain.close()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{name}" RESET default_transaction_isolation')
        connection.close()


ODD_NAME = 'Quán "Bà Tư" \\ 24/7\tmới'


@pytest.mark.parametrize("microsecond", [0, 654321])
def test_a_fast_answer_is_the_text_ninja_writes_for_it(client, token, binh_phuoc, microsecond):
    """The fast paths write a stored entry's answer by format (api.stored_entry_json); a replay
    is answered by ninja from the stored row. The two texts must be the same, to the byte."""
    venue = make_venue(name=ODD_NAME, category="shop")
    at = (timezone.now() - dt.timedelta(minutes=1)).replace(microsecond=microsecond)
    body = scan(venue, person_token=token, direction="in", at=at.isoformat())
    first, again = post(client, body), post(client, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.content == again.content
    assert first.json()["venue"]["name"] == ODD_NAME


def test_a_batch_answer_is_the_text_ninja_writes_for_it(client, token, binh_phuoc):
    from kiemdich.checkins.api import BatchOut  # here: the API loads its routers in its own order

    venue = make_venue(name=ODD_NAME, category="shop")
    now = timezone.now()
    times = [(now - dt.timedelta(minutes=m)).isoformat() for m in (3, 2, 1)]
    items = [scan(venue, person_token=token, direction="in", at=at) for at in times]
    items.append(items[0])  # a repeat inside the batch
    closed = make_venue(name="Quán đã đóng", category="shop")
    items.append(scan(closed, person_token=token, direction="in"))  # refused
    closed.status = Status.REVOKED
    closed.save()
    response = post(client, {"items": items}, url="/api/v1/checkins/batch")
    parsed = response.json()
    assert [r["status"] for r in parsed["results"]] == [201, 201, 201, 200, 410]
    ninja_text = json.dumps(BatchOut.model_validate(parsed).model_dump(), cls=NinjaJSONEncoder)
    assert response.content.decode() == ninja_text
    # Sent again: every entry is a replay, answered from the stored rows by the general path.
    again = post(client, {"items": items}, url="/api/v1/checkins/batch").json()
    assert [r["checkin"] for r in again["results"]] == [r["checkin"] for r in parsed["results"]]


def updates_so_far() -> tuple[int, int]:
    """(updates, of which in place) of check-in rows in this transaction (PostgreSQL's counts)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_stat_get_xact_tuples_updated(%s::regclass), "
            "pg_stat_get_xact_tuples_hot_updated(%s::regclass)",
            [Checkin._meta.db_table] * 2,
        )
        return cursor.fetchone()


@pytest.mark.postgresql("PostgreSQL's HOT updates")
@pytest.mark.parametrize("path", ["single", "batch", "general"])
def test_ending_a_visit_at_the_next_entry_changes_no_index(shop, path):
    """Most scans end their person's previous visit: that update must stay in place (HOT), which
    it does only while no index holds `t_out` (models.Checkin.t_out_max)."""
    person = make_person()
    cafe = make_venue(name="Cà phê Gió", category="restaurant")
    now = timezone.now()
    first = Scan(uuid.uuid4(), qr_url(cafe), "in", now - dt.timedelta(minutes=10))
    second = Scan(uuid.uuid4(), qr_url(shop), "in", now)
    first, second = (replace(s, person_token=person_token(person)) for s in (first, second))
    store = {
        "single": lambda scan: services.fast_entry(scan),
        "batch": lambda scan: record_scan_batch([scan]),
        "general": lambda scan: record_scans([scan]),
    }[path]
    store(first)
    before = updates_so_far()
    store(second)
    updated, in_place = (after - was for after, was in zip(updates_so_far(), before, strict=True))
    assert updated == in_place == 1
    cafe_visit = Checkin.objects.get(venue=cafe)
    assert cafe_visit.t_out == now and cafe_visit.t_out_max > now
