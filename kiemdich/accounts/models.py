"""Users with one role each, scoped to an administrative unit or an organization.

A role without its scope is meaningless (a "commune officer" of no commune would either see
nothing or, worse, everything), so `clean()` refuses such accounts before they are saved.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PROVINCE_OFFICER = "province_officer", _("province officer")
    DISTRICT_OFFICER = "district_officer", _("district officer")
    COMMUNE_OFFICER = "commune_officer", _("commune officer")
    ORG_ADMIN = "org_admin", _("organization admin")
    VENUE_OWNER = "venue_owner", _("venue owner")
    HEALTH_TRACER = "health_tracer", _("health tracer")
    HOTLINE_OPERATOR = "hotline_operator", _("hotline operator")
    CITIZEN = "citizen", _("citizen")


#: Roles scoped to an administrative unit, with the unit level each one must sit at
#: (None: any level, e.g. a tracer team working for a district or the whole province).
AREA_ROLES: dict[str, int | None] = {
    Role.PROVINCE_OFFICER: 1,
    Role.DISTRICT_OFFICER: 2,
    Role.COMMUNE_OFFICER: 3,
    Role.HEALTH_TRACER: None,
    Role.HOTLINE_OPERATOR: None,
}


#: Roles that administer an area: approve checkpoints, receive reports, set targets.
OFFICER_ROLES = frozenset({Role.PROVINCE_OFFICER, Role.DISTRICT_OFFICER, Role.COMMUNE_OFFICER})


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CITIZEN)
    unit = models.ForeignKey(
        "geo.Unit",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The administrative unit this official covers (and everything under it)."),
    )
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="admins",
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def is_officer(self) -> bool:
        """An officer of a province, district or commune: receives reports, sets targets."""
        return self.role in OFFICER_ROLES and self.unit_id is not None

    @property
    def is_area_staff(self) -> bool:
        return self.role in AREA_ROLES and self.unit_id is not None

    def clean(self) -> None:
        super().clean()
        if self.role in AREA_ROLES:
            if self.unit_id is None:
                raise ValidationError({"unit": _("This role needs an area.")})
            level = AREA_ROLES[self.role]
            if level is not None and self.unit.level != level:
                raise ValidationError(
                    {
                        "unit": _("A %(role)s must be assigned a unit of level %(level)s.")
                        % {"role": self.get_role_display(), "level": level}
                    }
                )
        if self.role == Role.ORG_ADMIN and self.organization_id is None:
            raise ValidationError({"organization": _("This role needs an organization.")})


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class AuditLog(models.Model):
    """Who read whose personal data, when and why (DESIGN.md §4). Rows are never edited."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User, verbose_name=_("official"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=40)
    subject = models.CharField(_("subject"), max_length=200)
    #: The people whose data was read (person ids), so "who read my data?" has an answer.
    subjects = models.JSONField(_("whose data"), default=list, blank=True)
    unit_code = models.CharField(_("unit"), max_length=10, blank=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit log")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.subject}"
