"""Validation every form with a commune shares (checkpoints, declarations)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Level, Unit


def commune_from_code(code: str) -> Unit:
    """The commune, ward or township with this code, or a ValidationError saying what is wrong."""
    code = (code or "").strip()
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise ValidationError(_("There is no commune with code %(code)s.") % {"code": code})
    if unit.level != Level.COMMUNE:
        raise ValidationError(
            _("%(name)s is not a commune, ward or township.") % {"name": unit.full_name}
        )
    return unit
