"""The outbox: every SMS, Zalo or push message the platform sends, kept until it is sent.

Writers only add rows (services.queue); a task hands them to the configured sender. A `key`
makes a message idempotent: the same warning to the same person is queued once, whoever asks.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    ZALO = "zalo", "Zalo"
    PUSH = "push", _("app notification")


class State(models.TextChoices):
    QUEUED = "queued", _("waiting")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class Message(models.Model):
    key = models.CharField(_("key"), max_length=120, unique=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    to = models.CharField(_("to"), max_length=40)
    body = models.TextField(_("text"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "created_at"], name="message_queue")]

    def __str__(self) -> str:
        return f"{self.channel} {self.to}: {self.body[:40]}"
