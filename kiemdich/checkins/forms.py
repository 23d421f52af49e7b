"""Forms of the check-in by phone code (phone_views): the phone staff type, the code the visitor
reads out, and who of a shared phone's people is at the checkpoint."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy, pgettext_lazy

from kiemdich.phones import normalize_phone

from .phonecheck import CODE_DIGITS

DIRECTIONS = [
    ("", gettext_lazy("Automatic")),
    ("in", pgettext_lazy("scan direction", "In")),
    ("out", pgettext_lazy("scan direction", "Out")),
]


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("The visitor's phone number"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
        help_text=gettext_lazy("Any phone that receives SMS, the one they declared with."),
    )

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data["phone"])


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("The code the visitor received"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9 ]*",
                "maxlength": 12,
            }
        ),
        help_text=gettext_lazy("%(digits)d digits, in the SMS the visitor just got.")
        % {"digits": CODE_DIGITS},
    )
    direction = forms.ChoiceField(
        label=gettext_lazy("Direction"),
        choices=DIRECTIONS,
        required=False,
        widget=forms.RadioSelect,
    )

    def clean_direction(self) -> str | None:
        return self.cleaned_data.get("direction") or None


class PickForm(forms.Form):
    """Who of the phone's people is here (a grandmother and the grandchild she declared for)."""

    person_ids = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Who is at the checkpoint?"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Pick who is at the checkpoint.")},
    )
    direction = forms.ChoiceField(choices=DIRECTIONS, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, people=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person_ids"].choices = [(c.person.pk, label(c)) for c in people]

    def clean_direction(self) -> str | None:
        return self.cleaned_data.get("direction") or None


def label(candidate) -> str:
    """A person to pick, as a scanner shows them: the name masked, the year of birth."""
    shown = candidate.shown
    return f"{shown.name} ({shown.birth_year})" if shown.birth_year else shown.name
