"""Queueing and sending messages; the only code that writes the outbox."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Channel, Message, State

#: A message that failed this often stays failed (an operator can retry it in the admin).
MAX_ATTEMPTS = 5


def queue(key: str, to: str, body: str, channel: str = Channel.SMS) -> tuple[Message, bool]:
    """Add a message unless one with this key exists; (message, whether it is new)."""
    try:
        with transaction.atomic():
            return Message.objects.create(key=key, to=to, body=body, channel=channel), True
    except IntegrityError:
        return Message.objects.get(key=key), False


def queue_many(rows: Iterable[tuple[str, str, str, str]]) -> None:
    """Add many messages (key, to, body, channel) in one statement; keys already in the outbox
    are skipped, so a batch run twice queues nothing the second time."""
    Message.objects.bulk_create(
        [Message(key=key, to=to, body=body, channel=channel) for key, to, body, channel in rows],
        ignore_conflicts=True,
    )


def sender():
    return import_string(settings.MESSAGE_SENDER)()


def send_pending(limit: int = 500) -> int:
    """Hand waiting messages to the sender, oldest first; returns how many were sent."""
    backend, sent = sender(), 0
    with transaction.atomic():
        batch = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(state=State.QUEUED)
            .order_by("created_at")[:limit]
        )
        for message in batch:
            message.attempts += 1
            try:
                backend.send(message)
            except Exception as exc:
                message.error = str(exc)[:300]
                if message.attempts >= MAX_ATTEMPTS:
                    message.state = State.FAILED
            else:
                message.state, message.sent_at, message.error = State.SENT, timezone.now(), ""
                sent += 1
            message.save(update_fields=["attempts", "error", "state", "sent_at"])
    return sent
