"""Quarantine and isolation monitoring: who is under watch, where, until when, and what they
reported each day (issue 18).

A `Monitoring` is one person's period under one regime. Its end (`ends_at`) is stored, not
computed, so the dashboards of a province with 200,000 people count "ending today" from an
index; it is empty while the exposure continues (a household member still ill), and set again
from the last exposure once it stops. The last report's day and the open alerts are stored on
the monitoring too (`last_report_on`, `not_reporting_since`, `symptomatic_since`) for the same
reason: the follow-up list is read far more often than it changes.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.access import VisibleQuerySet

#: A temperature from which a report counts as fever (°C), with or without the fever box.
FEVER_FROM = 38
#: Hours without a report after which someone is "not reporting".
NOT_REPORTING_AFTER = dt.timedelta(hours=24)


class Regime(models.TextChoices):
    CENTRALIZED = "centralized", _("centralized quarantine")
    HOME_QUARANTINE = "home_quarantine", _("home quarantine")
    HOME_ISOLATION = "home_isolation", _("home isolation (F0)")
    SELF_MONITORING = "self_monitoring", _("self-monitoring")


#: The period of each regime unless the province sets its own (`RegimePeriod`), in days.
DEFAULT_PERIODS = {
    Regime.CENTRALIZED: 21,
    Regime.HOME_QUARANTINE: 14,
    Regime.HOME_ISOLATION: 14,
    Regime.SELF_MONITORING: 14,
}


class Source(models.TextChoices):
    TRACING = "tracing", _("tracing contact")
    DECLARATION = "declaration", _("health declaration")
    HOTLINE = "hotline", _("hotline call")
    MANUAL = "manual", _("entered by hand")


class State(models.TextChoices):
    ACTIVE = "active", _("under monitoring")
    CLOSED = "closed", _("closed")


class CloseReason(models.TextChoices):
    COMPLETED = "completed", _("period completed")
    NEGATIVE = "negative", _("tested negative")
    BECAME_CASE = "became_case", _("became a case")
    TRANSFERRED_OUT = "transferred_out", _("transferred out of the province")
    LOST = "lost", _("lost to follow-up")


class Reporter(models.TextChoices):
    SELF = "self", _("the person")
    HOUSEHOLD = "household", _("head of household")
    TEAM_CALL = "team_call", _("team member, by phone call")
    TEAM_VISIT = "team_visit", _("team member, by visit")


class Outcome(models.TextChoices):
    SEEN_WELL = "seen_well", _("seen, well")
    SEEN_UNWELL = "seen_unwell", _("seen, unwell")
    NOT_REACHED = "not_reached", _("not reached")


class AlertKind(models.TextChoices):
    SYMPTOMATIC = "symptomatic", _("symptoms or fever")
    NOT_REPORTING = "not_reporting", _("not reporting")


class RegimePeriod(models.Model):
    """A province's own period for a regime (the defaults are `DEFAULT_PERIODS`)."""

    province = models.ForeignKey(
        "geo.Unit", verbose_name=_("province"), on_delete=models.CASCADE, related_name="+"
    )
    regime = models.CharField(_("regime"), max_length=16, choices=Regime.choices)
    days = models.PositiveSmallIntegerField(_("days"))

    class Meta:
        verbose_name = _("monitoring period")
        verbose_name_plural = _("monitoring periods")
        constraints = [
            models.UniqueConstraint(fields=["province", "regime"], name="regime_period_once"),
        ]

    def __str__(self) -> str:
        return f"{self.province_id} {self.regime}: {self.days}"


class FacilityQuerySet(VisibleQuerySet):
    """`visible_to(user)`: the facilities of the user's area (no personal data)."""


