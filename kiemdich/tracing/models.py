"""Confirmed cases (F0) and the people traced from them (F1, F2), with the evidence of each link.

A `Contact` is one person per case: the strongest link wins (the lowest degree, then the longest
overlap), so nobody is listed twice and a cycle (F2 back to F1 or F0) adds nothing. Its evidence
says where and when the person overlapped whom, so a tracer can explain every call.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.access import VisibleQuerySet

#: Default infectious window: from this long before onset (or the positive test)...
BEFORE_ONSET = dt.timedelta(days=2)
#: ...until isolation; without one, this long after confirmation.
AFTER_CONFIRMATION = dt.timedelta(days=1)


class CaseQuerySet(VisibleQuerySet):
    """`visible_to(user)`: the cases of people living in the user's area, or recorded there."""


class Case(models.Model):
    person = models.ForeignKey(
        "declarations.Person",
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="cases",
    )
    #: Where the case is handled: the person's commune, else the recording tracer's unit.
    unit = models.ForeignKey(
        "geo.Unit", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"))
    onset_at = models.DateTimeField(_("symptom onset"), null=True, blank=True)
    infectious_from = models.DateTimeField(_("infectious from"))
    infectious_to = models.DateTimeField(_("infectious until (isolation)"))
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    traced_at = models.DateTimeField(_("last traced at"), null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("confirmed case (F0)")
        verbose_name_plural = _("confirmed cases (F0)")
        ordering = ["-confirmed_at"]

    def __str__(self) -> str:
        return f"F0 #{self.pk}"


class Status(models.TextChoices):
    NOT_REACHED = "not_reached", _("not reached")
    REACHED = "reached", _("reached")
    ISOLATING = "isolating", _("isolating")
    NEGATIVE = "negative", _("tested negative")
    POSITIVE = "positive", _("tested positive")


class Evidence(models.TextChoices):
    """How a contact was found: both at a checkpoint by their QR scans, or by Bluetooth (a
    warned phone that shared it heard the case's keys, which the case consented to link)."""

    QR = "qr", _("QR scans")
    BLUETOOTH = "bluetooth", _("Bluetooth")


class ContactQuerySet(VisibleQuerySet):
    """`visible_to(user)`: each commune its own list; a district or province the lists under it."""


class Contact(models.Model):
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="contacts"
    )
    person = models.ForeignKey(
        "declarations.Person",
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    degree = models.PositiveSmallIntegerField(_("degree"))  # 1: F1, 2: F2
    #: Whom they met: the F0 for an F1, the F1 for an F2.
    source = models.ForeignKey(
        "declarations.Person",
        verbose_name=_("met"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    evidence = models.CharField(
        _("evidence"), max_length=10, choices=Evidence.choices, default=Evidence.QR
    )
    #: The checkpoint both scanned at; none for a contact found by Bluetooth.
    venue = models.ForeignKey(
        "venues.Venue",
        verbose_name=_("checkpoint"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    overlap_from = models.DateTimeField(_("together from"))
    overlap_to = models.DateTimeField(_("together until"))
    #: Where the contact is followed up: their commune of residence, else the venue's.
    commune = models.ForeignKey(
        "geo.Unit", verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NOT_REACHED
    )
    notes = models.TextField(_("notes"), blank=True)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["degree", "commune_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "person"], name="contact_case_person"),
        ]
        indexes = [models.Index(fields=["case", "degree", "commune"], name="contact_list")]

    def __str__(self) -> str:
        return f"F{self.degree} of case {self.case_id}"

    @property
    def met_at(self) -> str:
        """Where they met, for lists, files and the API: the checkpoint, or "Bluetooth"."""
        if self.venue_id is None:
            return str(Evidence(self.evidence).label)
        return self.venue.name

    @property
    def overlap(self) -> dt.timedelta:
        return self.overlap_to - self.overlap_from
