"""`kiemdich trace CASE_ID [--degree 2]`: trace a case again and print its summary."""

from __future__ import annotations

from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kiemdich.geo.models import Unit
from kiemdich.tracing import search
from kiemdich.tracing.models import Case
from kiemdich.tracing.services import trace_case
from kiemdich.venues.models import Venue


def local(moment) -> str:
    return f"{timezone.localtime(moment):%d/%m %H:%M}"


class Command(BaseCommand):
    help = "Trace a confirmed case (F1, or F1 and F2) and print where it went and whom it met."

    def add_arguments(self, parser) -> None:
        parser.add_argument("case_id", type=int)
        parser.add_argument("--degree", type=int, choices=[1, 2], default=1)

    def handle(self, *args, case_id: int, degree: int, **options) -> None:
        case = Case.objects.select_related("person").filter(pk=case_id).first()
        if case is None:
            raise CommandError(f"There is no case {case_id}.")
        report = trace_case(case, degree)
        out = self.stdout.write
        out(f"Case {case.pk}: {case.person.full_name}, confirmed {local(case.confirmed_at)}")
        out(f"Infectious window: {local(case.infectious_from)} to {local(case.infectious_to)}")
        visits = search.visits_of(case.person_id, case.infectious_from, case.infectious_to)
        names = Venue.objects.in_bulk({v.venue_id for v in visits})
        out(f"Visits in the window: {len(visits)}")
        for visit in visits:
            out(f"  {local(visit.t_in)} – {local(visit.end)}  {names[visit.venue_id].name}")
        out(f"F1: {report.f1}   F2: {report.f2}")
        per_commune = Counter(case.contacts.values_list("commune_id", "degree"))
        units = Unit.objects.in_bulk({code for code, _degree in per_commune})
        for (code, level), count in sorted(per_commune.items()):
            out(f"  F{level} in {units[code].full_name} ({code}): {count}")
        for crowd in report.crowds:
            venue = Venue.objects.get(pk=crowd.venue_id)
            out(f"  crowded: {venue.name}, {local(crowd.hour)}: {crowd.people} people, not listed")
