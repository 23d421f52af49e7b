"""Placeholder: filled in by the campaigns work of issue 6."""

from ninja import Router

router = Router(tags=["campaigns"])
