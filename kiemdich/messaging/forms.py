"""The campaign form, shared by the page and `POST /api/v1/campaigns` (same checks, same
messages). It says what is wrong with the input; who may send where is campaigns.create's
question (a 403, not a form error)."""

from __future__ import annotations

import json
import uuid

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kiemdich.geo.models import Unit
from kiemdich.orgs.models import Organization

from . import campaigns
from .models import Campaign, CampaignKind, Channel

AUDIENCES = [
    ("unit", gettext_lazy("The people of an area")),
    ("organization", gettext_lazy("The people of an organization")),
]

#: More than this many organizations in an officer's area: the select shows the first ones by
#: name, and the others are reached by their code in the API.
MAX_ORGANIZATIONS_LISTED = 500


class CampaignForm(forms.Form):
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=gettext_lazy("Reminder"),
        choices=CampaignKind.choices,
        initial=CampaignKind.INSTALL,
        widget=forms.RadioSelect,
    )
    audience = forms.ChoiceField(
        label=gettext_lazy("Send to"),
        choices=AUDIENCES,
        required=False,
        initial="unit",
        widget=forms.RadioSelect,
    )
    unit = forms.CharField(label=gettext_lazy("Area"), required=False, max_length=10)
    organization = forms.CharField(
        label=gettext_lazy("Organization"), required=False, max_length=40
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"), choices=Channel.choices, initial=Channel.SMS
    )
    text = forms.CharField(
        label=gettext_lazy("Text"),
        required=False,
        max_length=Campaign.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Left empty: the standard text of the reminder."),
    )
    name = forms.CharField(
        label=gettext_lazy("Name in your list"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Left empty: the reminder, the area and today's date."),
    )

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if user is None:
            return  # the API: codes, no lists to pick from
        if not self.is_bound:
            self.initial["client_id"] = uuid.uuid4()
            self.initial["text"] = campaigns.default_text(CampaignKind.INSTALL, user)
            if user.unit_id:
                self.initial["unit"] = user.unit_id
        units = campaigns.units_for(user)
        if units is not None:
            base = user.unit.level
            self.fields["unit"].widget = forms.Select(
                choices=[("", "—")]
                + [
                    (u.code, "— " * (u.level - base) + u.full_name)
                    for u in units.only("code", "full_name", "level")
                ]
            )
        orgs = campaigns.organizations_for(user)
        if orgs is not None:
            orgs = orgs.only("code", "name")[:MAX_ORGANIZATIONS_LISTED]
            listed = [(o.code, o.name) for o in orgs]
            self.fields["organization"].widget = forms.Select(choices=[("", "—"), *listed])
            if len(listed) == 1 and units is None:
                self.initial["organization"] = listed[0][0]
                self.initial["audience"] = "organization"
        self.fields["text"].help_text = _(
            "Left empty: the standard text of the reminder. Your own: at least %(min)s characters."
        ) % {"min": Campaign.MIN_TEXT}
        self.fields["text"].widget.attrs.update(
            {
                "maxlength": Campaign.MAX_TEXT,
                "data-defaults": json.dumps(campaigns.default_texts(user), ensure_ascii=False),
            }
        )

    @property
    def offers_units(self) -> bool:
        """An organization admin sends to their organization only: no area to choose."""
        return (
            self.user is None
            or campaigns.units_for(self.user) is not None
            or (campaigns.organizations_for(self.user) is None)
        )

    @property
    def offers_organizations(self) -> bool:
        widget = self.fields["organization"].widget
        return not isinstance(widget, forms.Select) or len(widget.choices) > 1

    def clean_text(self) -> str:
        """A typed text says enough to act on; empty is the standard reminder."""
        text = self.cleaned_data["text"]
        length = len(" ".join(text.split()))
        if 0 < length < Campaign.MIN_TEXT:
            raise forms.ValidationError(
                _(
                    "Too short to be a reminder (%(length)s characters): write at least "
                    "%(min)s, or leave the text empty for the standard reminder."
                )
                % {"length": length, "min": Campaign.MIN_TEXT}
            )
        return text

    def clean_unit(self) -> Unit | None:
        code = self.cleaned_data["unit"].strip()
        if not code:
            return None
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(
                _("No administrative unit with code %(code)s.") % {"code": code}
            )
        return unit

    def clean_organization(self) -> Organization | None:
        code = self.cleaned_data["organization"].strip()
        if not code:
            return None
        organization = Organization.objects.filter(code=code).first()
        if organization is None:
            raise forms.ValidationError(_("No organization with code %(code)s.") % {"code": code})
        return organization

    def clean(self) -> dict:
        data = super().clean()
        unit, organization = data.get("unit"), data.get("organization")
        if self.has_error("unit") or self.has_error("organization"):
            return data
        audience = data.get("audience")
        if not audience:
            if unit and organization:
                raise forms.ValidationError(_("Choose an area or an organization, not both."))
            audience = "organization" if organization else "unit"
        if audience == "unit":
            if unit is None:
                self.add_error("unit", _("Choose the area whose people get the reminder."))
            data["organization"] = None
        else:
            if organization is None:
                self.add_error(
                    "organization", _("Choose the organization whose people get the reminder.")
                )
            data["unit"] = None
        return data
