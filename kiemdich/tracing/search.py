"""Who was where with whom: the F1 and F2 searches over visits (read-only; services.py stores).

A visit is [t_in, end), where end is its exit, or the estimate the scan wrote (the venue's usual
stay, or the person's next entry), or for old rows without one the usual stay. Every visit lasts
at most MAX_STAY_MINUTES, so a search can look back that far before an exposure and no further:
that bound is what lets the (venue, t_in) index answer in a few milliseconds (DESIGN.md §5).

Overlap of a contact's visit [c_in, c_end) with an exposure [a, b) at the same venue is
min(b + margin, c_end) - max(a, c_in): the margin keeps counting for a while after the case left
(shared air). It counts from `min_overlap` on; in vehicles from 0, since the same trip counts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q

from kiemdich.checkins.models import Checkin
from kiemdich.venues.models import MAX_STAY_MINUTES, VEHICLE_CATEGORIES, Venue
from kiemdich.venues.services import usual_stay

MAX_STAY = dt.timedelta(minutes=MAX_STAY_MINUTES)


@dataclass(frozen=True)
class Rules:
    min_overlap: dt.timedelta = dt.timedelta(minutes=1)
    margin: dt.timedelta = dt.timedelta(minutes=30)
    #: A venue with more candidates than this for one exposure is summarised, not listed.
    large_venue: int = 300


DEFAULT_RULES = Rules()


@dataclass(frozen=True)
class Link:
    """`person_id` was at `venue_id` with `source_id` from `start` to `end`."""

    person_id: int
    source_id: int
    venue_id: int
    start: dt.datetime
    end: dt.datetime

    @property
    def strength(self) -> tuple:
        """Longer together is stronger; ties go to the earlier link, then the lower ids (so the
        choice never depends on the order rows come in)."""
        return (self.end - self.start, -self.start.timestamp(), -self.venue_id, -self.source_id)


@dataclass(frozen=True)
class Crowd:
    """Too many people at one venue around one exposure: counted per hour, for the tracer."""

    source_id: int
    venue_id: int
    hour: dt.datetime
    people: int


@dataclass(frozen=True)
class Visit:
    person_id: int
    venue_id: int
    t_in: dt.datetime
    end: dt.datetime


def _visits(qs, categories: dict[int, str]) -> list[Visit]:
    rows = list(qs.values_list("person_id", "venue_id", "t_in", "t_out"))
    missing = {venue for _p, venue, _t, t_out in rows if t_out is None} - set(categories)
    categories.update(Venue.objects.filter(pk__in=missing).order_by().values_list("pk", "category"))
    return [
        Visit(person, venue, t_in, t_out or t_in + usual_stay(categories[venue]))
        for person, venue, t_in, t_out in rows
    ]


def visits_of(person_id: int, since: dt.datetime, until: dt.datetime) -> list[Visit]:
    """The person's visits that overlap [since, until), clipped to it, in time order."""
    qs = Checkin.objects.filter(
        person_id=person_id, t_in__lt=until, t_in__gte=since - MAX_STAY
    ).order_by("t_in")
    clipped = []
    for visit in _visits(qs, {}):
        start, end = max(visit.t_in, since), min(visit.end, until)
        if start < end:
            clipped.append(Visit(visit.person_id, visit.venue_id, start, end))
    return clipped


Encounter = tuple[Visit, str, list[Visit]]  # an exposure, its venue's category, who was there


