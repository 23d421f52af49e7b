"""A public intake and status API compatible with Open311 GeoReport v2, in JSON and XML.

`/open311/v2/services.{json,xml}`: the categories; `requests.{json,xml}`: GET the reports shown
publicly (their reporters agreed), POST a new one; `requests/{number}.{json,xml}`: one report's
status by its number. Nothing personal is ever answered (public.py). A new report needs the
commune in `address_id` (its official code) besides GeoReport's `service_code` and
`description`; `phone` is optional and `attribute[public]=true` lets it be shown. Posts count in
the `hotline-report` rate-limit group, as the public form does; GETs in `hotline-status`, as
the status page does. Errors follow GeoReport:
`[{"code": status, "description": ...}]` with a 4xx status.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from xml.etree import ElementTree as ET

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from kiemdich.ratelimit import RateLimited, hit

from . import services
from .models import Category, Channel, Ticket
from .public import find, public_view, with_updated

#: The most requests one GET lists (GeoReport's default window is 90 days, 1,000 requests).
LIST_LIMIT = 1000


def _stamp(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


#: What XML 1.0 cannot carry at all, escaped or not (most control characters, surrogates,
#: U+FFFE/U+FFFF). ElementTree writes them as they are, and the document no longer parses: a
#: reporter who typed a vertical tab would break every client's list.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(root: str, item: str, rows: list[dict]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        element = ET.SubElement(top, item)
        for key, value in row.items():
            child = ET.SubElement(element, key)
            if value is not None:
                text = str(value).lower() if isinstance(value, bool) else str(value)
                child.text = _NOT_XML.sub("", text)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


def _answer(fmt: str, root: str, item: str, rows: list[dict], status: int = 200) -> HttpResponse:
    if fmt == "xml":
        body = _xml(root, item, rows)
        return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
    return HttpResponse(
        json.dumps(rows, ensure_ascii=False),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def _error(fmt: str, status: int, description: str) -> HttpResponse:
    return _answer(fmt, "errors", "error", [{"code": status, "description": description}], status)


def _request_row(ticket: Ticket) -> dict:
    view = public_view(ticket)
    return {
        "service_request_id": view["number"],
        "status": "open" if view["open"] else "closed",
        "status_notes": str(view["status_label"]),
        "service_name": str(view["category_label"]),
        "service_code": view["category"],
        "description": view["description"],
        "agency_responsible": view["agency"],
        "service_notice": "",
        "requested_datetime": _stamp(view["received_at"]),
        "updated_datetime": _stamp(view["updated_at"]),
        "expected_datetime": _stamp(view["due_at"]),
        "address": view["location"],
        "address_id": view["commune_code"],
    }


@require_GET
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    rows = [
        {
            "service_code": code,
            "service_name": str(label),
            "description": str(label),
            "metadata": False,
            "type": "realtime",
            "keywords": "",
            "group": str(_("Hotline 1022")),
        }
        for code, label in Category.choices
    ]
    return _answer(fmt, "services", "service", rows)


def _date(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    value = dt.datetime.fromisoformat(text)
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _public_list(request: HttpRequest, fmt: str) -> HttpResponse:
    tickets = with_updated(
        Ticket.objects.filter(public=True, scrubbed=False).select_related("commune", "agency")
    )
    numbers = request.GET.get("service_request_id")
    if numbers:
        tickets = tickets.filter(number__in=[n.strip().upper() for n in numbers.split(",")])
    if request.GET.get("service_code"):
        tickets = tickets.filter(category__in=request.GET["service_code"].split(","))
    try:
        start, end = _date(request.GET.get("start_date")), _date(request.GET.get("end_date"))
        end = end or timezone.now()
        start = start or end - dt.timedelta(days=90)
    except (ValueError, OverflowError):  # OverflowError: 90 days before the year 1
        return _error(fmt, 400, _("start_date and end_date are ISO 8601 date-times."))
    tickets = tickets.filter(received_at__gte=start, received_at__lte=end)
    status = request.GET.get("status")
    if status in ("open", "closed"):
        resolved = tickets.filter(status="resolved")
        tickets = resolved if status == "closed" else tickets.exclude(status="resolved")
    rows = [_request_row(t) for t in tickets.order_by("-received_at")[:LIST_LIMIT]]
    return _answer(fmt, "service_requests", "request", rows)


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    limited = _over_limit(request, fmt, "hotline-report")
    if limited is not None:
        return limited
    data = request.POST
    report = services.Report(
        channel=Channel.WEB,
        category=data.get("service_code", ""),
        commune_code=data.get("address_id", ""),
        location=data.get("address_string", "")[:300],
        description=data.get("description", "")[:5000],
        caller_phone=data.get("phone", "")[:30],
        public=data.get("attribute[public]", "").lower() in ("true", "1", "yes"),
    )
    try:
        ticket = services.receive(report)
    except services.TicketFieldError as exc:
        names = {"category": "service_code", "commune_code": "address_id", "caller_phone": "phone"}
        return _error(fmt, 400, f"{names.get(exc.field, exc.field)}: {exc.message}")
    rows = [
        {
            "service_request_id": ticket.number,
            "service_notice": _("Keep this number to follow your report."),
            "account_id": None,
        }
    ]
    return _answer(fmt, "service_requests", "request", rows, status=201)


def _over_limit(request: HttpRequest, fmt: str, group: str) -> HttpResponse | None:
    """The Open311 429 once the request is over `group`'s rate: reports count in
    `hotline-report` with the public form; lookups in `hotline-status`, as on /1022/status/
    (receipt numbers are random, but one address should not try them at will, nor ask for
    1,000 reports a second)."""
    try:
        hit(request, [group])
    except RateLimited as exc:
        response = _error(fmt, 429, str(exc.detail))
        response["Retry-After"] = str(exc.retry_after)
        return response
    return None


@csrf_exempt
@require_http_methods(["GET", "POST"])
def request_list(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    return _over_limit(request, fmt, "hotline-status") or _public_list(request, fmt)


@require_GET
def request_detail(request: HttpRequest, number: str, fmt: str) -> HttpResponse:
    limited = _over_limit(request, fmt, "hotline-status")
    if limited is not None:
        return limited
    ticket = find(number)
    if ticket is None:
        return _error(fmt, 404, _("No report has this number."))
    return _answer(fmt, "service_requests", "request", [_request_row(ticket)])
