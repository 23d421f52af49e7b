"""Senders: how a message leaves. Production plugs in a carrier's SMS or Zalo gateway by
setting KIEMDICH_MESSAGE_SENDER to a class with `send(message) -> None` (raise to fail)."""

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
