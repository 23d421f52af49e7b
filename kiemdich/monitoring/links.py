"""The signed link a person under monitoring reports from, without an account.

It names the monitoring, not the person, signed with the project's secret under a salt of its
own (so neither a person token nor a personal QR can be turned into it, nor it into them). It
has no expiry: it stops working when the monitoring closes, which the report page checks.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Monitoring

_SALT = "kiemdich.monitoring-report"


def report_token(monitoring: Monitoring) -> str:
    return signing.Signer(salt=_SALT).sign(str(monitoring.pk))


def report_url(monitoring: Monitoring) -> str:
    """The full link the reminder SMS carries."""
    return settings.PUBLIC_URL + reverse("monitoring:report", args=[report_token(monitoring)])


def monitoring_for_token(token: str) -> Monitoring | None:
    """The monitoring a link names, if its signature is genuine and the monitoring exists."""
    try:
        value = signing.Signer(salt=_SALT).unsign(token or "")
    except signing.BadSignature:
        return None
    if not value.isdigit():
        return None
    return Monitoring.objects.select_related("person", "commune").filter(pk=int(value)).first()
