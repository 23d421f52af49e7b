"""Campaigns: one install or declaration reminder to everyone of an area or an organization.

Officials reach people only through the outbox. A campaign's messages are keyed
`campaign:<id>:<phone>`, so a phone gets one copy whatever happens: two people sharing a phone,
a worker restarted halfway, the task run twice. The task (tasks.send_campaign) walks the
recipients in phone order, a batch per transaction, writing its counters as it goes so the
campaign's page can show a progress bar, then hands the outbox to the sender.
"""

from __future__ import annotations

import math
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from kiemdich.accounts.access import OFFICER_ROLES, may_administer
from kiemdich.accounts.models import Role
from kiemdich.core.errors import FieldError
from kiemdich.declarations.models import Person
from kiemdich.geo.models import Unit
from kiemdich.orgs.models import Organization

from .models import Campaign, CampaignKind, CampaignStatus, Message, State
from .services import queue_many, safe_sms_text, trusted_link_hosts

#: Recipients queued per transaction: one INSERT of this many rows, and one counter update.
BATCH = 1000

#: The GSM 03.38 alphabet: a text using only these fits 160 characters in one SMS; any other
#: character (every Vietnamese letter with a diacritic) makes it UCS-2, 70 per SMS.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")


#: The task that sends a campaign, looked up when one is made: tasks.py imports this module (the
#: task calls `run` and `progress`), so this module must not import it back.
SEND_CAMPAIGN = "kiemdich.messaging.tasks.send_campaign"


class CampaignError(FieldError, ValueError):
    """A campaign that cannot be made as asked (the form or the API says why; 422 `invalid`,
    about the body as a whole)."""

    def __init__(self, message: str) -> None:
        super().__init__(None, message)


# Who ------------------------------------------------------------------------------------------


def may_run_campaigns(user) -> bool:
    """Officers of an area and organization admins; everyone else is refused."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if user.role in OFFICER_ROLES:
        return user.unit_id is not None
    return user.role == Role.ORG_ADMIN and user.organization_id is not None


def require_campaigner(user) -> None:
    if not may_run_campaigns(user):
        raise PermissionDenied(_("Campaigns are for officers of an area and organization admins."))


def may_send_to_unit(user, unit: Unit) -> bool:
    """Officers send to any unit they administer (their own and everything under it)."""
    return may_administer(user, unit)


def may_send_to_organization(user, organization: Organization) -> bool:
    """An organization's admins send to its people, and so do the officers of its area."""
    if (
        getattr(user, "role", None) == Role.ORG_ADMIN
        and user.is_active
        and user.organization_id == organization.pk
    ):
        return True
    return may_administer(user, organization.unit)


def units_for(user) -> QuerySet[Unit] | None:
    """Units the user may pick, in tree order; None when there are too many to list (a
    superuser without an area types a code instead)."""
    if getattr(user, "role", None) not in OFFICER_ROLES or user.unit_id is None:
        return None
    return Unit.objects.under(user.unit).order_by("path")


def organizations_for(user) -> QuerySet[Organization] | None:
    """Organizations the user may pick; None for a superuser without an area (types a code)."""
    if getattr(user, "role", None) == Role.ORG_ADMIN:
        return Organization.objects.filter(pk=user.organization_id)
    if getattr(user, "role", None) in OFFICER_ROLES and user.unit_id is not None:
        return Organization.objects.filter(unit__path__startswith=user.unit.path).order_by("name")
    return None


# What -----------------------------------------------------------------------------------------


def sender_name(user) -> str:
    """Who the people read the reminder from: 'UBND huyện Bù Đăng', or the organization."""
    if getattr(user, "role", None) == Role.ORG_ADMIN and user.organization_id:
        return user.organization.name
    if user.unit_id:
        full = user.unit.full_name
        return _("People's Committee of %(unit)s") % {"unit": full[:1].lower() + full[1:]}
    return _("The epidemic control board")


def default_text(kind: str, user) -> str:
    """The standard reminder, in Vietnamese (what the people read), under one SMS of 160."""
    with translation.override("vi"):
        # An organization's name is typed by people: no link in it reaches an SMS.
        sender = safe_sms_text(sender_name(user), max_length=80)
        if kind == CampaignKind.DECLARATION:
            return _(
                "%(sender)s asks you to make your health declaration online before travelling "
                "or visiting public places: %(url)s"
            ) % {"sender": sender, "url": f"{settings.PUBLIC_URL}{reverse('declare')}"}
        return _(
            "%(sender)s asks you to install the Bluezone app, to be warned if you were near a "
            "COVID-19 case: bluezone.gov.vn"
        ) % {"sender": sender}


def custom_text(text: str) -> str:
    """A campaign text the sender typed, as it is sent: links only to this platform and to
    gov.vn sites, no control characters (messaging.services.safe_sms_text)."""
    return safe_sms_text(text, max_length=Campaign.MAX_TEXT, allow_hosts=trusted_link_hosts())


def default_texts(user) -> dict[str, str]:
    return {kind: default_text(kind, user) for kind in CampaignKind.values}


def sms_parts(text: str) -> int:
    """How many SMS the text takes (what a carrier bills): 160/153 characters per part in the
    GSM alphabet, 70/67 in UCS-2. The form's script counts the same way."""
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
        length, single, part = len(text) + sum(c in GSM_EXTENDED for c in text), 160, 153
    else:
        length, single, part = len(text.encode("utf-16-le")) // 2, 70, 67
    return 1 if length <= single else math.ceil(length / part)


