"""Administrative units (province, district, commune) and their figures over time.

Units are keyed by the statistics office's code ("70", "696", "25396") because every file an
official sends us (carrier exports, report templates) identifies units that way. Each unit keeps a
materialised `path` ("70/696/25396/") so "this unit and everything under it", the question every
permission check and every report asks, is one index-friendly prefix match.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    PROVINCE = 1, _("province")
    DISTRICT = 2, _("district")
    COMMUNE = 3, _("commune")


class Kind(models.TextChoices):
    TINH = "tinh", _("province (tỉnh)")
    THANH_PHO = "thanh-pho", _("city (thành phố)")
    HUYEN = "huyen", _("rural district (huyện)")
    THI_XA = "thi-xa", _("town (thị xã)")
    QUAN = "quan", _("urban district (quận)")
    XA = "xa", _("commune (xã)")
    PHUONG = "phuong", _("ward (phường)")
    THI_TRAN = "thi-tran", _("township (thị trấn)")


#: The Vietnamese prefix each kind carries in a full name ("Thị trấn Đức Phong").
KIND_PREFIX = {
    Kind.TINH: "Tỉnh",
    Kind.THANH_PHO: "Thành phố",
    Kind.HUYEN: "Huyện",
    Kind.THI_XA: "Thị xã",
    Kind.QUAN: "Quận",
    Kind.XA: "Xã",
    Kind.PHUONG: "Phường",
    Kind.THI_TRAN: "Thị trấn",
}


class UnitQuerySet(models.QuerySet["Unit"]):
    def provinces(self) -> UnitQuerySet:
        """The first select of every province -> district -> commune picker."""
        return self.filter(level=Level.PROVINCE).order_by("name")

    def under(self, unit: Unit, *, include_self: bool = True) -> UnitQuerySet:
        """The unit's whole subtree (itself included unless asked otherwise)."""
        qs = self.filter(path__startswith=unit.path)
        return qs if include_self else qs.exclude(pk=unit.pk)

    def with_latest_figures(self) -> UnitQuerySet:
        """Annotate each unit with its newest population and smartphone figures (or None)."""
        latest = UnitStat.objects.filter(unit=models.OuterRef("pk")).order_by("-date")
        return self.annotate(
            figures_date=models.Subquery(latest.values("date")[:1]),
            population=models.Subquery(latest.values("population")[:1]),
            smartphone_users=models.Subquery(latest.values("smartphone_users")[:1]),
        )

    def visible_to(self, user) -> UnitQuerySet:
        """Units whose figures `user` may read (the rule is accounts.access's)."""
        from kiemdich.accounts.access import visible

        return visible(self, user)


class Unit(models.Model):
    code = models.CharField(_("code"), max_length=10, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    full_name = models.CharField(_("full name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path of codes"), max_length=40, unique=True, editable=False)
    slug = models.SlugField(_("name without accents"), max_length=100)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["parent", "code"]),
            # Prefix matches (LIKE '70/696/%') need pattern ops on PostgreSQL.
            models.Index(
                fields=["path"], name="geo_unit_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def covers(self, other: Unit) -> bool:
        """True when `other` is this unit or lies under it."""
        return other.path.startswith(self.path)

    def latest_stat(self) -> UnitStat | None:
        return self.stats.order_by("-date").first()


class UnitStat(models.Model):
    """A unit's population and smartphone users on a date (install rates are divided by these)."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="stats"
    )
    date = models.DateField(_("date"))
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    smartphone_users = models.PositiveIntegerField(_("smartphone users"), null=True, blank=True)

    class Meta:
        verbose_name = _("unit figures")
        verbose_name_plural = _("unit figures")
        ordering = ["unit", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "date"], name="geo_unitstat_unit_date"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.date}"


class ImportJob(models.Model):
    """An officials' spreadsheet import run in the background (kiemdich.geo.imports), with its
    progress for the page that follows it.

    Here, in the lowest app, because every app's importer (checkpoints, organizations, ...) may
    use it. The uploaded file waits under the data folder until the task has read it; the
    importers stay all or nothing, so a job either saved everything or nothing.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting to start")
        RUNNING = "running", _("checking the lines")
        SAVING = "saving", _("saving")
        DONE = "done", _("done")
        FAILED = "failed", _("refused")

    kind = models.CharField(_("kind"), max_length=20)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    filename = models.CharField(_("file name"), max_length=255)
    path = models.CharField(_("stored file"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("lines"), default=0)
    done = models.PositiveIntegerField(_("lines checked"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    #: [[line, message], ...] of a refused file, in line order.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    #: What is wrong with the file as a whole (not a spreadsheet, missing columns).
    file_error = models.CharField(_("file error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.filename} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0
