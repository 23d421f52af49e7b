"""Scans at checkpoints ("lượt vào ra") and the daily counts the statistics read.

One `Checkin` is one visit: the entry scan creates it, the exit scan closes it. Until then its
`t_out` is the venue's usual stay after entry (or the person's next entry elsewhere), marked
`t_out_auto`, so every visit has a bounded end and tracing can query a bounded time window.
Devices send a client-generated UUID with every scan (entry: `client_id`, exit: `client_id_out`)
so a retry never duplicates.
`ScanDaily` keeps per-commune, per-day counts; it is written in the same transaction as the
check-ins, survives the retention purge of the check-ins themselves, and turns a year of
statistics into a sum over a few thousand rows instead of a count over millions.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.access import VisibleQuerySet
from kiemdich.venues.models import MAX_STAY_MINUTES


class Method(models.TextChoices):
    SELF = "self", _("scanned by the visitor")
    STAFF = "staff", _("scanned by staff")
    MANUAL = "manual", _("entered by staff")
    #: A visitor without a smartphone, found by their phone number and confirmed by the code
    #: sent to it (checkins.phonecheck): checked in with the declaration they made before.
    PHONE = "phone", _("confirmed by a code sent to the phone")


def end_bound(t_in: dt.datetime, t_out: dt.datetime | None) -> dt.datetime:
    """The least `Checkin.t_out_max` of a visit: its end, or its entry plus the longest stay
    when the end is unknown."""
    return t_out or t_in + dt.timedelta(minutes=MAX_STAY_MINUTES)


class EndBoundField(models.DateTimeField):
    """`Checkin.t_out_max`: filled in on every insert through the ORM (bulk_create too), and
    raised on a save that moves the end past it (`end_bound`)."""

    def pre_save(self, model_instance, add: bool):
        bound = getattr(model_instance, self.attname)
        end = end_bound(model_instance.t_in, model_instance.t_out)
        if bound is None or bound < end:
            setattr(model_instance, self.attname, end)
        return getattr(model_instance, self.attname)


class Checkin(models.Model):
    client_id = models.UUIDField(_("client id"), unique=True)
    # The foreign keys get no index of their own: (venue, t_in) and (person, t_in) below serve
    # those lookups, and every index costs each of the millions of inserts (bench/).
    # Nor do venue and person get a foreign-key constraint: its check locks the venue's and the
    # person's row for every scan, a quarter of PostgreSQL's time on a batch (bench/). The rule
    # holds all the same, by triggers on the two tables whose rows go away (migration 0003): a
    # venue with check-ins is never deleted, and deleting people empties their check-ins' person
    # after waiting for the scans being stored; scans check that the person still exists
    # (`services`).
    venue = models.ForeignKey(
        "venues.Venue",
        verbose_name=_("checkpoint"),
        on_delete=models.PROTECT,
        db_index=False,
        db_constraint=False,
    )
    person = models.ForeignKey(
        "declarations.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="checkins",
        db_index=False,
        db_constraint=False,
    )
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    t_in = models.DateTimeField(_("entry"))
    t_out = models.DateTimeField(_("exit"), null=True, blank=True)
    t_out_auto = models.BooleanField(
        _("exit estimated"),
        default=False,
        help_text=_("No exit scan yet: the exit is the venue's usual stay after entry."),
    )
    # The tracing index holds this bound of the visit's end, not `t_out` itself: ending a visit
    # at the person's next entry (most scans end one) lowers `t_out` only, so that update
    # changes no index and PostgreSQL makes it in place (a HOT update, with the room the table's
    # fillfactor keeps; bench/). An exit scan sets both. Tracing picks candidates by the bound
    # in the index, then checks `t_out` in the row.
    t_out_max = EndBoundField(
        _("latest exit"),
        editable=False,  # kept by pre_save: forms never ask for it
        help_text=_("The visit ends by then: its exit when stored or scanned out."),
    )
    client_id_out = models.UUIDField(_("exit client id"), null=True, blank=True)
    source_app = models.CharField(_("source app"), max_length=40, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("received"), auto_now_add=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-t_in"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(t_out__isnull=True) | models.Q(t_out__lte=models.F("t_out_max")),
                name="checkin_t_out_within_bound",
            ),
            # Only exits carry one: a partial index costs entries nothing.
            models.UniqueConstraint(
                fields=["client_id_out"],
                condition=models.Q(client_id_out__isnull=False),
                name="checkin_client_id_out",
            ),
        ]
        indexes = [
            # Time-window queries by venue (tracing: who was there with a case, DESIGN.md §5).
            models.Index(fields=["venue", "t_in", "t_out_max"], name="checkin_venue_t_in"),
            # A person's visits: closing the previous one, their own history, a case's places.
            models.Index(fields=["person", "t_in"], name="checkin_person_t_in"),
            # Retention purge and "scans in the last 7 days".
            models.Index(fields=["t_in"], name="checkin_t_in"),
        ]

    def __str__(self) -> str:
        return f"{self.venue_id} {self.t_in:%Y-%m-%d %H:%M}"

    @property
    def exit_ahead(self) -> bool:
        """The visit has no exit scan and its estimated end is still to come: pages say "not
        out yet" rather than show an end in the future."""
        return self.t_out_auto and self.t_out is not None and self.t_out > timezone.now()


