"""The form of issuing a verification code: the symptom onset, optional."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    symptom_onset = forms.DateField(
        label=_("Symptom onset (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Without it, the case's onset if recorded. It weighs the keys' risk."),
    )
