"""The API's pages: `?page=N&page_size=M` -> `{"items": [...], "count": total}`."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination


class Page(PageNumberPagination):
    """100 per page; bounded so a huge page number is a 422, not a database overflow."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1, le=1000)

    def __init__(self, **kwargs) -> None:
        super().__init__(page_size=100, max_page_size=1000, **kwargs)


class AuditedPage(Page):
    """A page of personal data. The endpoint leaves `request.audit_page(items)`, which logs the
    read; the page calls it with the rows it returns, so the log names who is on that page."""

    def paginate_queryset(self, queryset, pagination, request: HttpRequest, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        page["items"] = list(page["items"])
        request.audit_page(page["items"])
        return page
