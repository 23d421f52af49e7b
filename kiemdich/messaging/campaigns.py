"""Campaigns: one install or declaration reminder to everyone of an area or an organization.

Officials reach people only through the outbox. A campaign's messages are keyed
`campaign:<id>:<phone>`, so a phone gets one copy whatever happens: two people sharing a phone,
a worker restarted halfway, the task run twice. The task (tasks.send_campaign) walks the
recipients in phone order, a batch per transaction, writing its counters as it goes so the
campaign's page can show a progress bar, then hands the outbox to the sender.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

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
from kiemdich.core.errors import DomainError, FieldError
from kiemdich.declarations.models import Person
from kiemdich.declarations.services import masked_name
from kiemdich.geo.models import Unit
from kiemdich.orgs.models import Organization

from .models import Campaign, CampaignKind, CampaignStatus, Channel, Message, State
from .segments import SmsSegments, sms_segments
from .services import as_delivered, queue_many, safe_sms_text, trusted_link_hosts

#: Recipients queued per transaction: one INSERT of this many rows, and one counter update.
BATCH = 1000


#: The task that sends a campaign, looked up when one is made: tasks.py imports this module (the
#: task calls `run` and `progress`), so this module must not import it back.
SEND_CAMPAIGN = "kiemdich.messaging.tasks.send_campaign"


class CampaignError(FieldError, ValueError):
    """A campaign that cannot be made as asked (the form or the API says why; 422 `invalid`,
    about the body as a whole, or about `field`)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(field, message)


class CampaignRepeated(DomainError):
    """The same reminder already went to the same people a short while ago (409
    `campaign_repeated`): the message says when it went and when the next may go."""

    def __init__(self, last: Campaign, next_at: dt.datetime) -> None:
        message = _(
            "The same reminder (%(kind)s) already went to %(audience)s on %(last)s. The next one "
            "may go from %(next)s: the same people get a reminder of a kind at most once every "
            "%(hours)s hours."
        ) % {
            "kind": last.get_kind_display(),
            "audience": audience_name(last.unit, last.organization),
            "last": _when(last.created_at),
            "next": _when(next_at),
            "hours": f"{repeat_interval().total_seconds() / 3600:g}",
        }
        super().__init__(409, "campaign_repeated", message)
        self.last, self.next_at = last, next_at


def _when(moment: dt.datetime) -> str:
    """'14:05 02/12/2026', in the site's time zone (what an official reads on the wall clock)."""
    return f"{timezone.localtime(moment):%H:%M %d/%m/%Y}"


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


def _people(unit: Unit | None, organization: Organization | None) -> QuerySet[Person]:
    """The people with a phone that an audience (an area, or an organization) holds."""
    people = Person.objects.exclude(phone="")
    if unit is not None:
        return people.filter(commune__path__startswith=unit.path)
    return people.filter(organization_id=organization.pk)


def recipients(campaign: Campaign) -> QuerySet:
    """The distinct phones a campaign goes to, in order (the task pages through them)."""
    return _phones(campaign.unit, campaign.organization)


def _phones(unit: Unit | None, organization: Organization | None) -> QuerySet:
    return _people(unit, organization).order_by("phone").values_list("phone", flat=True).distinct()


def audience_name(unit: Unit | None, organization: Organization | None) -> str:
    return unit.full_name if unit is not None else organization.name


def masked_phone(phone: str) -> str:
    """'+84912000001' -> '+849*****001': enough to see the numbers are of the right country
    and differ, not enough to call anyone."""
    return phone[:4] + "*" * max(len(phone) - 7, 0) + phone[-3:]


# Not twice ------------------------------------------------------------------------------------


def repeat_interval() -> dt.timedelta:
    """How long the same reminder may not go to the same audience again
    (KIEMDICH_CAMPAIGN_REPEAT_INTERVAL, in hours; 0 turns the rule off)."""
    return dt.timedelta(hours=settings.CAMPAIGN_REPEAT_HOURS)


def refuse_repeat(kind: str, unit: Unit | None, organization: Organization | None) -> None:
    """Raise CampaignRepeated if a campaign of `kind` went to this very area or organization
    within the repeat interval, whoever sent it (the people are the same). A campaign that
    failed before queuing anyone reached nobody and does not count."""
    interval = repeat_interval()
    if interval <= dt.timedelta(0):
        return
    last = (
        Campaign.objects.filter(
            kind=kind,
            unit=unit,
            organization=organization,
            created_at__gt=timezone.now() - interval,
        )
        .exclude(status=CampaignStatus.FAILED, queued=0)
        .select_related("unit", "organization")
        .order_by("-created_at")
        .first()
    )
    if last is not None:
        raise CampaignRepeated(last, last.created_at + interval)


# Before sending -------------------------------------------------------------------------------

#: Recipients shown (masked) on the preview: enough to see the audience is the right one.
SAMPLES = 3


