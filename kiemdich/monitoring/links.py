"""The signed link a person under monitoring reports from, without an account.

It names the monitoring and its link version, not the person, signed with the project's secret
under a salt of its own (so neither a person token nor a personal QR can be turned into it, nor
it into them). It has no expiry: it stops working when the monitoring closes, which the report
page checks, or when the team sends a new one (`services.send_new_link` bumps
`Monitoring.link_version`), for an SMS that reached the wrong hands.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Monitoring

_SALT = "kiemdich.monitoring-report"


def report_token(monitoring: Monitoring) -> str:
    return signing.Signer(salt=_SALT).sign(f"{monitoring.pk}.{monitoring.link_version}")


def report_url(monitoring: Monitoring) -> str:
    """The full link the reminder SMS carries."""
    return settings.PUBLIC_URL + reverse("monitoring:report", args=[report_token(monitoring)])


@dataclass(frozen=True)
class Link:
    monitoring: Monitoring
    #: False for a link a newer one replaced: it must not be used, nor say whose it was.
    current: bool


def read_link(token: str) -> Link | None:
    """The monitoring a link names, if its signature is genuine and the monitoring exists.
    A link signed before versions existed (the monitoring's id alone) is version 1."""
    try:
        value = signing.Signer(salt=_SALT).unsign(token or "")
    except signing.BadSignature:
        return None
    pk, _dot, version = value.partition(".")
    if not pk.isdigit() or not (version or "1").isdigit():
        return None
    monitoring = Monitoring.objects.select_related("person", "commune").filter(pk=int(pk)).first()
    if monitoring is None:
        return None
    return Link(monitoring, int(version or "1") == monitoring.link_version)


def monitoring_for_token(token: str) -> Monitoring | None:
    """The monitoring a current link names; None for a forged or replaced one."""
    link = read_link(token)
    return link.monitoring if link is not None and link.current else None
