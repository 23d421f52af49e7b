"""Checkpoint operations: registration, edits, the status machine, imports, posters.

The only code that writes venues. Every operation checks who may do it here, not in the views,
so the page, the API and the command line cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable, Iterator

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kiemdich.accounts import access
from kiemdich.accounts.access import may_administer
from kiemdich.accounts.models import Role, User
from kiemdich.core.errors import DomainError
from kiemdich.geo.models import Unit
from kiemdich.phones import normalize_phone

from . import signing
from .models import (
    DEFAULT_STAY_MINUTES,
    Category,
    ProvincePolicy,
    Status,
    UsualStay,
    Venue,
    VenueStaff,
)
from .poster import PosterInfo


class TransitionError(DomainError):
    """The action does not apply to the checkpoint in its current status (409 `conflict`)."""

    def __init__(self, message: str) -> None:
        super().__init__(409, "conflict", str(message))


def approval_required(venue: Venue) -> bool:
    province_code = venue.commune.path.split("/", 1)[0]
    policy = ProvincePolicy.objects.filter(province_id=province_code).first()
    return bool(policy and policy.venue_approval_required)


def may_manage(user, venue: Venue) -> bool:
    """Owners, their organization's admins and the officials of the area may edit, print,
    pause and close; an organization's other members may not."""
    if not getattr(user, "is_authenticated", False):
        return False
    if venue.owner_id == user.pk:
        return True
    if (
        user.role == Role.ORG_ADMIN
        and user.organization_id
        and venue.organization_id == user.organization_id
    ):
        return True
    return may_administer(user, venue.commune)


def visible_or_404(user, venue_id: int) -> Venue:
    """The checkpoint if `user` may see it. A missing one and someone else's get the same 404,
    so the ids of others' checkpoints reveal nothing."""
    try:
        return access.visible_or_404(
            Venue.objects.select_related("commune", "organization", "owner"), user, pk=venue_id
        )
    except Http404:
        raise Http404(_("No checkpoint with id %(id)s.") % {"id": venue_id}) from None


# Staff: the people an owner lets scan visitors in at the door


class StaffError(ValueError):
    """A staff change that cannot be made as asked; the message says why."""


def _staff_manager(actor, venue: Venue) -> None:
    if not may_manage(actor, venue):
        raise PermissionDenied(_("Only the checkpoint's owner and officials choose its staff."))


#: Checkpoints whose staff may still change: closed and refused ones scan nobody.
STAFFED = (Status.PENDING, Status.ACTIVE, Status.PAUSED)


def staff_login(login: str) -> str:
    """The login a staff member signs in with: a phone number as sign-up stores it, else the
    text as typed (an official's user name)."""
    login = (login or "").strip()
    try:
        return normalize_phone(login)
    except ValidationError:
        return login


@transaction.atomic
def add_staff(actor, venue: Venue, login: str) -> VenueStaff:
    """Let the account that signs in as `login` (the phone number it signed up with) scan
    visitors in at `venue`. Whether a number has an account is what sign-up tells anyone
    anyway; nothing else of the account (its name) is shown. Adding someone twice changes
    nothing."""
    _staff_manager(actor, venue)
    if venue.status not in STAFFED:
        raise StaffError(_("This checkpoint no longer takes scans, so it has no staff."))
    login = staff_login(login)
    if not login:
        raise StaffError(_("Enter the phone number they sign in with."))
    user = User.objects.filter(username=login, is_active=True).first()
    if user is None:
        raise StaffError(
            _("No account with this login. Ask them to sign up first, then add their phone.")
        )
    if user.pk == venue.owner_id:
        raise StaffError(_("The owner can already scan here."))
    staff, _created = VenueStaff.objects.get_or_create(
        venue=venue, user=user, defaults={"added_by": actor}
    )
    return staff


def remove_staff(actor, venue: Venue, staff_id: int) -> None:
    """Stop a staff member scanning at `venue` (their past scans stay as they were)."""
    _staff_manager(actor, venue)
    VenueStaff.objects.filter(venue=venue, pk=staff_id).delete()


def _activate(venue: Venue, actor, at: dt.datetime | None = None) -> None:
    venue.status = Status.ACTIVE
    venue.activated_at = venue.activated_at or at or timezone.now()
    venue.decided_by = actor if getattr(actor, "pk", None) else None


#: What a registration or a change sets: a checkpoint's details, validated (VenueForm's
#: cleaned_data, or `validators`' rules): `commune` a Unit, `organization` an Organization or None.
DETAIL_FIELDS = (
    "name",
    "category",
    "commune",
    "address",
    "contact_phone",
    "organization",
    "plate_number",
    "route",
)


def _details(values: dict) -> dict:
    return {name: values[name] for name in DETAIL_FIELDS if name in values}


