"""Health declarations ("khai báo y tế") and the people who make them.

A `Person` is who a phone (through its signed person token) or a staff scanner speaks for; it
holds the latest details, because "a later declaration updates the last one". Every submission
is kept as a `Declaration` (what was declared, when, for which purpose) until the retention
purge, so tracers can see what someone said on the day they were at a venue.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.access import VisibleQuerySet, family_q


class Gender(models.TextChoices):
    MALE = "male", _("male")
    FEMALE = "female", _("female")
    OTHER = "other", _("other")


class Purpose(models.TextChoices):
    DOMESTIC = "domestic", _("Domestic travel or move")
    VISIT = "visit", _("Visit to an office, hospital or other place")
    ENTRY = "entry", _("Entry into Vietnam")


class Symptom(models.TextChoices):
    """The 14-day questions of the 2021 form, as stable codes."""

    FEVER = "fever", _("Fever")
    COUGH = "cough", _("Cough")
    SHORTNESS_OF_BREATH = "shortness_of_breath", _("Shortness of breath")
    SORE_THROAT = "sore_throat", _("Sore throat")
    LOSS_OF_TASTE_SMELL = "loss_of_taste_smell", _("Loss of taste or smell")


class PersonQuerySet(VisibleQuerySet):
    """`visible_to(user)`: officials of an area see the people who live there; `family_of(person)`:
    the members a phone's person declares for (both rules in accounts.access)."""

    def family_of(self, declarer: Person) -> PersonQuerySet:
        return self.filter(family_q(declarer))


class Person(models.Model):
    full_name = models.CharField(_("full name"), max_length=100)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices, blank=True)
    nationality = models.CharField(_("nationality"), max_length=2, default="VN")
    id_number = models.CharField(_("ID or passport number"), max_length=20, blank=True)
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    commune = models.ForeignKey(
        "geo.Unit",
        verbose_name=_("commune of residence"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    address = models.CharField(_("street address"), max_length=255, blank=True)
    #: Where the person works or studies, if they said so: organization campaigns reach them.
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: Entered by staff (no phone, or an ID-card QR), not by the person: "LoaiDinhDanh = 1".
    entered_by_staff = models.BooleanField(_("entered by staff"), default=False)
    #: The retention purge deletes a person once older than the period and left with no
    #: declaration and no scan (so a scan never has to update its person, keeping scans fast).
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            models.Index(fields=["phone"], name="person_phone"),
            models.Index(fields=["id_number"], name="person_id_number"),
        ]

    def __str__(self) -> str:
        return self.full_name


class Declaration(models.Model):
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="declarations"
    )
    #: A device's retry of the same declaration is recognised by this and not stored twice.
    client_id = models.UUIDField(_("client id"), unique=True)
    #: Sent with the person's token (a phone that had declared before): its replay answers
    #: only a request with that token, since the answer holds the token.
    with_token = models.BooleanField(_("made with the person's token"), default=True)
    #: Made from another person's phone for this one (a child, an elderly parent without a
    #: smartphone): that person sees and renews it, and nobody else without an account does.
    #: Purged with the declaration, so the family link lasts as long as what was declared.
    declared_by = models.ForeignKey(
        Person,
        verbose_name=_("declared by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="declared_for",
    )
    full_name = models.CharField(_("full name"), max_length=100)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"))
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices)
    nationality = models.CharField(_("nationality"), max_length=2, default="VN")
    id_number = models.CharField(_("ID or passport number"), max_length=20, blank=True)
    phone = models.CharField(_("phone"), max_length=16)
    commune = models.ForeignKey(
        "geo.Unit",
        verbose_name=_("commune of residence"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    address = models.CharField(_("street address"), max_length=255, blank=True)
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.DOMESTIC
    )
    symptoms = models.JSONField(_("symptoms in the last 14 days"), default=list, blank=True)
    contact_with_case = models.BooleanField(
        _("contact with a confirmed or suspected case"), default=False
    )
    travel_outbreak_area = models.BooleanField(_("travel to an outbreak area"), default=False)
    created_at = models.DateTimeField(_("declared at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("corrected at"), auto_now=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("health declaration")
        verbose_name_plural = _("health declarations")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.full_name} {self.created_at:%Y-%m-%d}"

    @property
    def has_risk(self) -> bool:
        """Anything a health worker should look at: a symptom, a contact or a trip."""
        return bool(self.symptoms) or self.contact_with_case or self.travel_outbreak_area

    def symptom_labels(self) -> list[str]:
        return [str(Symptom(code).label) for code in self.symptoms if code in Symptom.values]
