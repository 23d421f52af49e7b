"""Installs of the apps, install figures per unit and day, and targets.

Two sources give a unit's install count, as in 2021: apps register each install (`Install`,
summed per commune and day in `InstallDay` so a dashboard never counts millions of rows), and
carriers or app vendors send cumulative figures per unit and day (`InstallFigure`). A unit's count
on a date is its imported figure, or else the sum of its children's (a commune's children being
its registered installs): see `figures.py`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kiemdich.orgs.models import Group, OrgKind


class App(models.TextChoices):
    BLUEZONE = "bluezone", "Bluezone"
    PC_COVID = "pc-covid", "PC-Covid"
    NCOVI = "ncovi", "NCOVI"
    VHD = "vhd", _("Vietnam Health Declaration (VHD)")
    OTHER = "other", _("other")


class Platform(models.TextChoices):
    ANDROID = "android", "Android"
    IOS = "ios", "iOS"
    OTHER = "other", _("other")


class Install(models.Model):
    """One install of an app on one phone, as the app registers it.

    The app's own install id makes a retried or repeated registration count once; an uninstall
    sets `removed_at`, so the count falls back and a reinstall raises it again.
    """

    app = models.CharField(_("app"), max_length=12, choices=App.choices)
    install_id = models.CharField(_("install id"), max_length=64)
    platform = models.CharField(_("platform"), max_length=8, choices=Platform.choices)
    commune = models.ForeignKey(
        "geo.Unit", verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+"
    )
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="installs",
    )
    registered_at = models.DateTimeField(_("registered at"))
    removed_at = models.DateTimeField(_("uninstalled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("install")
        verbose_name_plural = _("installs")
        constraints = [
            models.UniqueConstraint(fields=["app", "install_id"], name="install_app_id"),
        ]

    def __str__(self) -> str:
        return f"{self.app} {self.install_id}"


class InstallDay(models.Model):
    """Registered installs added and removed in a commune on a (local) day.

    A commune's registered installs on date D are the sum of `added - removed` up to D: a few
    hundred rows per commune and year instead of every install.
    """

    unit = models.ForeignKey(
        "geo.Unit", verbose_name=_("commune"), on_delete=models.CASCADE, related_name="+"
    )
    date = models.DateField(_("date"))
    added = models.PositiveIntegerField(_("installs added"), default=0)
    removed = models.PositiveIntegerField(_("installs removed"), default=0)

    class Meta:
        verbose_name = _("installs of a day")
        verbose_name_plural = _("installs by day")
        constraints = [
            models.UniqueConstraint(fields=["unit", "date"], name="installday_unit_date"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.date} +{self.added} -{self.removed}"


class InstallFigure(models.Model):
    """A unit's cumulative install count on a date, from a carrier's or vendor's file."""

    unit = models.ForeignKey(
        "geo.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+"
    )
    date = models.DateField(_("date"))
    installs = models.PositiveIntegerField(_("installs"))
    imported_at = models.DateTimeField(_("imported at"), auto_now=True)

    class Meta:
        verbose_name = _("imported install figure")
        verbose_name_plural = _("imported install figures")
        ordering = ["unit", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "date"], name="installfigure_unit_date"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.date}: {self.installs}"


class Metric(models.TextChoices):
    INSTALL_RATE = "install_rate", _("share who installed the app")


class Target(models.Model):
    """A goal with a deadline: for an area ("60% of smartphone users by 30/7/2021", a unit and
    everything under it), or for a headcount group of organizations ("80% of workers"), optionally
    only organizations of one kind ("100% of the staff of hospitals")."""

    name = models.CharField(_("name"), max_length=200)
    unit = models.ForeignKey(
        "geo.Unit",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Applies to this unit and every unit under it."),
    )
    group = models.CharField(_("group"), max_length=20, choices=Group.choices, blank=True)
    org_kind = models.CharField(
        _("kind of organization"), max_length=20, choices=OrgKind.choices, blank=True
    )
    metric = models.CharField(
        _("metric"), max_length=20, choices=Metric.choices, default=Metric.INSTALL_RATE
    )
    threshold = models.DecimalField(_("threshold (%)"), max_digits=5, decimal_places=2)
    deadline = models.DateField(_("deadline"))

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["deadline", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit__isnull=False, group="")
                | models.Q(unit__isnull=True) & ~models.Q(group=""),
                name="target_area_or_group",
            ),
            models.CheckConstraint(
                condition=models.Q(threshold__gt=0, threshold__lte=100),
                name="target_threshold_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.name
