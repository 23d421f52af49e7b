"""The daily report's form (the person's link, /me/, a team member's call or visit)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from kiemdich.declarations.models import Symptom

from .models import Outcome, Regime


class ReportForm(forms.Form):
    symptoms = forms.MultipleChoiceField(
        label=_("Symptoms today"),
        choices=Symptom.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Tick none if you feel well."),
    )
    temperature = forms.DecimalField(
        label=_("Temperature (°C)"),
        required=False,
        max_digits=3,
        decimal_places=1,
        min_value=Decimal("34"),
        max_value=Decimal("43"),
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "36,8"}),
    )


class TeamReportForm(ReportForm):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    reporter = forms.ChoiceField(
        label=_("How"),
        choices=[("team_call", _("phone call")), ("team_visit", _("visit"))],
        widget=forms.RadioSelect,
    )


class EnrolForm(forms.Form):
    """Enrolling by hand: the person as tracing names them, then the regime."""

    phone = forms.CharField(label=_("Phone"), required=False, max_length=20)
    id_number = forms.CharField(label=_("ID or passport number"), required=False, max_length=20)
    regime = forms.ChoiceField(label=_("Regime"), choices=Regime.choices, widget=forms.RadioSelect)
    facility = forms.IntegerField(label=_("Facility"), required=False, widget=forms.Select)
    exposure_at = forms.DateTimeField(
        label=_("Last exposure"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    team = forms.CharField(label=_("Health station or team"), required=False, max_length=120)
