"""Validation of a health declaration, shared by the page, the self check-in page and the API,
so a person gets the same clear message next to the same field wherever they typed it."""

from __future__ import annotations

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kiemdich.geo.forms import commune_from_code
from kiemdich.geo.models import Unit
from kiemdich.phones import normalize_phone

from .models import Declaration, Gender, Purpose, Symptom
from .validators import clean_id_number, clean_name

#: ISO 3166 alpha-2 codes we accept as nationalities (every region libphonenumber knows).
COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)


class DeclarationForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=100)
    birth_year = forms.IntegerField(label=gettext_lazy("Year of birth"))
    gender = forms.ChoiceField(label=gettext_lazy("Gender"), choices=Gender.choices)
    nationality = forms.CharField(
        label=gettext_lazy("Nationality"), max_length=2, initial="VN", required=False
    )
    id_number = forms.CharField(
        label=gettext_lazy("ID card (CMND/CCCD) or passport number"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("Children without an ID card may leave this empty."),
    )
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=20)
    commune_code = forms.CharField(
        label=gettext_lazy("Commune code"),
        max_length=10,
        help_text=gettext_lazy("Pick the province, district and commune where you live."),
    )
    address = forms.CharField(
        label=gettext_lazy("House number, street, hamlet"), max_length=255, required=False
    )
    purpose = forms.ChoiceField(
        label=gettext_lazy("Purpose"),
        choices=Purpose.choices,
        initial=Purpose.DOMESTIC,
        required=False,
    )
    symptoms = forms.MultipleChoiceField(
        label=gettext_lazy("In the last 14 days, have you had any of these?"),
        choices=Symptom.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    contact_with_case = forms.BooleanField(
        label=gettext_lazy(
            "In the last 14 days, were you in contact with a confirmed or suspected case?"
        ),
        required=False,
    )
    travel_outbreak_area = forms.BooleanField(
        label=gettext_lazy("In the last 14 days, did you go to an area with an outbreak?"),
        required=False,
    )

    def clean_full_name(self) -> str:
        return clean_name(self.cleaned_data["full_name"])

    def clean_birth_year(self) -> int:
        year = self.cleaned_data["birth_year"]
        this_year = timezone.localdate().year
        if not 1900 <= year <= this_year:
            raise ValidationError(
                _("Enter a year of birth between 1900 and %(year)s.") % {"year": this_year},
                code="invalid_year",
            )
        return year

    def clean_nationality(self) -> str:
        code = (self.cleaned_data.get("nationality") or "VN").strip().upper()
        if code not in COUNTRIES:
            raise ValidationError(
                _("%(value)s is not a country code (e.g. VN, KH, US).") % {"value": code[:5]},
                code="invalid_country",
            )
        return code

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data["phone"])

    def clean_commune_code(self) -> Unit:
        return commune_from_code(self.cleaned_data["commune_code"])

    def clean_address(self) -> str:
        return " ".join(self.cleaned_data["address"].split())

    def clean_purpose(self) -> str:
        return self.cleaned_data.get("purpose") or Purpose.DOMESTIC

    def clean(self) -> dict:
        data = super().clean()
        if "id_number" in data and "nationality" in data:
            try:
                data["id_number"] = clean_id_number(data["id_number"], data["nationality"])
            except ValidationError as exc:
                self.add_error("id_number", exc)
        return data

    @classmethod
    def initial_from(cls, declaration: Declaration) -> dict:
        """The form's values for correcting (or repeating) an earlier declaration."""
        from kiemdich.phones import display_phone

        return {
            "full_name": declaration.full_name,
            "birth_year": declaration.birth_year,
            "gender": declaration.gender,
            "nationality": declaration.nationality,
            "id_number": declaration.id_number,
            "phone": display_phone(declaration.phone),
            "commune_code": declaration.commune_id,
            "address": declaration.address,
            "purpose": declaration.purpose,
            "symptoms": declaration.symptoms,
            "contact_with_case": declaration.contact_with_case,
            "travel_outbreak_area": declaration.travel_outbreak_area,
        }


class FamilyDeclarationForm(DeclarationForm):
    """A declaration made for a family member from one's own phone: the same questions, about
    them, and a phone that may stay empty (a child has none: the declarer's is the one to call)."""

    phone = forms.CharField(
        label=gettext_lazy("Their phone"),
        max_length=20,
        required=False,
        help_text=gettext_lazy(
            "Their own phone, even a basic one: staff can check them in with a code sent to it. "
            "Leave it empty if they have none: your phone number is kept instead."
        ),
    )

    def clean_phone(self) -> str:
        typed = self.cleaned_data["phone"].strip()
        return normalize_phone(typed) if typed else ""
