"""The one place that answers "who may read or write this": units, checkpoints, scans, people.

Default deny: a user gets an area only through an area role with a unit (or by being a
superuser). Each model that holds area-bound or personal data exposes `.visible_to(user)` on its
manager, and that method only calls the rule written here (`visible_q`), so a view or an API
call cannot forget the check by writing its own, and a rule is changed in one place. Detail pages
and API calls fetch one row through `visible_or_404`: a row that exists outside the caller's
reach and one that does not exist at all get the same 404.

The rules:
- **Units' figures**: the user's unit and everything under it.
- **Checkpoints**: officials of the area; the owner; the admins of its organization; the staff
  the owner added.
- **Personal data** (people, declarations, check-ins, cases, contacts): officials of the area in
  a role that works with personal data; a checkpoint's owner, organization admins and staff also
  see the check-ins at that checkpoint (its in/out history). The outbox (phones and texts) only
  the superuser, in the admin.
- **Staff scans** (scanning or typing in someone else) at a checkpoint: its owner, its
  organization's admins, the staff the owner added, officers of its area.
- **Monitoring** (people under quarantine or isolation, their reports, alerts): officials of
  the commune responsible and above, as personal data; a transfer also the receiving commune's.
  The person reports through their signed link, not an account.
- **Hotline tickets** (the caller's phone, what they reported): officials of the ticket's area
  in a role that works with personal data (hotline operators, supervisors, officers, tracers),
  and the members of an agency for the tickets their agency holds or held. Citizens see only
  a ticket's public status, by its number (no gate: nothing personal is in it).
- **Family members** (people declared from someone else's phone: a child, an elderly parent):
  the person who declared for them, through that phone's person token, and nobody else without
  an account; officials see them as anyone of their area.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from .models import AREA_ROLES, OFFICER_ROLES, Role

#: Roles that may read personal data (names, phones, ID numbers, places) inside their area.
PERSONAL_DATA_ROLES = frozenset(AREA_ROLES)

_NOTHING = Q(pk__in=[])
_EVERYTHING = Q()


def _either(*filters: Q) -> Q:
    """The rows any of `filters` keeps. Not `a | b`: an empty Q() (everything) joined with `|`
    drops out, so "everything or the owner's" would become "the owner's" alone."""
    if any(not f for f in filters if f is not _NOTHING):
        return _EVERYTHING
    combined = _NOTHING
    for f in filters:
        combined |= f
    return combined


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.is_active


def _superuser(user) -> bool:
    return _active(user) and user.is_superuser


def area_path(user) -> str | None:
    """The path prefix of the user's area: "" for everything, None for no area at all."""
    if not _active(user):
        return None
    if user.is_superuser:
        return ""
    if user.role in AREA_ROLES and user.unit_id is not None:
        return user.unit.path
    return None


def area_q(user, path_field: str) -> Q:
    """A filter keeping rows whose unit path (`path_field`) lies in the user's area."""
    prefix = area_path(user)
    if prefix is None:
        return _NOTHING
    if prefix == "":
        return _EVERYTHING
    return Q(**{f"{path_field}__startswith": prefix})


def _personal_area_q(user, path_field: str) -> Q:
    """`area_q` for the roles that read personal data; nothing for the others."""
    if _superuser(user) or (_active(user) and user.role in PERSONAL_DATA_ROLES):
        return area_q(user, path_field)
    return _NOTHING


def may_trace(user, case) -> bool:
    """May `user` trace this case again and warn its contacts? Its own area's tracers and
    officers only: the communes holding some of its contacts see it (`_case_q`) to follow
    their people up, not to work the case."""
    return works_with_personal_data(user) and may_see_unit(user, case.unit)


def may_see_unit(user, unit) -> bool:
    """May `user` read this unit's figures, reports and lists?"""
    prefix = area_path(user)
    return prefix is not None and unit.path.startswith(prefix)


def may_administer(user, unit) -> bool:
    """May `user` act as the authority for this unit (approve, revoke, import)?"""
    if _superuser(user):
        return True
    return getattr(user, "role", None) in OFFICER_ROLES and may_see_unit(user, unit)


