"""Audit records for every read of personal data by an official (DESIGN.md §4).

Call `record_read` (or `record_reads` for many at once) in the same code path that returns the
data, before returning it, so a read that happened is never missing from the log. Each record
says who read, what (`subject`), whose data (`subjects`: person ids), for which unit and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest

from .models import AuditLog


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    from kiemdich.clientip import client_ip as address  # behind trusted proxies, the client's

    return address(request.META) or None


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


def common_unit(codes: Iterable[str | None]) -> str:
    """The code of the smallest unit holding every unit of `codes` ("" if they share none): the
    unit of a read that spans several communes, for a reader whose own area is everything."""
    codes = {code for code in codes if code}
    if len(codes) <= 1:
        return next(iter(codes), "")
    paths = apps.get_model("geo", "Unit").objects.filter(code__in=codes).values_list("path")
    shared = None
    for (path,) in paths:
        parts = path.strip("/").split("/")
        if shared is None:
            shared = parts
        else:
            n = 0
            while n < min(len(shared), len(parts)) and shared[n] == parts[n]:
                n += 1
            shared = shared[:n]
    return shared[-1] if shared else ""


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


class AuditedAdmin(admin.ModelAdmin):
    """An admin page of personal data: it shows only what the gate lets its user read
    (`visible_to`), and every list page and record opened is logged with the people on it."""

    #: The field holding the person whose data a row is (None: the row names no person).
    audit_person_field: str | None = None
    #: The attribute path to the code of the unit a row belongs to (e.g. "venue.commune_id").
    audit_unit_field: str | None = None

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).visible_to(request.user)

    def _people(self, rows) -> list[int]:
        field = self.audit_person_field
        return [getattr(row, field) for row in rows] if field else []

    def _unit(self, rows) -> str:
        if not self.audit_unit_field:
            return ""
        codes = []
        for row in rows:
            for name in self.audit_unit_field.split("."):
                row = getattr(row, name, None)
            codes.append(row)
        return common_unit(codes)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            rows = list(changelist.result_list)
            record_read(
                request.user,
                f"admin {self.opts.label_lower} list ({len(rows)} rows)",
                subjects=self._people(rows),
                unit=self._unit(rows),
                reason="admin list",
                request=request,
            )
        return response

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        row = getattr(response, "context_data", {}).get("original")
        if row is not None:
            record_read(
                request.user,
                f"admin {self.opts.label_lower} {row.pk}",
                subjects=self._people([row]),
                unit=self._unit([row]),
                reason="admin record",
                request=request,
            )
        return response
