"""The daily reports of seed 002: each unit's figures for a day, sent up to the level above by
its deadline, and the units flagged for missing it.

The tables keep the names they had when the reports lived inside `adoption` (migration
reports.0001 moved the models without touching the database).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DailyReport(models.Model):
    """A unit's figures for one day, sent up: communes to their district by 15:00, districts to
    the province by 16:00 (seed 002). A district's report starts as a draft compiled from its
    communes' reports and is sent once the officer has checked or corrected it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SENT = "sent", _("sent")

    unit = models.ForeignKey(
        "geo.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+"
    )
    date = models.DateField(_("date"))
    installs = models.PositiveIntegerField(_("installs (cumulative)"))
    smartphone_users = models.PositiveIntegerField(_("smartphone users"), null=True, blank=True)
    venues = models.PositiveIntegerField(_("checkpoints"), null=True, blank=True)
    scans = models.PositiveIntegerField(_("scans today"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.SENT
    )
    submitted_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    late = models.BooleanField(_("late"), default=False)
    implausible = models.BooleanField(
        _("implausible figures confirmed"),
        default=False,
        help_text=_(
            "Sent with figures above their denominators or far from the previous report, "
            "confirmed by the sender."
        ),
    )
    #: What was in doubt when it was sent (services.Doubt.as_dict), shown to the district.
    doubts = models.JSONField(_("doubts"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = "adoption_dailyreport"  # made by adoption before reports had its own app
        verbose_name = _("daily report")
        verbose_name_plural = _("daily reports")
        ordering = ["-date", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "date"], name="dailyreport_unit_date"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.date}"


class MissedDeadline(models.Model):
    """A unit that had not sent its report when the deadline passed; its heads were reminded."""

    unit = models.ForeignKey(
        "geo.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+"
    )
    date = models.DateField(_("date"))
    flagged_at = models.DateTimeField(_("flagged at"), auto_now_add=True)
    reminded = models.PositiveSmallIntegerField(_("people reminded"), default=0)

    class Meta:
        db_table = "adoption_misseddeadline"
        verbose_name = _("missed report deadline")
        verbose_name_plural = _("missed report deadlines")
        ordering = ["-date", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "date"], name="misseddeadline_unit_date"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.date}"