class ScanDaily(models.Model):
    """Number of check-ins per commune and local day (Asia/Ho_Chi_Minh)."""

    commune = models.ForeignKey(
        "geo.Unit", verbose_name=_("commune"), on_delete=models.CASCADE, related_name="+"
    )
    date = models.DateField(_("date"))
    scans = models.PositiveIntegerField(_("scans"), default=0)

    class Meta:
        verbose_name = _("daily scan count")
        verbose_name_plural = _("daily scan counts")
        constraints = [
            models.UniqueConstraint(fields=["commune", "date"], name="scandaily_commune_date"),
        ]
        indexes = [models.Index(fields=["date", "commune"], name="scandaily_date_commune")]

    def __str__(self) -> str:
        return f"{self.commune_id} {self.date}: {self.scans}"


class PhoneCheckQuerySet(VisibleQuerySet):
    """`visible_to(user)`: a code's check is seen by the staff account that asked for it only
    (accounts.access): the phone number it was sent to is personal data."""


class PhoneCheck(models.Model):
    """A visitor without a smartphone being checked in by their phone number: staff typed the
    number, a code went to it through the outbox (if anyone declared with it), and the visitor
    reads the code out. Only a hash of the code is kept; it expires after `CODE_MINUTES` and
    after `MAX_ATTEMPTS` wrong tries (checkins.phonecheck). Nothing about the phone's people is
    shown before the code is confirmed."""

    #: Made here for the scans of this check: each person's scan has a client id derived from it,
    #: so a double tap or a resent form stores nobody twice.
    client_id = models.UUIDField(_("client id"), unique=True)
    venue = models.ForeignKey(
        "venues.Venue", verbose_name=_("checkpoint"), on_delete=models.CASCADE, related_name="+"
    )
    staff = models.ForeignKey(
        "accounts.User",
        verbose_name=_("staff"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    phone = models.CharField(_("phone"), max_length=16)
    #: HMAC of the code (with SECRET_KEY and this row's client id): the database never holds
    #: a code that works.
    code_hash = models.CharField(_("code hash"), max_length=64)
    #: Whether a code was sent (someone declared with the phone). Never shown: the page says the
    #: same either way, so staff cannot learn whether a number is known.
    sent = models.BooleanField(_("code sent"), default=False)
    attempts = models.PositiveSmallIntegerField(_("wrong codes"), default=0)
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    #: The people checked in with it (ids), once done; then it can be used no more.
    checked_in = models.JSONField(_("checked in"), default=list, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    objects = PhoneCheckQuerySet.as_manager()

    class Meta:
        verbose_name = _("check-in by phone code")
        verbose_name_plural = _("check-ins by phone code")

    def __str__(self) -> str:
        return f"{self.venue_id} {self.created_at:%Y-%m-%d %H:%M}"
