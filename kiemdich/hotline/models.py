"""The hotline 1022: tickets received 24/7, the agencies that act on them, and the clock.

The legal limit counts from `received_at`, which never changes, around the clock and without a
pause: `due_at` is fixed when the ticket is received and nothing (reassigning, returning it to
the hotline, reopening it) moves it. Inside that limit each agency's own stretch is a
`Segment`, so the statistics can say which agency used the hours. Every change is a
`TicketEvent`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.access import VisibleQuerySet


class Channel(models.TextChoices):
    CALL = "call", _("phone call")
    SMS = "sms", _("SMS")
    ZALO = "zalo", _("Zalo")
    WEB = "web", _("web form")
    WALK_IN = "walk_in", _("walk-in")


class Category(models.TextChoices):
    SUSPECTED_CASE = "suspected_case", _("suspected case")
    UNDECLARED_ARRIVAL = "undeclared_arrival", _("back from an outbreak area without declaring")
    CHECKPOINT_NOT_SCANNING = "checkpoint_not_scanning", _("checkpoint not scanning")
    GATHERING = "gathering", _("gathering")
    PRICE_GOUGING = "price_gouging", _("price gouging of medical goods")
    FALSE_INFORMATION = "false_information", _("false information online")
    HELP_REQUEST = "help_request", _("request for help")
    APP_PROBLEM = "app_problem", _("app problem")
    OTHER = "other", _("other")


class AgencyKind(models.TextChoices):
    COMMUNE_COMMITTEE = "commune_committee", _("commune people's committee")
    DISTRICT_HEALTH = "district_health", _("district health centre")
    POLICE = "police", _("police")
    MARKET_SURVEILLANCE = "market_surveillance", _("market surveillance")
    ICT = "ict", _("department of information and communications")
    OTHER = "other", _("other agency")


class Status(models.TextChoices):
    #: In the supervisor's queue: no rule matched, or an agency returned it to the hotline.
    UNROUTED = "unrouted", _("waiting for the hotline")
    ASSIGNED = "assigned", _("sent to an agency")
    ACKNOWLEDGED = "acknowledged", _("being handled")
    RESOLVED = "resolved", _("resolved")


#: The statuses of a ticket whose clock still runs.
OPEN_STATUSES = (Status.UNROUTED, Status.ASSIGNED, Status.ACKNOWLEDGED)


class Outcome(models.TextChoices):
    MET = "met", _("within the limit")
    BREACHED = "breached", _("past the limit")


class AgencyQuerySet(VisibleQuerySet):
    """`visible_to(user)`: agencies of the user's area, and the ones they act for."""


class Agency(models.Model):
    """A body that receives tickets: a commune's people's committee, a district's health
    centre, the police, ... `members` may act for it (acknowledge, resolve, return); its
    `head` gets the 80 % warning."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=24, choices=AgencyKind.choices)
    unit = models.ForeignKey(
        "geo.Unit", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    head = models.ForeignKey(
        "accounts.User",
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    members = models.ManyToManyField(
        "accounts.User", verbose_name=_("members"), blank=True, related_name="hotline_agencies"
    )

    objects = AgencyQuerySet.as_manager()

    class Meta:
        verbose_name = _("receiving agency")
        verbose_name_plural = _("receiving agencies")
        ordering = ["unit__path", "name"]

    def __str__(self) -> str:
        return self.name


class Supervisor(models.Model):
    """A hotline supervisor: a hotline operator or an officer who watches the tickets of their
    area (`user.unit`): the queue of tickets no rule routed, the warnings and the breaches."""

    user = models.OneToOneField(
        "accounts.User",
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="hotline_supervisor",
    )

    class Meta:
        verbose_name = _("hotline supervisor")
        verbose_name_plural = _("hotline supervisors")

    def __str__(self) -> str:
        return str(self.user)


class RoutingRuleQuerySet(VisibleQuerySet):
    """`visible_to(user)`: the rules of the user's area."""


