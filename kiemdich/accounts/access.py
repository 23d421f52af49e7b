"""The one place that answers "may this user see this unit / this person's data".

Default deny: a user gets an area only through an area role with a unit (or by being a
superuser). Every queryset that holds area-bound data filters through `area_q`, exposed as
`.visible_to(user)` on each model's manager, so a view cannot forget the check by writing its own.
"""

from __future__ import annotations

from django.db.models import Q

from .models import AREA_ROLES, OFFICER_ROLES, Role

#: Roles that may read personal data (names, phones, ID numbers, places) inside their area.
PERSONAL_DATA_ROLES = frozenset(AREA_ROLES)

#: Roles whose members scan or type in visitors at a checkpoint door (staff scans), or at
#: control posts scan passing vehicles' posters.
SCANNING_ROLES = frozenset({*OFFICER_ROLES, Role.ORG_ADMIN, Role.VENUE_OWNER, Role.HEALTH_TRACER})

_NOTHING = Q(pk__in=[])


def area_path(user) -> str | None:
    """The path prefix of the user's area: "" for everything, None for no area at all."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
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
        return Q()
    return Q(**{f"{path_field}__startswith": prefix})


def may_see_unit(user, unit) -> bool:
    """May `user` read this unit's figures, reports and lists?"""
    prefix = area_path(user)
    return prefix is not None and unit.path.startswith(prefix)


def may_administer(user, unit) -> bool:
    """May `user` act as the authority for this unit (approve, revoke, import)?"""
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return getattr(user, "role", None) in OFFICER_ROLES and may_see_unit(user, unit)


def may_see_person(user, *, unit, person_user_id: int | None = None) -> bool:
    """May `user` read personal data of someone whose data belongs to `unit`?

    A person always sees their own data; officials only inside their area, and only in a role
    that works with personal data.
    """
    if person_user_id is not None and getattr(user, "pk", None) == person_user_id:
        return True
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    if getattr(user, "role", None) not in PERSONAL_DATA_ROLES:
        return False
    return may_see_unit(user, unit)


def is_official(user) -> bool:
    return area_path(user) is not None or getattr(user, "role", None) == Role.ORG_ADMIN


def may_scan_for_others(user) -> bool:
    """May `user` record scans of other people (staff scans, typed-in visitors)?"""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or user.role in SCANNING_ROLES


def works_with_personal_data(user) -> bool:
    """Officials of an area in a role that reads personal data (tracers, officers)."""
    if area_path(user) is None:
        return False
    return user.is_superuser or user.role in PERSONAL_DATA_ROLES