def recipients(campaign: Campaign) -> QuerySet:
    """The distinct phones a campaign goes to, in order (the task pages through them)."""
    people = Person.objects.exclude(phone="")
    if campaign.unit_id:
        people = people.filter(commune__path__startswith=campaign.unit.path)
    else:
        people = people.filter(organization_id=campaign.organization_id)
    return people.order_by("phone").values_list("phone", flat=True).distinct()


# Doing ----------------------------------------------------------------------------------------


#: What `create` takes from the campaign form (page and API alike).
FORM_FIELDS = ("kind", "channel", "text", "name", "unit", "organization", "client_id")


def create(
    user,
    *,
    kind: str,
    channel: str,
    text: str = "",
    name: str = "",
    unit: Unit | None = None,
    organization: Organization | None = None,
    client_id: uuid.UUID | None = None,
) -> tuple[Campaign, bool]:
    """Record a campaign and start its task; (campaign, whether it is new).

    The same `client_id` (a form sent twice, an API retry) returns the first campaign and starts
    nothing, so nobody is reminded twice because a button was pressed twice.
    """
    require_campaigner(user)
    if client_id is not None:
        earlier = Campaign.objects.filter(client_id=client_id).first()
        if earlier is not None:
            if not Campaign.objects.visible_to(user).filter(pk=earlier.pk).exists():
                raise PermissionDenied(_("You may not access this."))
            return earlier, False
    if (unit is None) == (organization is None):
        raise CampaignError(_("Choose an area or an organization, not both."))
    if unit is not None and not may_send_to_unit(user, unit):
        raise PermissionDenied(_("You may not send campaigns to this area."))
    if organization is not None and not may_send_to_organization(user, organization):
        raise PermissionDenied(_("You may not send campaigns to this organization."))
    audience = unit.full_name if unit is not None else organization.name
    today = f"{timezone.localdate():%d/%m/%Y}"
    name = name.strip() or f"{capfirst(CampaignKind(kind).label)} · {audience} · {today}"
    try:
        with transaction.atomic():
            campaign = Campaign.objects.create(
                client_id=client_id,
                name=name[:200],
                kind=kind,
                channel=channel,
                text=custom_text(text) or default_text(kind, user),
                unit=unit,
                organization=organization,
                created_by=user,
            )
    except IntegrityError:
        if client_id is None:
            raise
        return Campaign.objects.get(client_id=client_id), False  # the same form, a blink earlier
    import_string(SEND_CAMPAIGN).enqueue(campaign.pk)
    return campaign, True


def run(campaign_id: int) -> Campaign:
    """Queue one message per recipient phone, a batch per transaction, counting as it goes.

    Safe to run again: keys already in the outbox are skipped, so a re-run only adds people who
    arrived since (and the counters start over from what is there).
    """
    campaign = Campaign.objects.select_related("unit").get(pk=campaign_id)
    campaign.status, campaign.error, campaign.finished_at = CampaignStatus.RUNNING, "", None
    campaign.started_at = campaign.started_at or timezone.now()
    campaign.queued = 0
    try:
        phones = recipients(campaign)
        campaign.total = phones.count()
        campaign.save(
            update_fields=["status", "error", "finished_at", "started_at", "queued", "total"]
        )
        last = ""
        while True:
            with transaction.atomic():
                batch = list(phones.filter(phone__gt=last)[:BATCH])
                if not batch:
                    break
                queue_many(
                    (f"{campaign.key_prefix}{phone}", phone, campaign.text, campaign.channel)
                    for phone in batch
                )
                campaign.queued += len(batch)
                campaign.save(update_fields=["queued"])
            last = batch[-1]
    except Exception as exc:
        campaign.status, campaign.error = CampaignStatus.FAILED, str(exc)[:300]
        campaign.finished_at = timezone.now()
        campaign.save(update_fields=["status", "error", "finished_at"])
        raise
    # People who declared while the task ran are in; the count is what was queued.
    campaign.total = max(campaign.total, campaign.queued)
    campaign.status, campaign.finished_at = CampaignStatus.DONE, timezone.now()
    campaign.save(update_fields=["total", "status", "finished_at"])
    return campaign


def progress(campaign: Campaign) -> dict:
    """The counters of the progress bar: recipients, queued so far, and what the outbox says."""
    counts = Message.objects.filter(key__startswith=campaign.key_prefix).aggregate(
        sent=Count("pk", filter=Q(state=State.SENT)),
        failed=Count("pk", filter=Q(state=State.FAILED)),
    )
    counted = counts["sent"] + counts["failed"] + campaign.purged_sent + campaign.purged_failed
    handled = counted >= campaign.queued
    return {
        "status": campaign.status,
        "status_display": campaign.get_status_display(),
        "total": campaign.total,
        "queued": campaign.queued,
        "sent": counts["sent"] + campaign.purged_sent,
        "failed": counts["failed"] + campaign.purged_failed,
        # Nothing more will change on its own: the page stops asking.
        "finished": campaign.status == CampaignStatus.FAILED
        or (campaign.status == CampaignStatus.DONE and handled),
    }
