"""Organizations (agencies, businesses, schools, factories, hospitals).

An organization admin's role is scoped to one organization; the organization sits in a commune,
so officials of that area can see it too.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.access import VisibleQuerySet


class OrgKind(models.TextChoices):
    AGENCY = "agency", _("government agency")
    BUSINESS = "business", _("business")
    SCHOOL = "school", _("school")
    FACTORY = "factory", _("factory")
    HOSPITAL = "hospital", _("hospital or clinic")
    UNION = "union", _("mass organization")
    OTHER = "other", _("other")


class Group(models.TextChoices):
    """The headcount groups the seeds set targets for (001 §4-§10: 100% of civil servants and of
    health staff, 80% of workers, 100% of teachers and upper-secondary pupils, >=30% of
    lower-secondary pupils). Health staff are the `staff` of a hospital; civil servants the
    `staff` of an agency."""

    STAFF = "staff", _("staff")
    WORKERS = "workers", _("workers")
    TEACHERS = "teachers", _("teachers")
    UPPER_SECONDARY = "upper_secondary", _("upper-secondary pupils")
    LOWER_SECONDARY = "lower_secondary", _("lower-secondary pupils")
    MEMBERS = "members", _("members")


class OrganizationQuerySet(VisibleQuerySet):
    """`visible_to(user)`: the organizations of the user's area, and their own."""


class Organization(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=OrgKind.choices)
    unit = models.ForeignKey(
        "geo.Unit", verbose_name=_("administrative unit"), on_delete=models.PROTECT
    )

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Headcount(models.Model):
    """How many people of one group an organization has, and how many of them installed the app.

    The headcount comes from the organization lists officials import; `installed` is what the
    organization's admin reports (people install on their own phones, so only the organization
    knows who did). One row per group the organization actually has: a school without
    upper-secondary pupils has no such row rather than a 0 that would read as "0% installed".
    """

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="headcounts",
    )
    group = models.CharField(_("group"), max_length=20, choices=Group.choices)
    headcount = models.PositiveIntegerField(_("headcount"))
    installed = models.PositiveIntegerField(_("installed"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("headcount")
        verbose_name_plural = _("headcounts")
        ordering = ["organization", "group"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "group"], name="headcount_org_group"),
            models.CheckConstraint(
                condition=models.Q(installed__lte=models.F("headcount")),
                name="headcount_installed_lte_headcount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.group}: {self.installed}/{self.headcount}"
