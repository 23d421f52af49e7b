"""What the public sees of a ticket: its status by number, and nothing personal.

Written once for the status page and the Open311 API: never the caller's phone; the
description and the location only when the reporter agreed to the report being shown (and the
retention purge has not removed them).
"""

from __future__ import annotations

from django.db.models import Max, QuerySet

from .models import OPEN_STATUSES, Ticket


def with_updated(tickets: QuerySet) -> QuerySet:
    """`tickets` with the time of their last event read in the same query (`last_event_at`):
    Open311's list shows up to 1,000, and one more query for each made a public GET cost a
    thousand."""
    return tickets.annotate(last_event_at=Max("events__at"))


def public_view(ticket: Ticket) -> dict:
    shown = ticket.public and not ticket.scrubbed
    if hasattr(ticket, "last_event_at"):
        last = ticket.last_event_at
    else:  # a ticket just filed, read one by one
        last = ticket.events.aggregate(at=Max("at"))["at"]
    updated = last or ticket.received_at
    return {
        "number": ticket.number,
        "open": ticket.status in OPEN_STATUSES,
        "status": ticket.status,
        "status_label": ticket.get_status_display(),
        "category": ticket.category,
        "category_label": ticket.get_category_display(),
        "commune_code": ticket.commune_id,
        "commune": ticket.commune.name,
        "agency": ticket.agency.name if ticket.agency else "",
        "received_at": ticket.received_at,
        "due_at": ticket.due_at,
        "updated_at": updated,
        "reopened": ticket.reopened,
        "description": ticket.description if shown else "",
        "location": ticket.location if shown else "",
    }


def find(number: str) -> Ticket | None:
    """The ticket of a receipt number as a caller types it (any case, spaces and dashes)."""
    cleaned = "".join(ch for ch in (number or "").upper() if ch.isalnum())[:16]
    if not cleaned:
        return None
    return (
        with_updated(Ticket.objects.select_related("commune", "agency"))
        .filter(number=cleaned)
        .first()
    )