class RoutingRule(models.Model):
    """Tickets of `category` from a commune inside `unit` go to `agency`. Several rules may
    cover a commune (the province's, the district's, the commune's own): the most specific
    unit wins."""

    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    unit = models.ForeignKey(
        "geo.Unit", verbose_name=_("area"), on_delete=models.CASCADE, related_name="+"
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.CASCADE, related_name="rules"
    )

    objects = RoutingRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["unit__path", "category"]
        constraints = [
            models.UniqueConstraint(fields=["category", "unit"], name="hotline_rule_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} / {self.unit_id} -> {self.agency}"


class CategoryTarget(models.Model):
    """A category's own resolution limit, in place of `HOTLINE_RESOLUTION_MINUTES`."""

    category = models.CharField(_("category"), max_length=32, choices=Category.choices, unique=True)
    resolution_minutes = models.PositiveIntegerField(_("resolution limit (minutes)"))

    class Meta:
        verbose_name = _("category limit")
        verbose_name_plural = _("category limits")

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.resolution_minutes}"


class TicketQuerySet(VisibleQuerySet):
    """`visible_to(user)`: the tickets of the user's area (operators, officers, supervisors),
    and those held, or once held, by an agency the user acts for."""


class Ticket(models.Model):
    number = models.CharField(_("number"), max_length=16, unique=True)
    #: When the report came in: the start of the legal limit. Set once, never changed.
    received_at = models.DateTimeField(_("received at"))
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("logged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    commune = models.ForeignKey(
        "geo.Unit", verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+"
    )
    #: The commune's path, copied: the area filters and the statistics per district read it
    #: without a join.
    path = models.CharField(_("area path"), max_length=64, editable=False)
    location = models.CharField(_("location"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    caller_phone = models.CharField(_("caller's phone"), max_length=20, blank=True)
    public = models.BooleanField(_("may be shown publicly"), default=False)
    status = models.CharField(_("status"), max_length=14, choices=Status.choices)
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    limit_minutes = models.PositiveIntegerField(_("resolution limit (minutes)"))
    due_at = models.DateTimeField(_("due at"))
    first_response_due_at = models.DateTimeField(_("first response due at"))
    acknowledged_at = models.DateTimeField(_("first acknowledged at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    minutes_used = models.PositiveIntegerField(_("minutes used"), null=True, blank=True)
    reopened = models.BooleanField(_("reopened"), default=False)
    moves = models.PositiveSmallIntegerField(_("times moved"), default=0)
    #: The index of the next escalation step (settings.HOTLINE_ESCALATION_STEPS) and when it
    #: falls due: the periodic check reads only tickets whose step is due.
    next_step = models.PositiveSmallIntegerField(_("next escalation step"), default=0)
    next_step_at = models.DateTimeField(_("next escalation at"), null=True, blank=True)
    venue = models.ForeignKey(
        "venues.Venue",
        verbose_name=_("checkpoint"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    case = models.ForeignKey(
        "tracing.Case",
        verbose_name=_("tracing case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: Set by the retention purge: the caller's phone, description and location are gone.
    scrubbed = models.BooleanField(_("personal data removed"), default=False)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("hotline ticket")
        verbose_name_plural = _("hotline tickets")
        ordering = ["-received_at"]
        indexes = [
            # The statistics: a period of receipt first (a week of a year), then the area.
            models.Index(fields=["received_at", "path"], name="ticket_received_area"),
            models.Index(
                fields=["next_step_at"],
                name="ticket_escalation_due",
                condition=models.Q(next_step_at__isnull=False),
            ),
            models.Index(
                fields=["path", "due_at"],
                name="ticket_open_by_due",
                condition=models.Q(status__in=["unrouted", "assigned", "acknowledged"]),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Segment(models.Model):
    """One agency's stretch of a ticket: from being sent it until it let go of it (resolved,
    returned, moved elsewhere). The ticket's clock runs on through every segment."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="segments"
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.CASCADE, related_name="segments"
    )
    assigned_at = models.DateTimeField(_("assigned at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("agency segment")
        verbose_name_plural = _("agency segments")
        ordering = ["assigned_at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket_id} @ {self.agency_id}"


class EventKind(models.TextChoices):
    RECEIVED = "received", _("received")
    ASSIGNED = "assigned", _("sent to an agency")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    NOTE = "note", _("note")
    RETURNED = "returned", _("returned to the hotline")
    RESOLVED = "resolved", _("resolved")
    REOPENED = "reopened", _("reopened")
    ESCALATED = "escalated", _("escalated")
    LINKED = "linked", _("linked")


class TicketEvent(models.Model):
    """One line of a ticket's history. Never edited."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        "accounts.User",
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=14, choices=EventKind.choices)
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("ticket history entry")
        verbose_name_plural = _("ticket history")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


class Escalation(models.Model):
    """An escalation step sent for a ticket: at most once per ticket and step."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="escalations"
    )
    step = models.PositiveSmallIntegerField(_("step (percent of the limit)"))
    at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "step"], name="escalation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.step}%"


# The daily rollup: what the statistics read instead of the tickets themselves.


class Dimension(models.TextChoices):
    """What a rollup row counts by, besides its day and unit."""

    ALL = "", _("all tickets")
    CHANNEL = "channel", _("channel")
    CATEGORY = "category", _("category")
    #: The agency holding the ticket now; the time held is of each agency's own segments.
    AGENCY = "agency", _("agency")
    DISTRICT = "district", _("district")


class DayCount(models.Model):
    """The tickets received on one local `day` from the communes of `unit` (a province, a
    district or a commune: each ticket counts in all three) with one `value` of a
    `dimension` (a channel, a category, an agency's id, a district's code; "" for all of
    them): how many, how many are resolved, met, open, acknowledged (in time), reopened and
    moved, and how long the agency (agency rows) held them. One row per day, unit and value,
    whatever the number of tickets, so a month of a province is a thousand rows. Written only
    by services (in the transaction of each ticket change; rebuilt by `kiemdich hotline
    rollup`); counts only, no personal data."""

    day = models.DateField(_("day"))
    unit = models.ForeignKey(
        "geo.Unit", verbose_name=_("area"), on_delete=models.CASCADE, related_name="+"
    )
    dimension = models.CharField(
        _("counted by"), max_length=10, choices=Dimension.choices, blank=True
    )
    value = models.CharField(_("value"), max_length=32, blank=True)
    tickets = models.IntegerField(_("tickets"))
    resolved = models.IntegerField(_("resolved"))
    met = models.IntegerField(_("resolved within the limit"))
    open = models.IntegerField(_("open"))
    acknowledged = models.IntegerField(_("acknowledged"))
    first_met = models.IntegerField(_("acknowledged within the first-response target"))
    reopened = models.IntegerField(_("reopened"))
    moved = models.IntegerField(_("moved"))
    held = models.DurationField(_("time held"))

    class Meta:
        verbose_name = _("daily ticket count")
        verbose_name_plural = _("daily ticket counts")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "day", "dimension", "value"], name="daycount_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.unit_id} {self.dimension}={self.value}: {self.tickets}"


class DayMinutes(models.Model):
    """How many tickets received on `day` from the communes of `unit` were resolved in
    exactly `minutes` (whole minutes, as `Ticket.minutes_used`): the histogram the median
    and the 90th percentile are read from, exactly as from the tickets themselves."""

    day = models.DateField(_("day"))
    unit = models.ForeignKey(
        "geo.Unit", verbose_name=_("area"), on_delete=models.CASCADE, related_name="+"
    )
    minutes = models.PositiveIntegerField(_("minutes used"))
    tickets = models.IntegerField(_("tickets"))

    class Meta:
        verbose_name = _("daily handling times")
        verbose_name_plural = _("daily handling times")
        constraints = [
            models.UniqueConstraint(fields=["unit", "day", "minutes"], name="dayminutes_once"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.unit_id}: {self.tickets} in {self.minutes} min"
