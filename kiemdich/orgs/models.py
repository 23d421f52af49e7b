"""Organizations (agencies, businesses, schools, factories, hospitals).

An organization admin's role is scoped to one organization; the organization sits in a commune,
so officials of that area can see it too.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


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


class OrganizationQuerySet(models.QuerySet):
    def visible_to(self, user) -> "OrganizationQuerySet":
        from kiemdich.accounts.access import area_q

        q = area_q(user, "unit__path")
        if user.is_authenticated and user.organization_id:
            q |= models.Q(pk=user.organization_id)
        return self.filter(q)


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