def may_see_person(user, *, unit, person_user_id: int | None = None) -> bool:
    """May `user` read personal data of someone whose data belongs to `unit`?

    A person always sees their own data; officials only inside their area, and only in a role
    that works with personal data.
    """
    if person_user_id is not None and getattr(user, "pk", None) == person_user_id:
        return True
    if _superuser(user):
        return True
    if getattr(user, "role", None) not in PERSONAL_DATA_ROLES:
        return False
    return may_see_unit(user, unit)


def is_official(user) -> bool:
    return area_path(user) is not None or getattr(user, "role", None) == Role.ORG_ADMIN


def works_with_personal_data(user) -> bool:
    """Officials of an area in a role that reads personal data (tracers, officers)."""
    if area_path(user) is None:
        return False
    return user.is_superuser or user.role in PERSONAL_DATA_ROLES


def may_issue_codes_by_hand(user) -> bool:
    """A Bluetooth verification code without a case counts against the issuer's own area's
    daily quota, so only officials of an area who work with personal data issue one."""
    return works_with_personal_data(user) and getattr(user, "unit", None) is not None


def may_monitor(user, unit) -> bool:
    """May `user` put people followed up by `unit` under monitoring (by hand, from a case, a
    declaration or a hotline ticket), record calls and visits, send the person a new report
    link (the old one stopping), transfer and close? Officials of the area in a role that
    reads personal data: a monitoring holds symptoms and where the person stays."""
    return works_with_personal_data(user) and may_see_unit(user, unit)


# Checkpoints: who runs one, who sees one, who scans others there


def _runs_q(user, prefix: str = "") -> Q:
    """Checkpoints the user runs: owns, administers for their organization, or staffs.

    The staff are read as a subquery (not a join, which would repeat a checkpoint once per
    member of its staff); the model is found by name, as this module sits below the apps."""
    staffed = apps.get_model("venues", "VenueStaff").objects.filter(user=user)
    q = Q(**{f"{prefix}owner": user}) | Q(**{f"{prefix}pk__in": staffed.values("venue_id")})
    if user.role == Role.ORG_ADMIN and user.organization_id:
        q |= Q(**{f"{prefix}organization_id": user.organization_id})
    return q


def venue_q(user) -> Q:
    """Checkpoints `user` may see: of their area, or run by them."""
    if not _active(user):
        return _NOTHING
    if user.is_superuser:
        return _EVERYTHING
    return _either(_runs_q(user), area_q(user, "commune__path"))


def scan_q(user) -> Q:
    """Checkpoints where `user` may record scans of other people (staff scans, typed-in
    visitors, ID cards): the ones they run, and every one of their area for its officers."""
    if not _active(user):
        return _NOTHING
    if user.is_superuser:
        return _EVERYTHING
    officers = area_q(user, "commune__path") if user.role in OFFICER_ROLES else _NOTHING
    return _either(_runs_q(user), officers)


def may_scan_at(user, venue) -> bool:
    """May `user` scan other people in at this checkpoint? (`scan_q` for one checkpoint.)"""
    if not _active(user):
        return False
    return type(venue).objects.filter(scan_q(user), pk=venue.pk).exists()


def scans_anywhere(user) -> bool:
    """Does `user` record staff scans at some checkpoint that takes scans? (A personal QR
    opened with a phone's camera then shows them who it is, as their scanner would.) A
    checkpoint still waiting for approval, or refused, does not count: anyone can sign up and
    register one."""
    if not _active(user):
        return False
    venues = apps.get_model("venues", "Venue").objects.filter(status="active")
    return venues.filter(scan_q(user)).exists()


def scannable(user, venues: QuerySet) -> set[int]:
    """The ids, among `venues`, of the checkpoints where `user` may scan other people."""
    if not _active(user):
        return set()
    return set(venues.filter(scan_q(user)).values_list("pk", flat=True))


# Personal data


