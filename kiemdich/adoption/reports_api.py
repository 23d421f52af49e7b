"""Placeholder: filled in by the reports work of issue 6."""

from ninja import Router

router = Router(tags=["reports"])
