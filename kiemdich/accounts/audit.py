"""Audit records for every read of personal data by an official (DESIGN.md §4).

Call `record_read` (or `record_reads` for many at once) in the same code path that returns the
data, before returning it, so a read that happened is never missing from the log. Each record
says who read, what (`subject`), whose data (`subjects`: person ids), for which unit and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.http import HttpRequest

from .models import AuditLog


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


@dataclass(frozen=True)
class Read:
    """One read to log: what was read, whose data, in which unit, why."""

    subject: str
    subjects: Iterable[int] = field(default_factory=tuple)
    unit: object = None
    reason: str = ""
    action: str = "view"


def _row(actor, read: Read, ip: str | None) -> AuditLog:
    unit = read.unit
    return AuditLog(
        actor=actor if getattr(actor, "pk", None) else None,
        action=read.action,
        subject=read.subject[:200],
        subjects=sorted({int(pk) for pk in read.subjects if pk is not None}),
        unit_code=getattr(unit, "code", unit or "") or "",
        reason=read.reason[:200],
        ip=ip,
    )


def record_reads(actor, reads: Iterable[Read], request: HttpRequest | None = None) -> None:
    """Log many reads in one statement (a batch of staff scans, an export)."""
    rows = [_row(actor, read, client_ip(request)) for read in reads]
    if rows:
        AuditLog.objects.bulk_create(rows)


def record_read(
    actor,
    subject: str,
    *,
    subjects: Iterable[int] = (),
    action: str = "view",
    unit=None,
    reason: str = "",
    request: HttpRequest | None = None,
) -> AuditLog:
    """Log that `actor` read `subject` (e.g. "contact 42", "case 7 contacts export")."""
    row = _row(actor, Read(subject, subjects, unit, reason, action), client_ip(request))
    row.save()
    return row