def _encounters_sql(person_id: int, since: dt.datetime, until: dt.datetime, margin) -> list:
    """PostgreSQL: the person's visits and, per visit, the others' index range, in one statement
    (a LATERAL join on (venue, t_in)); about 3x the bare join instead of 6x for the ORM path.
    The index holds a bound of each visit's end (`t_out_max`): only the visits it lets through
    are read from the table, where `t_out` says whether they really overlap. `OFFSET 0` keeps
    PostgreSQL from flattening the LATERAL subquery: flattened, it once scanned a busy venue's
    every visit by venue alone and filtered the times afterwards (16 ms for F1 instead of 2,
    bench/), as its statistics expected a hundred visits a venue where a market has thousands."""
    sql = f"""
SELECT f.id, f.t_in, f.t_out, f.venue_id, v.category, o.person_id, o.t_in, o.t_out
FROM {Checkin._meta.db_table} f
JOIN {Venue._meta.db_table} v ON v.id = f.venue_id
JOIN LATERAL (
    SELECT c.person_id, c.t_in, c.t_out FROM {Checkin._meta.db_table} c
    WHERE c.venue_id = f.venue_id
      AND c.t_in <= LEAST(COALESCE(f.t_out, f.t_in + %(max_stay)s), %(until)s) + %(margin)s
      AND c.t_in >= GREATEST(f.t_in, %(since)s) - %(max_stay)s
      AND c.t_out_max >= GREATEST(f.t_in, %(since)s)
      AND (c.t_out >= GREATEST(f.t_in, %(since)s) OR c.t_out IS NULL)
      AND c.person_id IS NOT NULL AND c.person_id <> %(person)s
    OFFSET 0  -- planned per visit of the person, with every bound above in the index scan
) o ON TRUE
WHERE f.person_id = %(person)s AND f.t_in < %(until)s AND f.t_in >= %(since)s - %(max_stay)s
ORDER BY f.t_in, f.id
"""  # noqa: S608
    params = {
        "person": person_id,
        "since": since,
        "until": until,
        "margin": margin,
        "max_stay": MAX_STAY,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    encounters: dict[int, Encounter] = {}
    for visit_id, t_in, t_out, venue_id, category, other, o_in, o_out in rows:
        if visit_id not in encounters:
            end = t_out or t_in + usual_stay(category)
            start, end = max(t_in, since), min(end, until)
            encounters[visit_id] = (Visit(person_id, venue_id, start, end), category, [])
        stay_end = o_out or o_in + usual_stay(category)
        encounters[visit_id][2].append(Visit(other, venue_id, o_in, stay_end))
    return [e for e in encounters.values() if e[0].t_in < e[0].end]


def _encounters_orm(person_id: int, since: dt.datetime, until: dt.datetime, margin) -> list:
    """Any database: the person's visits, then everyone's at those venues in one OR'ed query."""
    exposures = visits_of(person_id, since, until)
    if not exposures:
        return []
    where = Q()
    for e in exposures:
        # Arriving exactly when the margin ends, or leaving exactly when the case came, touches:
        # it counts in vehicles (need 0).
        where |= Q(
            Q(t_out__gte=e.t_in) | Q(t_out__isnull=True),
            venue_id=e.venue_id,
            t_out_max__gte=e.t_in,
            t_in__lte=e.end + margin,
            t_in__gte=e.t_in - MAX_STAY,
        )
    qs = (
        Checkin.objects.filter(where, person_id__isnull=False)
        .exclude(person_id=person_id)
        .order_by()  # the model's ordering would sort thousands of rows for nothing
    )
    categories = dict(
        Venue.objects.filter(pk__in={e.venue_id for e in exposures})
        .order_by()
        .values_list("pk", "category")
    )
    by_venue: dict[int, list[Visit]] = defaultdict(list)
    for visit in _visits(qs, categories):
        by_venue[visit.venue_id].append(visit)
    return [(e, categories[e.venue_id], by_venue.get(e.venue_id, [])) for e in exposures]


def contacts_of(
    person_id: int,
    since: dt.datetime,
    until: dt.datetime,
    rules: Rules = DEFAULT_RULES,
    exclude: frozenset[int] = frozenset(),
) -> tuple[dict[int, Link], list[Crowd]]:
    """Everyone who overlapped `person_id`'s visits in [since, until): the strongest link per
    person, and the crowds (venues too full to list) counted per hour."""
    find = _encounters_sql if connection.vendor == "postgresql" else _encounters_orm
    links: dict[int, Link] = {}
    crowds: list[Crowd] = []
    for e, category, others in find(person_id, since, until, rules.margin):
        need = dt.timedelta(0) if category in VEHICLE_CATEGORIES else rules.min_overlap
        found = []
        for visit in others:
            if visit.person_id in exclude:
                continue
            start, end = max(e.t_in, visit.t_in), min(e.end + rules.margin, visit.end)
            if end - start >= need:
                found.append(Link(visit.person_id, person_id, e.venue_id, start, end))
        if len({link.person_id for link in found}) > rules.large_venue:
            crowds.extend(_crowd(person_id, e.venue_id, found))
            continue
        for link in found:
            best = links.get(link.person_id)
            if best is None or link.strength > best.strength:
                links[link.person_id] = link
    return links, crowds


def _crowd(source_id: int, venue_id: int, found: list[Link]) -> list[Crowd]:
    hours: dict[dt.datetime, set[int]] = defaultdict(set)
    for link in found:
        hours[link.start.replace(minute=0, second=0, microsecond=0)].add(link.person_id)
    return [Crowd(source_id, venue_id, hour, len(people)) for hour, people in sorted(hours.items())]


def trace(
    person_id: int,
    since: dt.datetime,
    until: dt.datetime,
    now: dt.datetime,
    degree: int = 1,
    rules: Rules = DEFAULT_RULES,
) -> tuple[dict[int, tuple[int, Link]], list[Crowd]]:
    """F1 (and with degree 2, F2) of a case: person id -> (degree, strongest link).

    F2 are searched from each F1 from the start of their exposure until `now`; a person already
    F0 or F1 is never an F2, and among F2 links the strongest wins.
    """
    f1, crowds = contacts_of(person_id, since, until, rules, frozenset({person_id}))
    found: dict[int, tuple[int, Link]] = {p: (1, link) for p, link in f1.items()}
    if degree >= 2:
        known = frozenset({person_id, *f1})
        f2: dict[int, Link] = {}
        for link in sorted(f1.values(), key=lambda link: link.person_id):
            more, more_crowds = contacts_of(link.person_id, link.start, now, rules, known)
            crowds.extend(more_crowds)
            for other, candidate in more.items():
                best = f2.get(other)
                if best is None or candidate.strength > best.strength:
                    f2[other] = candidate
        found.update({p: (2, link) for p, link in f2.items()})
    return found, crowds