@transaction.atomic
def register(actor, values: dict, *, activated_at: dt.datetime | None = None) -> Venue:
    """Register a checkpoint from validated details (DETAIL_FIELDS). Officials of the area
    register already approved; `activated_at` backdates an approved one (a list of checkpoints
    that already took scans, the demo)."""
    venue = Venue(**_details(values))
    if actor is not None and actor.role in (Role.VENUE_OWNER, Role.CITIZEN):
        venue.owner = actor
    if actor is None or may_administer(actor, venue.commune) or not approval_required(venue):
        _activate(venue, actor, activated_at)
    else:
        venue.status = Status.PENDING
    venue.save()
    return venue


def _store(venue: Venue, values: dict) -> Venue:
    for name, value in _details(values).items():
        setattr(venue, name, value)
    venue.save()
    return venue


@transaction.atomic
def update(actor, venue: Venue, values: dict) -> Venue:
    """Change a checkpoint's validated details (DETAIL_FIELDS)."""
    if not may_manage(actor, venue):
        raise PermissionDenied(_("You may not change this checkpoint."))
    if venue.status in (Status.CLOSED, Status.REJECTED, Status.REVOKED):
        raise TransitionError(_("A closed, rejected or revoked checkpoint cannot be changed."))
    return _store(venue, values)


def set_approval_required(province_id: str, required: bool) -> ProvincePolicy:
    """Whether new checkpoints of the province wait for an official's approval."""
    policy, _created = ProvincePolicy.objects.update_or_create(
        province_id=province_id, defaults={"venue_approval_required": required}
    )
    return policy


#: action -> (statuses it applies to, new status, needs an official of the area)
TRANSITIONS: dict[str, tuple[frozenset[str], str, bool]] = {
    "approve": (frozenset({Status.PENDING}), Status.ACTIVE, True),
    "reject": (frozenset({Status.PENDING}), Status.REJECTED, True),
    "revoke": (frozenset({Status.ACTIVE, Status.PAUSED}), Status.REVOKED, True),
    "pause": (frozenset({Status.ACTIVE}), Status.PAUSED, False),
    "resume": (frozenset({Status.PAUSED}), Status.ACTIVE, False),
    "close": (frozenset({Status.PENDING, Status.ACTIVE, Status.PAUSED}), Status.CLOSED, False),
    # The way back from a close made by mistake. Reopening makes a poster that visitors'
    # phones trust valid again: the area's officers decide it, as they decide approvals.
    "reopen": (frozenset({Status.CLOSED}), Status.ACTIVE, True),
}

#: Actions whose effect whoever does them cannot take back (a closed checkpoint is reopened
#: only by the area's officers; a rejected or revoked one never): pages ask to confirm first.
CONFIRM_FIRST = frozenset({"close", "reject", "revoke"})


def may_do(user, venue: Venue, action: str) -> bool:
    """Officers of the area decide (approve, reject, revoke); owners and officers switch."""
    _sources, _target, official_only = TRANSITIONS[action]
    return may_administer(user, venue.commune) if official_only else may_manage(user, venue)


def available_actions(user, venue: Venue) -> list[str]:
    """The actions `user` may apply to `venue` in its current status (the page's buttons)."""
    return [
        action
        for action, (sources, _target, _official) in TRANSITIONS.items()
        if venue.status in sources and may_do(user, venue, action)
    ]


@transaction.atomic
def transition(actor, venue: Venue, action: str, reason: str = "") -> Venue:
    """Apply a status action (approve, reject, revoke, pause, resume, close, reopen)."""
    if action not in TRANSITIONS:
        raise TransitionError(_("Unknown action %(action)s.") % {"action": action})
    sources, target, official_only = TRANSITIONS[action]
    if not may_do(actor, venue, action):
        raise PermissionDenied(_("You may not do this for this checkpoint."))
    venue = Venue.objects.select_for_update().get(pk=venue.pk)
    if venue.status not in sources:
        raise TransitionError(
            _("This checkpoint is %(status)s; it cannot be %(action)s.")
            % {"status": venue.get_status_display(), "action": action_label(action)}
        )
    if action in ("reject", "revoke") and not reason.strip():
        raise TransitionError(_("Give a reason, so the owner knows what to fix."))
    if target == Status.ACTIVE:
        _activate(venue, actor if official_only else venue.decided_by)
        # Reopened: it counts as a checkpoint again, its closed days as if it had been paused.
        venue.ended_at = None
    else:
        venue.status = target
        if target == Status.REJECTED:
            venue.decided_by = actor
    if target in (Status.CLOSED, Status.REJECTED, Status.REVOKED):
        venue.ended_at = timezone.now()
    venue.status_note = reason.strip()[:300]
    venue.save()
    return venue


def action_label(action: str) -> str:
    return {
        "approve": _("approved"),
        "reject": _("rejected"),
        "revoke": _("revoked"),
        "pause": _("paused"),
        "resume": _("resumed"),
        "close": _("closed"),
        "reopen": _("reopened"),
    }[action]


# ---------------------------------------------------------------------------------------------
# Usual stays

