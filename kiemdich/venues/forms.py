"""Validation of a checkpoint's details, shared by the registration page, the API and imports,
so a person gets the same clear message next to the same field wherever they typed it."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kiemdich.geo.forms import commune_from_code
from kiemdich.geo.models import Unit
from kiemdich.orgs.models import Organization
from kiemdich.phones import normalize_phone

from .models import VEHICLE_CATEGORIES, Category, Venue

#: Vietnamese plates: "93B-012.34", "51F12345", "29LD-123.45" (spaces and dots optional).
_PLATE = re.compile(r"^(\d{2}[A-Z]{1,2}\d??)-?(\d{3})\.?(\d{1,2})$")


def normalize_plate(text: str) -> str:
    """One spelling per plate ("93b 01234" -> "93B-012.34"), so searches and lists agree."""
    match = _PLATE.match(re.sub(r"\s+", "", text or "").upper())
    if not match:
        raise ValidationError(
            _("%(value)s is not a Vietnamese plate number (e.g. 93B-012.34).")
            % {"value": text[:20]}
        )
    series, head, tail = match.groups()
    number = f"{head}.{tail}" if len(tail) == 2 else head + tail
    return f"{series}-{number}"


class VenueForm(forms.ModelForm):
    commune = forms.CharField(
        label=gettext_lazy("Commune code"),
        max_length=10,
        help_text=gettext_lazy("Pick the province, district and commune, or type its code."),
    )
    organization = forms.CharField(
        label=gettext_lazy("Organization code"), max_length=40, required=False
    )

    class Meta:
        model = Venue
        fields = [
            "name",
            "category",
            "commune",
            "address",
            "contact_phone",
            "organization",
            "plate_number",
            "route",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["commune"] = self.instance.commune_id
            self.initial["organization"] = (
                self.instance.organization.code if self.instance.organization else ""
            )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if len(name) < 2:
            raise ValidationError(_("Enter the checkpoint's name."))
        return name

    def clean_address(self) -> str:
        return " ".join(self.cleaned_data["address"].split())

    def clean_commune(self) -> Unit:
        return commune_from_code(self.cleaned_data["commune"])

    def clean_contact_phone(self) -> str:
        return normalize_phone(self.cleaned_data["contact_phone"])

    def clean_organization(self) -> Organization | None:
        code = self.cleaned_data["organization"].strip()
        if not code:
            return None
        org = Organization.objects.filter(code=code).first()
        if org is None:
            raise ValidationError(
                _("There is no organization with code %(code)s.") % {"code": code}
            )
        return org

    def clean(self) -> dict:
        data = super().clean()
        if data.get("category") in VEHICLE_CATEGORIES:
            if not data.get("plate_number"):
                self.add_error("plate_number", _("A vehicle needs its plate number."))
            else:
                try:
                    data["plate_number"] = normalize_plate(data["plate_number"])
                except ValidationError as exc:
                    self.add_error("plate_number", exc)
            if not (data.get("route") or "").strip():
                self.add_error("route", _("A vehicle needs its route (e.g. Bù Đăng - TP.HCM)."))
        else:
            data["plate_number"] = ""
            data["route"] = ""
        return data


def category_label(code: str) -> str:
    return str(Category(code).label)
