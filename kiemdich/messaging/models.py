"""The outbox: every SMS, Zalo or push message the platform sends, kept until it is sent.

Writers only add rows (services.queue); a task hands them to the configured sender. A `key`
makes a message idempotent: the same warning to the same person is queued once, whoever asks.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.access import VisibleQuerySet


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    ZALO = "zalo", "Zalo"
    PUSH = "push", _("app notification")


class State(models.TextChoices):
    QUEUED = "queued", _("waiting")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class Message(models.Model):
    """One text in the outbox. Its phone and text are personal data: only the superuser reads
    them (admin), and the retention purge deletes them."""

    key = models.CharField(_("key"), max_length=120, unique=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    to = models.CharField(_("to"), max_length=40)
    body = models.TextField(_("text"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "created_at"], name="message_queue")]

    def __str__(self) -> str:
        return f"{self.channel} {self.to}: {self.body[:40]}"


class CampaignKind(models.TextChoices):
    INSTALL = "install", _("install reminder")
    DECLARATION = "declaration", _("declaration reminder")


class CampaignStatus(models.TextChoices):
    QUEUED = "queued", _("waiting to start")
    RUNNING = "running", _("queuing messages")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class CampaignQuerySet(VisibleQuerySet):
    """`visible_to(user)`: officers the campaigns of their area (to its units or its
    organizations), an organization's admins those of their organization (accounts.access)."""


class Campaign(models.Model):
    """One reminder sent to everyone of an area or an organization, once per phone.

    Its messages live in the outbox under the keys `campaign:<id>:<phone>`, so re-running the
    campaign (a worker restarted, a retry) never sends anyone a second copy. `total` and
    `queued` are written by the task as it goes, for the progress bar; what was sent is read
    from the messages themselves.
    """

    #: Longest text accepted. The standard texts stay under 160 characters; with Vietnamese
    #: diacritics an SMS holds 67-70 characters, so the form counts parts as the official types.
    MAX_TEXT = 320
    #: Shortest text typed that is sent (an empty one is the standard text): under this it is a
    #: slip ("x", "ok"), not a reminder anyone can act on.
    MIN_TEXT = 20

    client_id = models.UUIDField(_("client id"), unique=True, null=True, blank=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=CampaignKind.choices)
    text = models.CharField(_("text"), max_length=MAX_TEXT)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    unit = models.ForeignKey(
        "geo.Unit",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=8, choices=CampaignStatus.choices, default=CampaignStatus.QUEUED
    )
    total = models.PositiveIntegerField(_("recipients"), default=0)
    queued = models.PositiveIntegerField(_("queued"), default=0)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    #: Messages sent / failed that the retention purge has deleted since (their recipients are
    #: personal data): the progress counts them on, so a campaign's figures never go down.
    purged_sent = models.PositiveIntegerField(_("sent (purged)"), default=0)
    purged_failed = models.PositiveIntegerField(_("failed (purged)"), default=0)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="campaign_one_audience",
                condition=(
                    models.Q(unit__isnull=False, organization__isnull=True)
                    | models.Q(unit__isnull=True, organization__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def key_prefix(self) -> str:
        return f"campaign:{self.pk}:"

    @property
    def audience(self):
        """The unit or the organization the campaign is sent to."""
        return self.unit if self.unit_id else self.organization