_stays: tuple[float, dict[str, int], str] = (0.0, {}, "{}")
#: How long a process trusts its copy of the usual stays edited in the admin.
STAY_TTL = 60.0


def _current_stays() -> tuple[float, dict[str, int], str]:
    global _stays
    if time.monotonic() - _stays[0] > STAY_TTL:
        edited = dict(UsualStay.objects.values_list("category", "minutes"))
        minutes = {**DEFAULT_STAY_MINUTES, **edited}
        _stays = (time.monotonic(), minutes, json.dumps(minutes, sort_keys=True))
    return _stays


def stay_minutes() -> dict[str, int]:
    """Usual stay in minutes for every category: the defaults, with the admin's edits."""
    return _current_stays()[1]


def stay_minutes_json() -> str:
    """`stay_minutes` as JSON text, for the scan statements (written once per read, not per
    scan)."""
    return _current_stays()[2]


def usual_stay(category: str) -> dt.timedelta:
    """How long after entry a visit with no exit scan ends, for a venue category."""
    return dt.timedelta(minutes=stay_minutes()[category])


def forget_usual_stays() -> None:
    """Read the usual stays again on next use (after an edit, and in tests)."""
    global _stays
    _stays = (0.0, {}, "{}")


# Posters and QR

#: Why a genuine poster is refused, by status (the poster itself is fine).
REFUSED = {
    Status.PENDING: ("not_approved", gettext_lazy("This checkpoint is not approved yet.")),
    Status.CLOSED: ("closed", gettext_lazy("This checkpoint has closed.")),
    Status.REJECTED: ("revoked", gettext_lazy("This checkpoint was not approved.")),
    Status.REVOKED: ("revoked", gettext_lazy("This checkpoint's code has been revoked.")),
}

#: Why a checkpoint takes no scans, by status: the refused posters, and a paused checkpoint,
#: whose poster stays genuine (it is resolved and printed) but whose entries wait until it
#: resumes: a visit recorded while the owner says the place is shut would be a false F1.
NOT_SCANNING = {
    **REFUSED,
    Status.PAUSED: (
        "paused",
        gettext_lazy("This checkpoint is paused: no entry is recorded until it reopens."),
    ),
}


def accepts_scans(status: str) -> bool:
    """Whether a checkpoint in this status records scans (the scan writer's rule 2)."""
    return status not in NOT_SCANNING


def resolve_payload(payload: str) -> Venue:
    """The checkpoint behind a scanned payload, or InvalidPayload saying why it is refused."""
    verified = signing.verify(payload)
    venue = Venue.objects.select_related("commune").filter(pk=verified.number).first()
    if venue is None:
        raise signing.InvalidPayload("forged", _("This checkpoint code is not genuine."))
    if venue.status in REFUSED:
        code, message = REFUSED[venue.status]
        raise signing.InvalidPayload(code, str(message))
    return venue


def qr_url(venue: Venue, key: signing.SigningKey | None = None) -> str | None:
    """The URL the poster's QR holds, or None while the checkpoint may not be scanned."""
    if not venue.is_printable:
        return None
    return signing.qr_url(signing.sign(venue.pk, key))


def area_line(venue: Venue) -> str:
    """ "Thị trấn Đức Phong, Huyện Bù Đăng, Tỉnh Bình Phước" from the commune's path."""
    codes = [c for c in venue.commune.path.split("/") if c]
    names = dict(Unit.objects.filter(code__in=codes).values_list("code", "full_name"))
    return ", ".join(names[c] for c in reversed(codes) if c in names)


def poster_info(venue: Venue, key: signing.SigningKey | None = None) -> PosterInfo:
    url = qr_url(venue, key)
    if url is None:
        raise TransitionError(
            _("Only an approved, open checkpoint has a poster (this one is %(status)s).")
            % {"status": venue.get_status_display()}
        )
    return PosterInfo(
        name=venue.name,
        category=str(Category(venue.category).label),
        address=venue.address,
        area=area_line(venue),
        qr_url=url,
        plate_number=venue.plate_number,
        route=venue.route,
    )


def area_posters(venues: Iterable[Venue]) -> Iterator[PosterInfo]:
    """Posters of many checkpoints, signed with one key lookup."""
    key = signing.current_key()
    for venue in venues:
        if venue.is_printable:
            yield poster_info(venue, key)


# ---------------------------------------------------------------------------------------------
# Bulk import (the file is read and its lines checked in venues/imports.py)


@transaction.atomic
def save_imported(actor, lines: list[tuple[Venue | None, dict]]) -> tuple[int, int]:
    """Store an import's checked lines, all or none: each is (the checkpoint it updates, or None
    for a new one; its validated details). An update keeps the checkpoint's status; a new one
    is registered by `actor` (see `register`). Returns (created, updated)."""
    created = updated = 0
    for venue, values in lines:
        if venue is not None:
            _store(venue, values)
            updated += 1
        else:
            register(actor, values)
            created += 1
    return created, updated
