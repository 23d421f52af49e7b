"""Placeholder while the API is written."""

from ninja import Router

router = Router(tags=["adoption"])
installs = Router(tags=["installs"])
