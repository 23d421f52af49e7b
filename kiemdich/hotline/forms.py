"""The hotline's forms: an operator's intake, a citizen's report (with its challenge), the
agency's and the hotline's steps on a ticket, a routing rule."""

from __future__ import annotations

import secrets

from django import forms
from django.core import signing
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Agency, Category, Channel

#: A challenge is answered within this many seconds of being shown.
CHALLENGE_MAX_AGE = 3600
_CHALLENGE_SALT = "kiemdich.hotline.challenge"


def new_challenge() -> tuple[str, str]:
    """(question, signed token): a small sum a person works out at a glance and a script has
    to be written for; the token carries the numbers and a nonce, signed and timed, so it works
    without JavaScript and nothing is stored until it is answered (`claim_challenge`)."""
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    token = signing.dumps([a, b, secrets.token_hex(8)], salt=_CHALLENGE_SALT, compress=True)
    return f"{a} + {b}", token


def _challenge(token: str) -> tuple[int, str] | None:
    try:
        a, b, nonce = signing.loads(token, salt=_CHALLENGE_SALT, max_age=CHALLENGE_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return int(a) + int(b), str(nonce)


def challenge_answer(token: str) -> int | None:
    found = _challenge(token)
    return found[0] if found else None


def claim_challenge(token: str) -> bool:
    """Use a challenge up: True the first time, False after. A solved token would otherwise
    file report after report for its hour (a script solves once, then replays); the mark is
    kept in the shared cache for that hour, then the signature's age refuses it anyway."""
    found = _challenge(token)
    return found is not None and cache.add(
        f"hotline-challenge:{found[1]}", True, CHALLENGE_MAX_AGE + 60
    )


class ReportFields(forms.Form):
    """What every report says: its category, commune, place and description."""

    category = forms.ChoiceField(label=_("What is it about?"), choices=Category.choices)
    commune_code = forms.CharField(
        label=_("Commune code"),
        max_length=10,
        help_text=_("Pick the province, district and commune it is about."),
    )
    location = forms.CharField(
        label=_("Where exactly (village, street, place)"), max_length=300, required=False
    )
    description = forms.CharField(
        label=_("What happened"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


class IntakeForm(ReportFields):
    """An operator logging a call: the caller may stay anonymous."""

    channel = forms.ChoiceField(
        label=_("Channel"), choices=Channel.choices, initial=Channel.CALL, widget=forms.RadioSelect
    )
    caller_phone = forms.CharField(
        label=_("Caller's phone (optional)"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    received_at = forms.DateTimeField(
        label=_("Call came in at (if not just now)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    public = forms.BooleanField(
        label=_("The caller agrees it may be shown publicly"), required=False
    )

    field_order = [
        "channel",
        "caller_phone",
        "category",
        "commune_code",
        "location",
        "description",
        "received_at",
        "public",
    ]

    def clean_received_at(self):
        value = self.cleaned_data.get("received_at")
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value


class PublicReportForm(ReportFields):
    """A citizen's report on the public form."""

    phone = forms.CharField(
        label=_("Your phone (optional, if the agency may call you back)"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    public = forms.TypedChoiceField(
        label=_("May your report be shown publicly (without your phone)?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    answer = forms.IntegerField(
        label=_("Answer"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    challenge = forms.CharField(widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        token = data.get("challenge", "")
        expected = challenge_answer(token)
        if expected is None:
            self.add_error("answer", _("The question has expired: answer the new one."))
        elif data.get("answer") is not None and data["answer"] != expected:
            self.add_error("answer", _("That is not the right answer."))
        elif data.get("answer") is not None and not claim_challenge(token):
            self.add_error("answer", _("The question has expired: answer the new one."))
        return data


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReassignForm(NoteForm):
    agency = forms.ModelChoiceField(label=_("Send to"), queryset=Agency.objects.none())

    def __init__(self, *args, agencies=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if agencies is not None:
            self.fields["agency"].queryset = agencies


class VenueForm(forms.Form):
    venue = forms.IntegerField(label=_("Checkpoint number"), min_value=1)


class CaseForm(forms.Form):
    """A tracer turning a suspected case into a tracing case: who, and when confirmed."""

    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    id_number = forms.CharField(label=_("ID number"), max_length=20, required=False)
    confirmed_at = forms.DateTimeField(
        label=_("Confirmed at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean_confirmed_at(self):
        value = self.cleaned_data["confirmed_at"]
        return timezone.make_aware(value) if timezone.is_naive(value) else value


class RuleForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    unit_code = forms.CharField(label=_("Area code (province, district or commune)"), max_length=10)
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.none())

    def __init__(self, *args, agencies=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if agencies is not None:
            self.fields["agency"].queryset = agencies


class StatsForm(forms.Form):
    unit = forms.CharField(label=_("Area code"), max_length=10, required=False)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
