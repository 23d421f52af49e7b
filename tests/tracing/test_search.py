"""F1 and F2 equal a brute-force reference on generated visits, edge cases included."""

import datetime as dt
import random
import uuid

import pytest
from django.utils import timezone

from kiemdich.checkins.models import Checkin
from kiemdich.declarations.models import Person
from kiemdich.tracing import search
from kiemdich.venues.models import VEHICLE_CATEGORIES
from kiemdich.venues.services import usual_stay
from tests.venues.conftest import make_venue

T0 = dt.datetime(2026, 11, 1, 0, 0, tzinfo=dt.UTC)  # 07:00 in Vietnam
RULES = search.Rules(large_venue=10_000)


def end_of(c: Checkin, category: str) -> dt.datetime:
    return c.t_out or c.t_in + usual_stay(category)


def brute_contacts(visits, categories, person, since, until, rules, exclude):
    """Everything against everything, straight from the definition in tracing/search.py."""
    best = {}
    own = [v for v in visits if v.person_id == person]
    for mine in own:
        a, b = max(mine.t_in, since), min(end_of(mine, categories[mine.venue_id]), until)
        if a >= b:
            continue
        vehicle = categories[mine.venue_id] in VEHICLE_CATEGORIES
        need = dt.timedelta(0) if vehicle else rules.min_overlap
        for other in visits:
            if other.venue_id != mine.venue_id or other.person_id in (None, person):
                continue
            if other.person_id in exclude:
                continue
            start = max(a, other.t_in)
            end = min(b + rules.margin, end_of(other, categories[other.venue_id]))
            if end - start >= need:
                link = search.Link(other.person_id, person, mine.venue_id, start, end)
                held = best.get(other.person_id)
                if held is None or link.strength > held.strength:
                    best[other.person_id] = link
    return best


def brute_trace(visits, categories, person, since, until, now, rules):
    f1 = brute_contacts(visits, categories, person, since, until, rules, {person})
    known = {person, *f1}
    f2 = {}
    for link in f1.values():
        for p, candidate in brute_contacts(
            visits, categories, link.person_id, link.start, now, rules, known
        ).items():
            if p not in f2 or candidate.strength > f2[p].strength:
                f2[p] = candidate
    return {**{p: (1, k) for p, k in f1.items()}, **{p: (2, k) for p, k in f2.items()}}


@pytest.fixture
def town(binh_phuoc):
    venues = [
        make_venue(name="Tạp hóa", category="shop"),
        make_venue(name="Chợ", category="market"),
        make_venue(name="Xe khách", category="vehicle_interprovincial", plate_number="93B-012.34"),
        make_venue(name="Quán cơm", category="restaurant", commune="25420"),
    ]
    people = [Person.objects.create(full_name=f"Người {i}", phone="") for i in range(40)]
    return venues, people


def add(person, venue, t_in, minutes=None, auto=False, ended_early_by=0):
    """A visit; minutes=None leaves the exit empty (an old row: the usual stay applies).
    `ended_early_by` minutes: the visit was ended by its person's next entry, so the bound of
    its end in the tracing index (t_out_max) is still the later end it was stored with."""
    t_out = None if minutes is None else t_in + dt.timedelta(minutes=minutes)
    bound = t_out + dt.timedelta(minutes=ended_early_by) if t_out and ended_early_by else None
    return Checkin(
        client_id=uuid.uuid4(),
        venue=venue,
        person=person,
        method="self",
        t_in=t_in,
        t_out=t_out,
        t_out_max=bound,
        t_out_auto=auto,
    )


def generate(seed, venues, people) -> list[Checkin]:
    rng = random.Random(seed)
    rows = []
    for _ in range(160):
        t_in = T0 + dt.timedelta(minutes=rng.randrange(0, 3 * 24 * 60, 5))
        minutes = rng.choice([None, 0, 1, 5, 20, 45, 90, 240])
        auto = rng.random() < 0.3
        early = rng.choice([0, 30, 300]) if auto else 0
        rows.append(add(rng.choice(people), rng.choice(venues), t_in, minutes, auto, early))
    shop, _market, bus, _cafe = venues
    a, b, c, d = people[:4]
    # Edge cases around the case (people[0]) on day 1.
    day = T0 + dt.timedelta(days=1)
    rows += [
        add(a, shop, day + dt.timedelta(hours=10), 30),  # the case at the shop
        add(
            b, shop, day + dt.timedelta(hours=10, minutes=30, seconds=0), 10
        ),  # touching: 30 min margin
        add(c, shop, day + dt.timedelta(hours=11, minutes=0), 10),  # starts exactly at margin end
        add(d, shop, day + dt.timedelta(hours=9), 60, auto=True),  # open visit ending at 10:00
        # ended at 9:50 by the person's next entry elsewhere; stored to end at 12:00
        add(people[4], shop, day + dt.timedelta(hours=9), 50, auto=True, ended_early_by=130),
        add(a, bus, day + dt.timedelta(hours=16, minutes=50), 20),  # a trip across midnight (VN)
        add(b, bus, day + dt.timedelta(hours=17, minutes=10), 30),  # touching in a vehicle
        add(a, shop, day + dt.timedelta(hours=20), 15),  # the same person, same venue, twice
        add(c, shop, day + dt.timedelta(hours=20, minutes=5), None),  # no exit: usual stay
    ]
    return rows


@pytest.mark.parametrize("seed", range(6))
def test_f1_and_f2_equal_the_brute_force_reference(town, seed):
    venues, people = town
    rows = Checkin.objects.bulk_create(generate(seed, venues, people))
    categories = {v.pk: v.category for v in venues}
    case = people[0].pk
    since, until = T0 + dt.timedelta(hours=12), T0 + dt.timedelta(days=2, hours=6)
    now = T0 + dt.timedelta(days=3)
    found, crowds = search.trace(case, since, until, now, degree=2, rules=RULES)
    expected = brute_trace(rows, categories, case, since, until, now, RULES)
    assert found == expected
    assert not crowds
    assert any(level == 2 for level, _l in found.values()) or seed  # the data has F2s


def test_touching_intervals_count_in_vehicles_only(town):
    venues, people = town
    shop, _market, bus, _cafe = venues
    case, sharp, rider = people[:3]
    day = T0 + dt.timedelta(days=1)
    Checkin.objects.bulk_create(
        [
            add(case, shop, day, 10),
            add(sharp, shop, day + dt.timedelta(minutes=40), 10),  # 10 + 30 min margin: touches
            add(case, bus, day + dt.timedelta(hours=3), 60),
            add(rider, bus, day + dt.timedelta(hours=3, minutes=90), 10),  # touches the margin
        ]
    )
    found, _ = search.trace(case.pk, day, day + dt.timedelta(days=1), day + dt.timedelta(days=2))
    assert set(found) == {rider.pk}
    level, link = found[rider.pk]
    assert level == 1 and link.start == link.end and link.venue_id == bus.pk


def test_a_crowded_venue_is_counted_per_hour_not_listed(town):
    venues, people = town
    _shop, market, _bus, _cafe = venues
    case = people[0]
    day = T0 + dt.timedelta(days=1)
    Checkin.objects.bulk_create(
        [add(case, market, day, 60)]
        + [add(p, market, day + dt.timedelta(minutes=i), 30) for i, p in enumerate(people[1:])]
    )
    found, crowds = search.trace(
        case.pk,
        day,
        day + dt.timedelta(hours=3),
        timezone.now(),
        rules=search.Rules(large_venue=10),
    )
    assert found == {}
    assert [(c.venue_id, c.people) for c in crowds] == [(market.pk, 39)]
