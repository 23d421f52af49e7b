"""Pages shared by every role: the start page ("Hôm nay", Today) and the unit drill-down.

Thin on purpose: what a user may see is decided in accounts.access, the figures come from
`web.today` (which reads every app's own rules) and the geo querysets.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kiemdich.accounts.access import area_path, may_administer, may_see_unit
from kiemdich.declarations import cookies
from kiemdich.declarations.models import Person
from kiemdich.declarations.services import personal_qr_svg
from kiemdich.geo.models import Level, Unit

from . import today as figures

#: A person's visits on their start page (their own page, /me/, has more).
VISITS_SHOWN = 5


def unit_table(unit: Unit | None) -> dict:
    """Context for a unit page: the unit's own figures and one row per child unit."""
    if unit is None:  # a superuser with no area: the whole country
        children = Unit.objects.filter(level=Level.PROVINCE)
        current = None
    else:
        children = unit.children.all()
        current = Unit.objects.with_latest_figures().get(pk=unit.pk)
    rows = list(children.with_latest_figures().order_by("code"))
    return {
        "unit": current,
        "rows": rows,
        "missing_figures": any(r.figures_date is None for r in rows),
    }


def breadcrumbs(user, unit: Unit) -> list[tuple[Unit, bool]]:
    """The units above `unit`, each with whether `user` may open its page: one outside their
    area is named in plain text, never a link to a 403."""
    codes = [c for c in unit.path.split("/") if c][:-1]
    by_code = Unit.objects.in_bulk(codes)
    return [(by_code[c], may_see_unit(user, by_code[c])) for c in codes if c in by_code]


def _bulletin(request: HttpRequest, unit: Unit) -> figures.Bulletin:
    """Today's bulletin of `unit`; `?quiet=all` names every commune without a scan."""
    everyone = request.GET.get("quiet") == "all"
    return figures.bulletin(
        unit, timezone.localdate(), quiet_limit=None if everyone else figures.QUIET_SHOWN
    )


def home(request: HttpRequest) -> HttpResponse:
    """Everyone's start page: signed in, the Today page of their role; a phone that declared
    (the person cookie), its person's; anyone else, the public welcome page."""
    if request.user.is_authenticated:
        return start_page(request)
    person = cookies.person_from(request)
    if person is not None:
        return _person_start(request, person)
    return render(request, "web/welcome.html")


@login_required
def today(request: HttpRequest) -> HttpResponse:
    """The same start page at a stable address (`/today/`), for bookmarks and links."""
    return start_page(request)


def start_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    prefix = area_path(user)
    if prefix is None:
        return _own_start(request)
    if user.unit is None:  # a superuser with no area: the whole country's units
        return render(request, "web/units.html", {**unit_table(None), "own_unit": None})
    unit = user.unit
    return render(
        request,
        "web/today.html",
        {
            "unit": unit,
            "bulletin": _bulletin(request, unit),
            "todos": figures.todos(user, unit),
            "registers": may_administer(user, unit),
        },
    )


def _own_start(request: HttpRequest) -> HttpResponse:
    """Citizens, checkpoint owners and staff, organization admins: their checkpoints today, and
    their own declaration if this phone made one."""
    user = request.user
    day = timezone.localdate()
    person = cookies.person_from(request)
    return render(
        request,
        "web/start.html",
        {
            "day": day,
            "venues": figures.own_checkpoints(user, day),
            "shown_limit": figures.OWN_VENUES_SHOWN,
            **_person_context(person),
        },
    )


def _person_start(request: HttpRequest, person: Person) -> HttpResponse:
    return render(
        request, "web/start.html", {"day": timezone.localdate(), **_person_context(person)}
    )


def _person_context(person: Person | None) -> dict:
    """The person's own QR and latest visits: only ever the cookie's own person."""
    if person is None:
        return {"person": None}
    visits = person.checkins.select_related("venue").order_by("-t_in")[:VISITS_SHOWN]
    return {"person": person, "qr_svg": personal_qr_svg(person), "visits": list(visits)}


@login_required
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_object_or_404(Unit, code=code)
    if not may_see_unit(request.user, unit):
        raise PermissionDenied(_("This unit is outside your area."))
    context = unit_table(unit)
    context["own_unit"] = request.user.unit
    context["breadcrumbs"] = breadcrumbs(request.user, unit)
    context["bulletin"] = _bulletin(request, unit)
    return render(request, "web/units.html", context)
