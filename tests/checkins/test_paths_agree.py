"""The fast statements and the general path store the same rows for the same scans.

Every scan rule is written once (kiemdich/checkins/rules.py); the fast statements are built
from its SQL fragments, the general path applies its Python. Here hypothesis draws sequences of
requests (single scans and batches: token holders' entries mostly, some exits and scans with no
direction, repeated client ids, a deleted person, a closed checkpoint, times close together and
hours apart) and sends each sequence twice: through what the API runs (`fast_entry` for a single
scan, `record_scan_batch` for a batch, each falling back to the general path for what it leaves
out) and through the general path alone (`record_scans`). The stored visits, the daily counts
and the answers must be the same.
"""

import datetime as dt
import uuid

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiemdich.checkins.models import Checkin, ScanDaily
from kiemdich.checkins.services import (
    IN,
    OUT,
    Entry,
    Scan,
    ScanRefused,
    fast_entry,
    record_scan_batch,
    record_scans,
)
from kiemdich.declarations.services import person_token
from kiemdich.venues import signing
from kiemdich.venues.models import Status, Venue
from tests.declarations.conftest import make_person
from tests.venues.conftest import make_venue

pytestmark = pytest.mark.postgresql("the fast statements are PostgreSQL's")

#: Stored columns compared (not the ids, which the sequences hand out in turn).
COLUMNS = (
    "client_id",
    "venue_id",
    "person_id",
    "method",
    "t_in",
    "t_out",
    "t_out_max",
    "t_out_auto",
    "client_id_out",
    "source_app",
)


@pytest.fixture
def world(binh_phuoc):
    """Posters of checkpoints with different usual stays in two communes, one closed since its
    poster was printed; tokens of three people and of one deleted since."""
    venues = [
        make_venue(name="Tạp hóa", category="shop"),  # 20 minutes
        make_venue(name="Cà phê", category="restaurant", commune="25420"),  # 90 minutes
        make_venue(name="UBND xã", category="office"),  # 120 minutes
        make_venue(name="Chợ cũ", category="market"),
    ]
    posters = [signing.qr_url(signing.sign(v.pk)) for v in venues]
    Venue.objects.filter(pk=venues[-1].pk).update(status=Status.CLOSED)
    people = [make_person(n) for n in range(4)]
    tokens = [person_token(p) for p in people]
    people[-1].delete()
    return posters, tokens


#: Scan times, in minutes after the start: ties, gaps shorter and longer than the usual stays
#: (20 to 120 minutes), and longer than the maximum stay (12 hours).
MINUTES = [0, 5, 10, 15, 20, 30, 45, 60, 90, 120, 150, 200, 300, 500, 730, 780, 840]

#: One scan: (poster, person, minutes after the start, direction, reuse an earlier client id).
scans = st.tuples(
    st.sampled_from(range(4)),
    st.sampled_from(range(4)),
    st.sampled_from(MINUTES),
    st.sampled_from([IN, IN, IN, IN, OUT, None]),
    st.integers(0, 9),
)
#: Requests: single scans (one-item lists) and batches, half of them entries only (what the
#: fast statements store; a batch with any other scan takes the general path whole).
requests = st.lists(
    st.tuples(st.booleans(), st.lists(scans, min_size=1, max_size=6)), min_size=1, max_size=6
)


def build(world, drawn) -> list[list[Scan]]:
    posters, tokens = world
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=15)
    made: list[uuid.UUID] = []
    out = []
    for entries_only, request in drawn:
        batch = []
        for poster, person, minutes, drawn_direction, reuse in request:
            direction = IN if entries_only else drawn_direction
            # About one scan in ten repeats the client id of the scan before it: a replay if it
            # is the same scan, else a client id reused for another.
            client_id = made[-1] if made and reuse == 0 else uuid.uuid4()
            made.append(client_id)
            at = start + dt.timedelta(minutes=minutes)
            batch.append(Scan(client_id, posters[poster], direction, at, tokens[person], "", None))
        out.append(batch)
    return out


def answer(result) -> tuple:
    if isinstance(result, ScanRefused):
        return (result.status, result.code)
    return (result.status, IN if isinstance(result, Entry) else result.direction)


def as_the_api_does(request: list[Scan]) -> list:
    if len(request) == 1:
        entry = fast_entry(request[0])
        return [entry] if entry is not None else record_scans(request)
    return record_scan_batch(request)


def stored_after(requests: list[list[Scan]], store) -> tuple[list, list, list]:
    """What a sequence of requests stores, rolled back afterwards."""
    with transaction.atomic():
        answers = [answer(r) for request in requests for r in store(request)]
        rows = sorted(Checkin.objects.values_list(*COLUMNS), key=lambda row: str(row[0]))
        daily = sorted(ScanDaily.objects.values_list("commune_id", "date", "scans"))
        transaction.set_rollback(True)
    return answers, rows, daily


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=requests)
def test_the_fast_and_the_general_path_store_the_same(world, drawn):
    sequence = build(world, drawn)
    fast = stored_after(sequence, as_the_api_does)
    general = stored_after(sequence, record_scans)
    assert fast == general


def test_a_sequence_with_every_kind_of_fast_entry_agrees(world):
    """A fixed sequence, so the comparison runs whatever hypothesis draws: entries ending one
    another within a batch and across requests, a replay, a closed checkpoint, a deleted
    person."""
    drawn = [
        (True, [(0, 0, 0, IN, 5)]),
        (True, [(1, 0, 10, IN, 5), (2, 0, 15, IN, 5), (0, 1, 15, IN, 5), (1, 1, 15, IN, 5)]),
        (True, [(1, 1, 15, IN, 0)]),  # the scan before, sent again: a replay
        (True, [(3, 2, 20, IN, 5), (0, 3, 20, IN, 5), (2, 2, 25, IN, 5)]),
        (False, [(2, 2, 200, OUT, 5)]),  # an exit after the usual stay (general path)
    ]
    sequence = build(world, drawn)
    fast = stored_after(sequence, as_the_api_does)
    assert fast == stored_after(sequence, record_scans)
    answers, rows, daily = fast
    assert (200, IN) in answers and (410, "closed") in answers and (410, "person_gone") in answers
    assert answers[-1] == (201, OUT)
    assert len(rows) == 6 and sum(n for _commune, _day, n in daily) == 6