class Facility(models.Model):
    """A centralized quarantine site; its occupancy is its active centralized monitorings."""

    name = models.CharField(_("name"), max_length=150)
    commune = models.ForeignKey(
        "geo.Unit", verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+"
    )
    capacity = models.PositiveIntegerField(_("capacity"))

    objects = FacilityQuerySet.as_manager()

    class Meta:
        verbose_name = _("quarantine facility")
        verbose_name_plural = _("quarantine facilities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


#: The open monitorings: what every figure, list and partial index is about.
ACTIVE = models.Q(state=State.ACTIVE)


class MonitoringQuerySet(VisibleQuerySet):
    """`visible_to(user)`: officials of the commune responsible (and above) see its people."""

    def active(self) -> MonitoringQuerySet:
        return self.filter(state=State.ACTIVE)


class Monitoring(models.Model):
    person = models.ForeignKey(
        "declarations.Person",
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="monitorings",
    )
    regime = models.CharField(_("regime"), max_length=16, choices=Regime.choices)
    facility = models.ForeignKey(
        Facility,
        verbose_name=_("facility"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="monitorings",
    )
    #: The last exposure: the period counts from it.
    exposure_at = models.DateTimeField(_("last exposure"))
    period_days = models.PositiveSmallIntegerField(_("period (days)"))
    #: Exposure goes on (an ill household member): the monitoring stays open, `ends_at` empty.
    exposure_continues = models.BooleanField(_("exposure continues"), default=False)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    commune = models.ForeignKey(
        "geo.Unit",
        verbose_name=_("commune responsible"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: The health station or team that follows the person up (its name, as the commune says it).
    team = models.CharField(_("health station or team"), max_length=120, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    #: What in the source enrolled the person: "contact 12", "declaration 34", a hotline call's id.
    source_ref = models.CharField(_("source reference"), max_length=40, blank=True)
    #: The local hour the daily reminder goes out (a window of `REMINDER_WINDOW` hours from it).
    reminder_hour = models.PositiveSmallIntegerField(_("reminder hour"), default=8)
    #: In the signed report link (links.py): a new link sent bumps it, and the old one stops.
    link_version = models.PositiveIntegerField(_("report link version"), default=1)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.ACTIVE)
    close_reason = models.CharField(
        _("closure reason"), max_length=16, choices=CloseReason.choices, blank=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    last_report_at = models.DateTimeField(_("last report"), null=True, blank=True)
    #: The local day of the last report: no reminder that day.
    last_report_on = models.DateField(_("last report day"), null=True, blank=True)
    not_reporting_since = models.DateTimeField(_("not reporting since"), null=True, blank=True)
    symptomatic_since = models.DateTimeField(_("symptomatic since"), null=True, blank=True)
    #: What the team's last call or visit found, for the follow-up list.
    last_outcome = models.CharField(
        _("last call or visit"), max_length=12, choices=Outcome.choices, blank=True
    )
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("enrolled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("enrolled at"))

    objects = MonitoringQuerySet.as_manager()

    class Meta:
        verbose_name = _("monitoring")
        verbose_name_plural = _("monitorings")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One open monitoring per person: enrolling twice (two F1 lists) changes nothing.
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(state="active"),
                name="monitoring_one_active",
            ),
        ]
        # A commune's follow-up list and its count of those not reported today read the first
        # without the table; the clock finds the periods ended from the second.
        indexes = [
            models.Index(
                fields=["commune", "regime"],
                include=["last_report_on"],
                condition=ACTIVE,
                name="monitoring_commune",
            ),
            models.Index(fields=["ends_at"], condition=ACTIVE, name="monitoring_ends"),
            models.Index(fields=["state", "reminder_hour"], name="monitoring_reminder"),
        ]

    def __str__(self) -> str:
        return f"{self.get_regime_display()} #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.state == State.ACTIVE


class DailyReport(models.Model):
    monitoring = models.ForeignKey(
        Monitoring, verbose_name=_("monitoring"), on_delete=models.CASCADE, related_name="reports"
    )
    #: The local day reported for.
    date = models.DateField(_("date"))
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    temperature = models.DecimalField(
        _("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    reporter = models.CharField(_("reported by"), max_length=12, choices=Reporter.choices)
    #: A team member's call or visit: what came of it (a "not reached" is no health report).
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: The form's client id: a double submit replays the first report instead of adding one.
    client_id = models.UUIDField(_("client id"), null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("reported at"))

    class Meta:
        verbose_name = _("daily report")
        verbose_name_plural = _("daily reports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["monitoring", "date"], name="monitoring_report_day")]

    def __str__(self) -> str:
        return f"{self.monitoring_id} {self.date}"

    @property
    def is_symptomatic(self) -> bool:
        return bool(self.symptoms) or (
            self.temperature is not None and self.temperature >= FEVER_FROM
        )

    @property
    def is_health_report(self) -> bool:
        """Did anyone learn how the person is? A "not reached" visit did not."""
        return self.outcome != Outcome.NOT_REACHED


class AlertQuerySet(VisibleQuerySet):
    """`visible_to(user)`: as their monitoring."""

    def open(self) -> AlertQuerySet:
        return self.filter(resolved_at__isnull=True)


class Alert(models.Model):
    """Something the health station must act on: symptoms or fever reported, or nobody heard
    from the person for 24 hours. An open alert is the team's task; a call or visit resolves it."""

    monitoring = models.ForeignKey(
        Monitoring, verbose_name=_("monitoring"), on_delete=models.CASCADE, related_name="alerts"
    )
    kind = models.CharField(_("kind"), max_length=14, choices=AlertKind.choices)
    report = models.ForeignKey(
        DailyReport,
        verbose_name=_("report"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    raised_at = models.DateTimeField(_("raised at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        DailyReport,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resolved",
    )

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["monitoring", "kind"],
                condition=models.Q(resolved_at__isnull=True),
                name="alert_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.monitoring_id}"


class TransferQuerySet(VisibleQuerySet):
    """`visible_to(user)`: the sending and the receiving area both see a transfer."""

    def pending(self) -> TransferQuerySet:
        return self.filter(accepted_at__isnull=True)


class Transfer(models.Model):
    monitoring = models.ForeignKey(
        Monitoring, verbose_name=_("monitoring"), on_delete=models.CASCADE, related_name="transfers"
    )
    from_commune = models.ForeignKey(
        "geo.Unit", verbose_name=_("from"), on_delete=models.PROTECT, related_name="+"
    )
    to_commune = models.ForeignKey(
        "geo.Unit", verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    accepted_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["monitoring"],
                condition=models.Q(accepted_at__isnull=True),
                name="transfer_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_commune_id} → {self.to_commune_id}"


class FigureCount(models.Model):
    """How many active monitorings of a commune and regime a dashboard figure counts: the
    dashboards add these up instead of counting 200,000 monitorings (bench/monitoring.py).

    `day` is the day a dated figure is for (the last report's day for "reported today", the
    end's local day for "ending today"), empty for the others (under monitoring, not
    reporting, symptomatic). Only monitoring's services write it, in the transaction that
    changes a monitoring (`services._counting`; `services.recount` counts everything again);
    tests/monitoring/test_figures.py checks it over random histories against the reports and
    alerts themselves."""

    commune = models.ForeignKey(
        "geo.Unit", verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+"
    )
    regime = models.CharField(_("regime"), max_length=16, choices=Regime.choices)
    figure = models.CharField(_("figure"), max_length=16)
    day = models.DateField(_("day"), null=True, blank=True)
    n = models.IntegerField(_("count"))

    class Meta:
        verbose_name = _("dashboard count")
        verbose_name_plural = _("dashboard counts")
        # Two partial constraints, not one with `nulls_distinct`: SQLite has no such option.
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "regime", "figure", "day"],
                condition=models.Q(day__isnull=False),
                name="figure_count_once_a_day",
            ),
            models.UniqueConstraint(
                fields=["commune", "regime", "figure"],
                condition=models.Q(day__isnull=True),
                name="figure_count_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commune_id} {self.regime} {self.figure} {self.day or ''}: {self.n}"
