"""Placeholder: filled in by the organizations work of issue 6."""

from ninja import Router

router = Router(tags=["organizations"])
