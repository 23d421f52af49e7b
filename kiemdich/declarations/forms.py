"""Validation of a health declaration, shared by the page, the self check-in page and the API,
so a person gets the same clear message next to the same field wherever they typed it."""

from __future__ import annotations

import unicodedata

import phonenumbers
from babel import Locale, UnknownLocaleError
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from kiemdich.geo.forms import commune_from_code
from kiemdich.geo.models import Unit
from kiemdich.phones import normalize_phone

from .models import Declaration, Gender, Purpose, Symptom
from .validators import clean_id_number, clean_name

#: ISO 3166 alpha-2 codes we accept as nationalities (every region libphonenumber knows).
COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)
#: Listed first: nearly everyone who declares here.
HOME_COUNTRY = "VN"


def _territories(language: str | None) -> dict[str, str]:
    try:
        return Locale.parse((language or "vi").replace("-", "_")).territories
    except (UnknownLocaleError, ValueError):
        return Locale("vi").territories


def _sort_key(name: str) -> str:
    """Alphabetical the way a Vietnamese reader looks (Đ with D, accents after the letter)."""
    plain = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in plain if not unicodedata.combining(c)).casefold()


def country_choices() -> list[tuple[str, str]]:
    """(code, name) of every accepted nationality in the page's language (Babel's names),
    Việt Nam first, then alphabetically."""
    names = _territories(get_language())
    others = sorted(
        ((code, names.get(code, code)) for code in COUNTRIES if code != HOME_COUNTRY),
        key=lambda choice: _sort_key(choice[1]),
    )
    return [(HOME_COUNTRY, names.get(HOME_COUNTRY, HOME_COUNTRY)), *others]


def country_code(value: str) -> str | None:
    """The code of a nationality given as a code ("VN", "vn") or a name in Vietnamese or
    English ("Việt Nam", "Vietnam"), or None."""
    text = " ".join(str(value or "").split())
    if text.upper() in COUNTRIES:
        return text.upper()
    wanted = _sort_key(text)
    for language in ("vi", "en"):
        for code, name in _territories(language).items():
            if code in COUNTRIES and _sort_key(name) == wanted:
                return code
    return None


class NationalityField(forms.ChoiceField):
    """A list of countries that stores the ISO code; API clients keep sending "VN"."""

    def __init__(self, **kwargs) -> None:
        super().__init__(choices=country_choices, **kwargs)

    def to_python(self, value) -> str:
        text = super().to_python(value)
        return (country_code(text) or text) if text else ""

    def valid_value(self, value: str) -> bool:
        return value in COUNTRIES


class YesNoField(forms.NullBooleanField):
    """A yes/no question answered with one of two buttons, Có or Không, none chosen at first;
    required, so nobody is taken to have said no. Takes "yes"/"no" from the page and
    true/false from the API."""

    widget = forms.RadioSelect(choices=[("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))])

    def to_python(self, value) -> bool | None:
        if value in ("yes", "no"):
            return value == "yes"
        return super().to_python(value)

    def prepare_value(self, value):
        if value is True:
            return "yes"
        if value is False:
            return "no"
        return value

    def validate(self, value) -> None:
        if value is None and self.required:
            raise ValidationError(self.error_messages["required"], code="required")


def _capitalized(choices) -> list[tuple[str, str]]:
    return [(value, capfirst(label)) for value, label in choices]


class DeclarationForm(forms.Form):
    """One declaration; `short` is the self check-in page's, which does not ask the purpose
    (a visit to the checkpoint that was scanned)."""

    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=100)
    birth_year = forms.IntegerField(label=gettext_lazy("Year of birth"))
    gender = forms.ChoiceField(
        label=gettext_lazy("Gender"),
        choices=_capitalized(Gender.choices),
        widget=forms.RadioSelect,
    )
    nationality = NationalityField(
        label=gettext_lazy("Nationality"),
        initial=HOME_COUNTRY,
        required=False,  # API clients may leave it out: Việt Nam
        error_messages={
            "invalid_choice": gettext_lazy("%(value)s is not a country code (e.g. VN, KH, US).")
        },
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
        label=gettext_lazy("Purpose"), choices=Purpose.choices, widget=forms.RadioSelect
    )
    symptoms = forms.MultipleChoiceField(
        label=gettext_lazy("In the last 14 days, have you had any of these?"),
        choices=Symptom.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    contact_with_case = YesNoField(
        label=gettext_lazy(
            "In the last 14 days, were you in contact with a confirmed or suspected case?"
        ),
    )
    travel_outbreak_area = YesNoField(
        label=gettext_lazy("In the last 14 days, did you go to an area with an outbreak?"),
    )

    def __init__(self, *args, short: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if short:
            self.fields["purpose"].required = False

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
        return self.cleaned_data.get("nationality") or HOME_COUNTRY

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
