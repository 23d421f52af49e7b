"""Senders: how a message leaves. Production plugs in a carrier's SMS or Zalo gateway by
setting KIEMDICH_MESSAGE_SENDER to a class with `send(message) -> None` (raise to fail).

A sender that changes the text on its way (a gateway that puts the brand name registered with the
carrier before it, or an opt-out line after it) also has `render(body, channel) -> str`, the
text as it arrives: the campaign preview shows that, and counts its SMS parts on it
(services.as_delivered). The senders here send the text as it is."""

from __future__ import annotations

import logging

from .models import Message

log = logging.getLogger("kiemdich.messaging")


class ConsoleSender:
    """Writes each message to the log: the default, for demos and development."""

    def send(self, message: Message) -> None:
        log.warning("%s to %s: %s", message.channel, message.to, message.body)


class DatabaseSender:
    """Sends nothing: the outbox row is the record (tests, and sites without a gateway yet)."""

    def send(self, message: Message) -> None:
        return None
