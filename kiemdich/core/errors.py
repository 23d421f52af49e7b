"""Refusals: one base class, one status, one stable code, one message for people.

A service raises a `DomainError` subclass (`venues.services.TransitionError`,
`checkins.services.ScanRefused`, ...) and knows nothing of HTTP requests; the API answers any of
them with one handler (kiemdich/api.py): `{"detail": error.detail, "code": error.code}` with
`error.status`. Pages catch the ones they show next to a form themselves.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the domain refuses: `status` (HTTP), `code` (stable, for programs), `message`
    (for people). `detail` is what the API sends as `detail`: the message, unless the error
    carries a structured one (a 422's `[{"loc": [...], "msg": ...}]`)."""

    def __init__(self, status: int, code: str, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self._detail = detail

    @property
    def detail(self) -> Any:
        return self.message if self._detail is None else self._detail


def field_errors(field: str | None, message: str) -> list[dict]:
    """The 422 detail naming the body field to fix (`None`: the body as a whole)."""
    loc = ["body"] if field is None else ["body", field]
    return [{"loc": loc, "msg": str(message)}]


class FieldError(DomainError):
    """A 422 `invalid` that names the body field to fix, in the shape of ninja's own 422s."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(422, "invalid", str(message), field_errors(field, message))
        self.field = field


class ApiError(DomainError):
    """A refusal decided in an API call itself: `ApiError(status, detail, code)`."""

    def __init__(self, status_code: int, detail: Any, code: str) -> None:
        super().__init__(status_code, code, str(detail), detail)

    @property
    def status_code(self) -> int:
        return self.status


def error_body(detail: Any, code: str) -> dict:
    """Every error the API sends: `{"detail": ..., "code": ...}` (DESIGN.md §3)."""
    return {"detail": detail, "code": code}


def invalid_form(form, names: dict[str, str] | None = None) -> ApiError:
    """A 422 listing a Django form's messages by API field name (`names` renames fields), so
    the API says exactly what the page says next to the same field."""
    names = names or {}
    detail = [
        {"loc": ["body", names.get(field, field)], "msg": str(message)}
        for field, messages in form.errors.items()
        for message in messages
    ]
    return ApiError(422, detail, "invalid")
