"""Forms of the tracers' pages: recording a case, and one contact's follow-up."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Status

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


class LocalDateTimeField(forms.DateTimeField):
    """A datetime-local input, read in the site's time zone (Asia/Ho_Chi_Minh)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT)

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("input_formats", [LOCAL_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])
        super().__init__(**kwargs)


class CaseForm(forms.Form):
    """Who the case is (one of phone, ID number, personal QR) and the infectious window."""

    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    id_number = forms.CharField(
        label=_("ID or passport number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    person_qr = forms.CharField(
        label=_("Text of the personal QR code"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    confirmed_at = LocalDateTimeField(
        label=_("Confirmed positive at"),
        help_text=_("Date and time of the positive test, Vietnam time."),
    )
    onset_at = LocalDateTimeField(
        label=_("Symptom onset"), required=False, help_text=_("Leave empty if no symptoms.")
    )
    infectious_from = LocalDateTimeField(
        label=_("Infectious from"),
        required=False,
        help_text=_("Left empty: 2 days before symptom onset, or before the positive test."),
    )
    infectious_to = LocalDateTimeField(
        label=_("Infectious until (isolation)"),
        required=False,
        help_text=_("Left empty: 1 day after the positive test."),
    )

    #: Where find_person's errors go ("person": none of the three was given).
    PERSON_FIELDS = ("phone", "id_number", "person_qr")


class ContactForm(forms.Form):
    """One contact's follow-up (services.update_contact writes it)."""

    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
