"""Checkpoints ("điểm kiểm dịch"): every place or vehicle whose QR poster visitors scan.

A checkpoint's life is a small state machine (pending → active ⇄ paused → closed; rejected;
revoked) whose transitions live in services.py. `activated_at` and `ended_at` record when it
counted as a checkpoint, so the statistics for any past date count what existed on that date.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.access import VisibleQuerySet


class Category(models.TextChoices):
    """Every kind of place the seeds (Chỉ thị 09/CT-UBND, 1687/UBND-VX) tell to register."""

    OFFICE = "office", _("Government office, agency")
    PUBLIC_SERVICE = "public_service", _("Public service centre, one-stop desk")
    SHOP = "shop", _("Shop, grocery, convenience store")
    SUPERMARKET = "supermarket", _("Supermarket, shopping centre")
    MARKET = "market", _("Traditional market")
    RESTAURANT = "restaurant", _("Restaurant, café, eatery")
    BUSINESS = "business", _("Business premises, bank, service outlet")
    FACTORY = "factory", _("Factory, enterprise, industrial park")
    HOSPITAL = "hospital", _("Hospital, clinic, health station")
    SCHOOL = "school", _("School, college, vocational training centre")
    HOTEL = "hotel", _("Hotel, guest house")
    BOARDING_HOUSE = "boarding_house", _("Boarding house (nhà trọ)")
    BUS_STATION = "bus_station", _("Bus station, stop, port")
    VEHICLE_INTERPROVINCIAL = "vehicle_interprovincial", _("Inter-provincial passenger vehicle")
    VEHICLE_OTHER = "vehicle_other", _("Other passenger or goods vehicle")
    CONTROL_POST = "control_post", _("Epidemic control post, delivery point")
    RESIDENTIAL = "residential", _("Residential area, hamlet")
    GATHERING = "gathering", _("Place of worship, event venue, crowded place")
    OTHER = "other", _("Other")


VEHICLE_CATEGORIES = frozenset({Category.VEHICLE_INTERPROVINCIAL, Category.VEHICLE_OTHER})

#: How long a visit lasts when nobody scans out, by category, in minutes (an open visit closes
#: itself after this). Officials can change them in the admin (`UsualStay`).
DEFAULT_STAY_MINUTES: dict[str, int] = {
    Category.OFFICE: 120,
    Category.PUBLIC_SERVICE: 60,
    Category.SHOP: 20,
    Category.SUPERMARKET: 60,
    Category.MARKET: 60,
    Category.RESTAURANT: 90,
    Category.BUSINESS: 60,
    Category.FACTORY: 600,
    Category.HOSPITAL: 180,
    Category.SCHOOL: 480,
    Category.HOTEL: 720,
    Category.BOARDING_HOUSE: 720,
    Category.BUS_STATION: 60,
    Category.VEHICLE_INTERPROVINCIAL: 480,
    Category.VEHICLE_OTHER: 120,
    Category.CONTROL_POST: 15,
    Category.RESIDENTIAL: 120,
    Category.GATHERING: 120,
    Category.OTHER: 60,
}
#: The longest a usual stay may be: tracing looks this far back before an exposure.
MAX_STAY_MINUTES = 720


class Status(models.TextChoices):
    PENDING = "pending", _("awaiting approval")
    ACTIVE = "active", _("active")
    PAUSED = "paused", _("paused")
    CLOSED = "closed", _("closed")
    REJECTED = "rejected", _("rejected")
    REVOKED = "revoked", _("revoked")


#: Statuses in which a poster may be printed and scanned.
PRINTABLE = frozenset({Status.ACTIVE, Status.PAUSED})


class VenueQuerySet(VisibleQuerySet):
    """`visible_to(user)`: officials their area's checkpoints; owners, their organization's
    admins and their staff the ones they run (accounts.access)."""

    def under(self, unit) -> VenueQuerySet:
        return self.filter(commune__path__startswith=unit.path)

    def printable(self) -> VenueQuerySet:
        """Checkpoints that have a poster, in the order a commune officer hands them out."""
        return (
            self.filter(status__in=PRINTABLE)
            .select_related("commune")
            .order_by("commune_id", "name", "pk")
        )


class Venue(models.Model):
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    commune = models.ForeignKey(
        "geo.Unit",
        verbose_name=_("commune"),
        on_delete=models.PROTECT,
        related_name="venues",
        limit_choices_to={"level": 3},
    )
    address = models.CharField(_("street address"), max_length=255)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="venues",
    )
    plate_number = models.CharField(_("plate number"), max_length=20, blank=True)
    route = models.CharField(_("route"), max_length=200, blank=True)
    owner = models.ForeignKey(
        "accounts.User",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="venues",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    status_note = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    activated_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("approved or rejected by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = VenueQuerySet.as_manager()

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["commune", "status"]),
            models.Index(fields=["category"]),
            models.Index(fields=["owner"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_vehicle(self) -> bool:
        return self.category in VEHICLE_CATEGORIES

    @property
    def is_printable(self) -> bool:
        return self.status in PRINTABLE


class VenueStaff(models.Model):
    """Someone the owner lets scan visitors in at their checkpoint (a guard, a receptionist):
    they open its scanner page and record staff scans there, and nothing else of it changes.

    Bound to an account that exists when it is added, not to a phone number: sign-up does not
    prove that someone owns the number they type, so a place kept for a number would go to
    whoever signed up with it first. Deleting the account removes the place."""

    venue = models.ForeignKey(
        Venue, verbose_name=_("checkpoint"), on_delete=models.CASCADE, related_name="staff"
    )
    user = models.ForeignKey(
        "accounts.User",
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="staffed_venues",
    )
    added_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("checkpoint staff member")
        verbose_name_plural = _("checkpoint staff")
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["venue", "user"], name="venue_staff_once"),
        ]

    def __str__(self) -> str:
        return f"{self.venue}: {self.user}"


class ProvincePolicy(models.Model):
    """Per-province settings officials change without a deployment."""

    province = models.OneToOneField(
        "geo.Unit",
        verbose_name=_("province"),
        primary_key=True,
        on_delete=models.CASCADE,
        limit_choices_to={"level": 1},
        related_name="policy",
    )
    venue_approval_required = models.BooleanField(
        _("new checkpoints need approval"),
        default=False,
        help_text=_(
            "If set, a checkpoint registered by its owner waits for a commune officer's approval "
            "before its poster can be printed and scanned."
        ),
    )

    class Meta:
        verbose_name = _("province policy")
        verbose_name_plural = _("province policies")

    def __str__(self) -> str:
        return str(self.province)


class UsualStay(models.Model):
    """An official's choice of the usual stay for one category, replacing the default."""

    category = models.CharField(
        _("category"), max_length=30, choices=Category.choices, primary_key=True
    )
    minutes = models.PositiveSmallIntegerField(
        _("usual stay (minutes)"),
        validators=[MinValueValidator(5), MaxValueValidator(MAX_STAY_MINUTES)],
        help_text=_("A visit with no exit scan ends this long after entry (5 to 720 minutes)."),
    )

    class Meta:
        verbose_name = _("usual stay")
        verbose_name_plural = _("usual stays")

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.minutes} min"


class SigningKey(models.Model):
    """A key that signs QR payloads. The private half is derived from KIEMDICH_QR_SIGNING_KEY
    and the key id, never stored; the public half stays here so old posters verify for as long
    as their key is not retired, even after the master secret changes."""

    kid = models.CharField(_("key id"), max_length=8, primary_key=True)
    public_key = models.BinaryField(_("public key"), max_length=32)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("QR signing key")
        verbose_name_plural = _("QR signing keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.kid
