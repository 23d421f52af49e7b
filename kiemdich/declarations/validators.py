"""The checks of a person's name and ID number, shared by the declaration form (forms.py) and the
services (a visitor staff typed in), which import no form."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

#: CMND (9 digits) or CCCD (12 digits); Vietnamese passports: one letter and 7 or 8 digits.
_VN_ID = re.compile(r"^(\d{9}|\d{12}|[A-Z]\d{7,8})$")
_FOREIGN_ID = re.compile(r"^[A-Z0-9]{5,15}$")


def clean_name(value: str) -> str:
    """Letters and spaces (and the . ' - of some names), starting with a letter."""
    name = " ".join((value or "").split())
    if sum(ch.isalpha() for ch in name) < 2 or not name[0].isalpha():
        raise ValidationError(_("Enter the full name."), code="required")
    if any(ch.isdigit() for ch in name):
        raise ValidationError(_("A name has no digits."), code="invalid_name")
    if any(not (ch.isalpha() or ch in " .'-") for ch in name):
        raise ValidationError(_("A name has only letters, spaces and . ' -"), code="invalid_name")
    return name


def clean_id_number(value: str, nationality: str = "VN") -> str:
    """'001 099 012 345' -> '001099012345'; Vietnamese IDs have 9 or 12 digits."""
    number = re.sub(r"[\s.-]", "", value or "").upper()
    if not number:
        return ""
    pattern = _VN_ID if nationality == "VN" else _FOREIGN_ID
    if not pattern.match(number):
        if nationality == "VN":
            raise ValidationError(
                _(
                    "An ID number has 9 digits (CMND) or 12 digits (CCCD); a passport number "
                    "is a letter and 7 or 8 digits."
                ),
                code="invalid_id",
            )
        raise ValidationError(
            _("A passport number has 5 to 15 letters and digits."), code="invalid_id"
        )
    return number