def family_q(declarer) -> Q:
    """People `declarer` (a phone's person, who has no account) declared for: their family
    members, each a person of their own. Someone is a member while a declaration made for them
    from that phone is kept; the retention purge ends the link with the declaration. A member
    is never the declarer themself."""
    if declarer is None or getattr(declarer, "pk", None) is None:
        return _NOTHING
    declarations = apps.get_model("declarations", "Declaration").objects.filter(
        declared_by=declarer
    )
    return Q(pk__in=declarations.values("person_id")) & ~Q(pk=declarer.pk)


def _checkin_q(user) -> Q:
    if not _active(user):
        return _NOTHING
    return _either(_personal_area_q(user, "venue__commune__path"), _runs_q(user, "venue__"))


def _campaign_q(user) -> Q:
    """Officers see the campaigns of their area (to its units or its organizations), an
    organization's admins those of their organization; nobody else sees any."""
    if not _active(user):
        return _NOTHING
    if user.is_superuser:
        return _EVERYTHING
    q = _NOTHING
    if user.role in OFFICER_ROLES:
        q = _either(area_q(user, "unit__path"), area_q(user, "organization__unit__path"))
    if user.role == Role.ORG_ADMIN and user.organization_id:
        q = _either(q, Q(organization_id=user.organization_id))
    return q


def _organization_q(user) -> Q:
    own = Q(pk=user.organization_id) if _active(user) and user.organization_id else _NOTHING
    return _either(area_q(user, "unit__path"), own)


def _superuser_only(user) -> Q:
    return _EVERYTHING if _superuser(user) else _NOTHING


#: Each model's rule, by its label. A model with personal data that is missing here cannot
#: answer `visible_to` (KeyError), so it cannot be read by accident.
def _case_q(user) -> Q:
    """Cases of the user's area, and cases with contacts to follow up in it: a commune's
    officers see the case their people met (to follow those people up; its F0 is named only
    to the case's own area, `may_see_person`), for the page and the API alike."""
    own = _personal_area_q(user, "unit__path")
    if own is _NOTHING or own == _EVERYTHING:
        return own
    contacts = apps.get_model("tracing", "Contact").objects.filter(
        _personal_area_q(user, "commune__path")
    )
    return _either(own, Q(pk__in=contacts.values("case_id")))


def _phone_check_q(user) -> Q:
    """A check-in by phone code is its staff account's alone (the superuser's too, as every
    row): another staff member of the same checkpoint cannot type the code it was sent."""
    if not _active(user):
        return _NOTHING
    return _EVERYTHING if user.is_superuser else Q(staff=user)


def _transfer_q(user) -> Q:
    """A transfer of someone under monitoring: the sending and the receiving areas both see it
    (the receiver to accept it)."""
    return _either(
        _personal_area_q(user, "from_commune__path"), _personal_area_q(user, "to_commune__path")
    )


# The hotline 1022


def _agency_member_q(user, prefix: str = "") -> Q:
    """Rows of the agencies `user` acts for (a member or the head)."""
    agencies = apps.get_model("hotline", "Agency").objects.filter(Q(members=user) | Q(head=user))
    return Q(**{f"{prefix}pk__in": agencies.values("pk")})


def _ticket_q(user) -> Q:
    """Tickets of the user's area for the roles that read personal data; an agency's members
    see the tickets their agency holds or once held (its segments), wherever they are."""
    if not _active(user):
        return _NOTHING
    own = _personal_area_q(user, "path")
    if own == _EVERYTHING:
        return own
    held = apps.get_model("hotline", "Segment").objects.filter(_agency_member_q(user, "agency__"))
    return _either(own, Q(pk__in=held.values("ticket_id")))


def _agency_q(user) -> Q:
    if not _active(user):
        return _NOTHING
    return _either(area_q(user, "unit__path"), _agency_member_q(user))


def is_hotline_supervisor(user) -> bool:
    """A supervisor of the hotline: an official of an area with a `hotline.Supervisor` row."""
    if _superuser(user):
        return True
    return (
        area_path(user) is not None
        and apps.get_model("hotline", "Supervisor").objects.filter(user=user).exists()
    )


