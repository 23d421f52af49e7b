"""The audit records that the tracing pages and the API both write, written once."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest

from kiemdich.accounts.audit import record_read

from .models import Case


def case_recorded(request: HttpRequest, case: Case) -> None:
    """A tracer recorded a case: they named its F0."""
    record_read(
        request.user,
        f"case {case.pk}",
        subjects=[case.person_id],
        action="record",
        unit=case.unit,
        request=request,
    )


def contacts_warned(request: HttpRequest, case: Case, people: Iterable[int]) -> None:
    """A tracer had the case's contacts warned by SMS: who was messaged, and by whom."""
    people = list(people)
    if people:
        record_read(
            request.user,
            f"case {case.pk} contacts warned",
            subjects=people,
            action="notify",
            unit=case.unit,
            reason="contacts warned by SMS",
            request=request,
        )
