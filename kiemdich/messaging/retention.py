"""The outbox past the retention period (kiemdich.retention runs this).

Every message holds a phone number and a text about that person ("you may have been in close
contact with a COVID-19 case at ..."), and a campaign's messages are its recipients: all go once
older than the period, whatever their state. A campaign keeps how many of its purged messages
were sent or failed, so its figures stay.
"""

from __future__ import annotations

from collections import Counter

from django.db.models import F

from kiemdich.retention import Expiry

from .models import Campaign, Message, State


def _delete(ids: list) -> None:
    sent: Counter[int] = Counter()
    failed: Counter[int] = Counter()
    for key, state in Message.objects.filter(pk__in=ids).values_list("key", "state"):
        prefix, _sep, rest = key.partition(":")
        campaign_id = rest.partition(":")[0]
        if prefix == "campaign" and campaign_id.isdigit():
            if state == State.SENT:
                sent[int(campaign_id)] += 1
            elif state == State.FAILED:
                failed[int(campaign_id)] += 1
    for campaign_id in sent.keys() | failed.keys():
        Campaign.objects.filter(pk=campaign_id).update(
            purged_sent=F("purged_sent") + sent[campaign_id],
            purged_failed=F("purged_failed") + failed[campaign_id],
        )
    Message.objects.filter(pk__in=ids).delete()


EXPIRIES = [
    Expiry(
        "messages",
        Message,
        lambda cutoff: Message.objects.filter(created_at__lt=cutoff),
        order=40,
        delete=_delete,
    )
]
