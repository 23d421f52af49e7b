"""Forms of the daily-report pages: the day to look at, and a unit's figures for that day."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .services import Figures, figures_key

#: Upper bound of every count: far above any province, well inside the database's integer.
MAX_COUNT = 2_000_000_000


def count_field(label, help_text="", required: bool = False) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        required=required,
        min_value=0,
        max_value=MAX_COUNT,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}),
    )


class DayForm(forms.Form):
    """Which day's reports to show (any past day: the history is kept per day)."""

    date = forms.DateField(
        label=gettext_lazy("Date"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, today: dt.date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["date"].widget.attrs.update(max=today.isoformat(), **{"aria-label": _("Date")})

    def clean_date(self) -> dt.date:
        date = self.cleaned_data["date"]
        if date > self.today:
            raise ValidationError(_("The date is in the future."))
        return date


class ReportForm(forms.Form):
    """A unit's figures for the day, prefilled with what the platform knows (or the sum of the
    communes' reports for a district), for the officer to check and correct."""

    installs = count_field(
        gettext_lazy("Installs (cumulative)"),
        gettext_lazy("People in the area who have installed the app, up to today."),
        required=True,
    )
    smartphone_users = count_field(gettext_lazy("Smartphone users"))
    venues = count_field(gettext_lazy("Checkpoints"))
    scans = count_field(gettext_lazy("Scans today"))
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    #: Shown only once figures were found in doubt (reports.services.doubts).
    confirm_implausible = forms.BooleanField(
        label=gettext_lazy("I confirm these figures"), required=False
    )
    #: The figures the warning was about (reports.figures_key): the confirmation covers those.
    confirmed_figures = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)

    #: The fields a person types figures into, in order (the confirmation is shown apart).
    FIGURE_FIELDS = ("installs", "smartphone_users", "venues", "scans", "note")

    def confirmed(self) -> bool:
        """Did the sender confirm exactly these figures after being warned about them?"""
        return bool(self.cleaned_data.get("confirm_implausible")) and self.cleaned_data.get(
            "confirmed_figures"
        ) == figures_key(self.figures())

    def figures(self) -> Figures:
        data = self.cleaned_data
        return Figures(
            installs=data["installs"],
            smartphone_users=data.get("smartphone_users"),
            venues=data.get("venues"),
            scans=data.get("scans"),
        )
