"""Audit records for every read of personal data by an official (DESIGN.md §4).

Call `record_read` in the same code path that returns the data, before returning it, so a read
that happened is never missing from the log.
"""

from __future__ import annotations

from django.http import HttpRequest

from .models import AuditLog


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    from kiemdich.clientip import client_ip as address  # behind trusted proxies, the client's

    return address(request.META) or None


def record_read(
    actor,
    subject: str,
    *,
    action: str = "view",
    unit=None,
    reason: str = "",
    request: HttpRequest | None = None,
) -> AuditLog:
    """Log that `actor` read `subject` (e.g. "contact 42", "case 7 contacts export")."""
    return AuditLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        subject=subject[:200],
        unit_code=getattr(unit, "code", unit or "") or "",
        reason=reason[:200],
        ip=client_ip(request),
    )
