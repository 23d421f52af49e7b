"""Vietnamese phone numbers, validated and stored one way (E.164), shown the local way."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def normalize_phone(text: str) -> str:
    """'0912 345 678', '+84912345678', '84-912-345-678' -> '+84912345678'; else ValidationError."""
    raw = (text or "").strip()
    if not raw:
        raise ValidationError(_("Enter a phone number."), code="required")
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number) or number.country_code != 84:
        raise ValidationError(
            _("%(value)s is not a valid Vietnamese phone number (e.g. 0912 345 678).")
            % {"value": raw[:30]},
            code="invalid_phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """'+84912345678' -> '091 234 56 78' (national format), unchanged if not parseable."""
    try:
        number = phonenumbers.parse(e164, "VN")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