@dataclass(frozen=True)
class Sample:
    """One recipient as the preview shows it: masked, with the commune they live in."""

    person_id: int
    phone: str
    name: str
    commune: str


@dataclass(frozen=True)
class Preview:
    """What confirming a campaign will do: who gets what, and what it costs."""

    kind: str
    channel: str
    unit: Unit | None
    organization: Organization | None
    #: The text stored and queued (the standard one if none was typed, links defused).
    text: str
    #: The text as it arrives on a phone: `text` with what the sender adds (senders.py).
    delivered: str
    segments: SmsSegments
    #: Distinct phones: each gets one message.
    recipients: int
    samples: tuple[Sample, ...]

    @property
    def audience(self) -> str:
        return audience_name(self.unit, self.organization)

    @property
    def kind_label(self) -> str:
        return CampaignKind(self.kind).label

    @property
    def channel_label(self) -> str:
        return Channel(self.channel).label

    @property
    def is_sms(self) -> bool:
        return self.channel == Channel.SMS

    @property
    def total_sms(self) -> int:
        """SMS billed for the whole campaign (0 for Zalo and app notifications)."""
        return self.recipients * self.segments.parts if self.is_sms else 0


def _check_audience(user, unit: Unit | None, organization: Organization | None) -> None:
    if (unit is None) == (organization is None):
        raise CampaignError(_("Choose an area or an organization, not both."))
    if unit is not None and not may_send_to_unit(user, unit):
        raise PermissionDenied(_("You may not send campaigns to this area."))
    if organization is not None and not may_send_to_organization(user, organization):
        raise PermissionDenied(_("You may not send campaigns to this organization."))


def campaign_text(user, kind: str, text: str) -> str:
    """The text a campaign stores and queues: the one typed, made safe, else the standard."""
    return custom_text(text) or default_text(kind, user)


def preview(
    user,
    *,
    kind: str,
    channel: str,
    text: str = "",
    unit: Unit | None = None,
    organization: Organization | None = None,
    **_form,
) -> Preview:
    """What `create` would do with these values, doing nothing: the same refusals (who may
    send where, the repeat rule), the recipients counted, a few of them masked, the text as it
    will arrive and its SMS cost. Extra form values (name, client_id) are ignored."""
    require_campaigner(user)
    _check_audience(user, unit, organization)
    refuse_repeat(kind, unit, organization)
    stored = campaign_text(user, kind, text)
    delivered = as_delivered(stored, channel)
    phones = list(_phones(unit, organization)[:SAMPLES])
    first: dict[str, Person] = {}
    for person in (
        _people(unit, organization)
        .filter(phone__in=phones)
        .select_related("commune")
        .order_by("phone", "pk")
    ):
        first.setdefault(person.phone, person)
    samples = tuple(
        Sample(
            first[phone].pk,
            masked_phone(phone),
            masked_name(first[phone].full_name),
            first[phone].commune.full_name if first[phone].commune_id else "",
        )
        for phone in phones
    )
    return Preview(
        kind=kind,
        channel=channel,
        unit=unit,
        organization=organization,
        text=stored,
        delivered=delivered,
        segments=sms_segments(delivered),
        recipients=_phones(unit, organization).count(),
        samples=samples,
    )


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
    confirmed: bool = False,
) -> tuple[Campaign, bool]:
    """Record a campaign and start its task; (campaign, whether it is new).

    Messages go out to many people and cannot be called back, so nothing is made unless the
    sender `confirmed` after seeing the `preview`. The same `client_id` (a confirmation tapped
    twice, an API retry) returns the first campaign and starts nothing, so nobody is reminded
    twice because a button was pressed twice; the same reminder to the same people within the
    repeat interval is refused (`refuse_repeat`).
    """
    require_campaigner(user)
    if not confirmed:
        raise CampaignError(
            _("Look at the preview (recipients, text, cost) first, then confirm to send."),
            field="confirm",
        )
    if client_id is not None:
        earlier = Campaign.objects.filter(client_id=client_id).first()
        if earlier is not None:
            if not Campaign.objects.visible_to(user).filter(pk=earlier.pk).exists():
                raise PermissionDenied(_("You may not access this."))
            return earlier, False
    _check_audience(user, unit, organization)
    today = f"{timezone.localdate():%d/%m/%Y}"
    audience = audience_name(unit, organization)
    name = name.strip() or f"{capfirst(CampaignKind(kind).label)} · {audience} · {today}"
    try:
        with transaction.atomic():
            # One at a time per audience, so two officials confirming at once cannot both pass
            # the repeat rule.
            (Unit if unit is not None else Organization).objects.select_for_update().filter(
                pk=(unit or organization).pk
            ).first()
            refuse_repeat(kind, unit, organization)
            campaign = Campaign.objects.create(
                client_id=client_id,
                name=name[:200],
                kind=kind,
                channel=channel,
                text=campaign_text(user, kind, text),
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