def may_operate_hotline(user) -> bool:
    """May `user` log calls, move tickets between agencies and reopen them? Hotline operators
    and supervisors, inside their area."""
    if _superuser(user):
        return True
    if area_path(user) is None:
        return False
    return user.role == Role.HOTLINE_OPERATOR or is_hotline_supervisor(user)


def may_work_ticket(user, ticket) -> bool:
    """May `user` move, reopen or resolve this ticket as the hotline? (Its area's operators
    and supervisors.)"""
    return may_operate_hotline(user) and may_see_unit(user, ticket.commune)


def may_act_for_agency(user, agency) -> bool:
    """May `user` acknowledge, note, resolve and return tickets for `agency`?"""
    if agency is None or not _active(user):
        return False
    if user.is_superuser or agency.head_id == user.pk:
        return True
    return agency.members.filter(pk=user.pk).exists()


def acts_for_an_agency(user) -> bool:
    """Does `user` receive tickets for some agency (a member or its head)? The agency inbox is
    theirs (and the superuser's)."""
    if _superuser(user):
        return True
    if not _active(user):
        return False
    return apps.get_model("hotline", "Agency").objects.filter(_agency_member_q(user)).exists()


def may_open_case_from_ticket(user) -> bool:
    """May `user` turn a ticket's suspected case into a tracing case? Health tracers of an area
    (tracing's own service then checks the person is of their area)."""
    return works_with_personal_data(user) and user.role == Role.HEALTH_TRACER


def may_edit_routing(user, unit) -> bool:
    """May `user` edit the routing rules of `unit`? The province's officers and the
    hotline's supervisors of the area: the rules are the province's, not each commune's."""
    if _superuser(user):
        return True
    province = getattr(user, "role", None) == Role.PROVINCE_OFFICER
    return (province or is_hotline_supervisor(user)) and may_see_unit(user, unit)


# Bluetooth exposure notification


def may_see_exports(user) -> bool:
    """May `user` see the export files' status page? How many keys arrive each hour is the
    epidemic's own figure (no personal data): officers of an area, health tracers, the
    superuser."""
    if _superuser(user):
        return True
    if area_path(user) is None:
        return False
    return user.role in OFFICER_ROLES or user.role == Role.HEALTH_TRACER


_RULES = {
    "geo.unit": lambda user: area_q(user, "path"),
    "venues.venue": venue_q,
    "orgs.organization": _organization_q,
    "declarations.person": lambda user: _personal_area_q(user, "commune__path"),
    "declarations.declaration": lambda user: _personal_area_q(user, "commune__path"),
    "checkins.checkin": _checkin_q,
    "checkins.phonecheck": _phone_check_q,
    "tracing.case": _case_q,
    "tracing.contact": lambda user: _personal_area_q(user, "commune__path"),
    "messaging.message": _superuser_only,
    "messaging.campaign": _campaign_q,
    "monitoring.facility": lambda user: area_q(user, "commune__path"),
    "monitoring.monitoring": lambda user: _personal_area_q(user, "commune__path"),
    "monitoring.alert": lambda user: _personal_area_q(user, "monitoring__commune__path"),
    "monitoring.transfer": _transfer_q,
    "hotline.ticket": _ticket_q,
    "hotline.agency": _agency_q,
    "hotline.routingrule": lambda user: area_q(user, "unit__path"),
}


def visible_q(user, model: type[Model]) -> Q:
    """The filter of the rows of `model` that `user` may read."""
    return _RULES[model._meta.label_lower](user)


def visible(queryset: QuerySet, user) -> QuerySet:
    """`queryset` cut down to what `user` may read: what every `visible_to` returns."""
    return queryset.filter(visible_q(user, queryset.model))


def visible_or_404(queryset: QuerySet, user, **lookup) -> Model:
    """The one row `lookup` names if `user` may read it; the same 404 whether it exists outside
    their reach or not at all, so ids reveal nothing."""
    found = visible(queryset, user).filter(**lookup).first()
    if found is None:
        raise Http404(_("Not found."))
    return found


class VisibleQuerySet(QuerySet):
    """A queryset whose `visible_to(user)` applies this module's rule for its model."""

    def visible_to(self, user) -> QuerySet:
        return visible(self, user)
