"""The hotline's personal data past the retention period (kiemdich.retention runs these).

A ticket closed and received before the cutoff loses what identifies anyone: the caller's
phone, the description and the location are emptied (`scrubbed`), and its history (the notes
officials wrote) is deleted. The ticket row itself stays, with its category, commune, agency,
times and outcome, so the statistics count it as before. A ticket still open is kept whole
until it is resolved.
"""

from __future__ import annotations

from kiemdich.retention import Expiry

from .models import OPEN_STATUSES, Ticket, TicketEvent


def _closed_before(cutoff):
    return Ticket.objects.filter(received_at__lt=cutoff).exclude(status__in=OPEN_STATUSES)


def _scrub(ids: list) -> None:
    Ticket.objects.filter(pk__in=ids).update(
        caller_phone="", description="", location="", scrubbed=True
    )


EXPIRIES = [
    Expiry(
        "hotline ticket history",
        TicketEvent,
        lambda cutoff: TicketEvent.objects.filter(ticket__in=_closed_before(cutoff)),
        order=40,
    ),
    Expiry(
        "hotline tickets' personal data",
        Ticket,
        lambda cutoff: _closed_before(cutoff).filter(scrubbed=False),
        order=41,
        delete=_scrub,
    ),
]
