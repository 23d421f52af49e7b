"""Sending happens in the background (django-tasks): queueing never waits for a gateway."""

from __future__ import annotations

from django_tasks import task

from .services import send_pending


@task()
def send_outbox() -> int:
    return send_pending()
