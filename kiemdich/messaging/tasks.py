"""Sending happens in the background (django-tasks): queueing never waits for a gateway."""

from __future__ import annotations

from django_tasks import task

from . import campaigns
from .services import send_pending


@task()
def send_outbox() -> int:
    """Send until the outbox is empty, a batch at a time (a campaign queues thousands at once).

    Stops as soon as a round sends nothing (empty, or the gateway refuses everything): the
    messages left waiting are retried by the next enqueue, not hammered here.
    """
    sent = 0
    while batch := send_pending():
        sent += batch
    return sent


@task()
def send_campaign(campaign_id: int) -> dict:
    """Queue a campaign's messages (counting, for its progress bar), then send the outbox."""
    campaign = campaigns.run(campaign_id)
    send_outbox.enqueue()
    return campaigns.progress(campaign)
