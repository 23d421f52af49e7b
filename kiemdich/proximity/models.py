"""The key server's store: diagnosis keys confirmed cases uploaded (GAEN), kept 14 days.

A key is a random 16-byte daily Temporary Exposure Key; alone it names nobody, and the server
keeps nothing that links it to the case or the phone that uploaded it (the verification
certificate that allowed the upload is checked and dropped). What is kept is what an export
file carries (`exportfile.ExportKey`) plus the hour it arrived, which decides the export file
it is published in: files are cut by arrival hour, never by the key's own day, so a file never
tells when a case was confirmed more precisely than the hour.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DiagnosisKey(models.Model):
    key_data = models.BinaryField(_("key"), max_length=16, unique=True)
    rolling_start = models.PositiveIntegerField(_("rolling start interval"))
    rolling_period = models.PositiveSmallIntegerField(_("rolling period"), default=144)
    transmission_risk = models.PositiveSmallIntegerField(_("transmission risk"), default=0)
    report_type = models.PositiveSmallIntegerField(_("report type"), default=1)
    days_since_onset = models.SmallIntegerField(_("days since onset"), null=True, blank=True)
    #: The start of the hour the key arrived in (UTC): the export file it belongs to.
    received_hour = models.DateTimeField(_("received (hour)"), db_index=True)

    class Meta:
        verbose_name = _("diagnosis key")
        verbose_name_plural = _("diagnosis keys")
        indexes = [models.Index(fields=["rolling_start"], name="diagnosis_key_start")]

    def __str__(self) -> str:
        return f"{bytes(self.key_data).hex()[:8]}… @{self.rolling_start}"


class SigningKey(models.Model):
    """A P-256 key export files are signed with, known to phones by id and version.

    Nothing secret is stored: the private key is derived from the master secret
    (settings.PROXIMITY_SIGNING_SECRET) and this row's random salt (`signing.private_key`), as
    the venues' QR keys are, so a copy of the database cannot sign a file. The public key is
    kept to publish and to check the derivation still gives it (a changed secret is refused,
    not silently signed with). A new key signs from `active_from`, after phones have had time
    to fetch it; an old one stays published while a served file is signed by it, then is
    retired (`retired_at`).
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    key_id = models.CharField(_("key id"), max_length=64)
    salt = models.BinaryField(_("derivation salt"), max_length=32)
    public_key_pem = models.TextField(_("public key (PEM)"))
    created_at = models.DateTimeField(_("created"))
    active_from = models.DateTimeField(_("signs from"))
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        verbose_name = _("export signing key")
        verbose_name_plural = _("export signing keys")
        ordering = ["version"]

    def __str__(self) -> str:
        return f"{self.key_id} {self.version_label}"

    @property
    def version_label(self) -> str:
        """verification_key_version as written in files and published: v1, v2, ..."""
        return f"v{self.version}"


class ExportFile(models.Model):
    """One published export file: the keys that arrived in one hour, padded with decoys.

    The file itself is on disk (`publishing.export_dir()`); the row says what it holds in
    counts only (which keys are decoys is never kept) and whether it is still served: a file
    leaves the index and the disk once every key in it is older than 14 days (`withdrawn_at`).
    """

    region = models.CharField(_("region"), max_length=16)
    start = models.DateTimeField(_("hour from"))
    end = models.DateTimeField(_("hour to"))
    name = models.CharField(_("file name"), max_length=64)
    signing_key = models.ForeignKey(
        SigningKey,
        on_delete=models.PROTECT,
        related_name="files",
        verbose_name=_("signing key"),
    )
    real_keys = models.PositiveIntegerField(_("uploaded keys"))
    total_keys = models.PositiveIntegerField(_("keys with decoys"))
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256 digest"), max_length=64)
    #: When the newest key in the file stops being valid: the file is served 14 days past it.
    keys_until = models.DateTimeField(_("keys valid until"))
    published_at = models.DateTimeField(_("published"))
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        verbose_name = _("export file")
        verbose_name_plural = _("export files")
        ordering = ["region", "start"]
        constraints = [
            models.UniqueConstraint(fields=["region", "start"], name="export_file_one_per_hour")
        ]

    def __str__(self) -> str:
        return f"{self.region}/{self.name}"


class ExportRun(models.Model):
    """One run of the export publisher, for the officials' status page: what it did or why not."""

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    files_written = models.PositiveIntegerField(_("files written"), default=0)
    files_withdrawn = models.PositiveIntegerField(_("files withdrawn"), default=0)
    keys_deleted = models.PositiveIntegerField(_("expired keys deleted"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("export run")
        verbose_name_plural = _("export runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}"


class TestType(models.TextChoices):
    """What the case's test said; a verification code is issued for confirmed cases only
    (the reference server also knows "likely" and "negative", which this province does not
    publish)."""

    CONFIRMED = "confirmed", _("confirmed")


class VerificationCode(models.Model):
    """A one-time code a health tracer gave a confirmed case, and what the phone did with it.

    Only HMACs of the codes are stored (`verification.code_hash`, keyed with SECRET_KEY): a
    copy of the table gives nobody a code to claim. The short code (8 digits) is read out on
    the phone within 15 minutes, the long one (16 characters) sent in a link, valid 24 hours;
    claiming either claims both. The same row then records the token (`verify`) and the
    certificate (`certificate`) the phone exchanged it for, each once, so a code, a token or
    a certificate cannot be used twice.
    """

    code_hash = models.CharField(_("short code (HMAC)"), max_length=64, unique=True)
    long_code_hash = models.CharField(_("long code (HMAC)"), max_length=64, unique=True)
    #: The area whose daily quota the code counts in: the case's, else the tracer's.
    unit = models.ForeignKey(
        "geo.Unit", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    #: The case the code was issued from (none for a code issued by hand). Consented uploads
    #: link their keys to it; it goes with the case.
    case = models.ForeignKey(
        "tracing.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    issued_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("issued by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    test_type = models.CharField(
        _("test type"), max_length=12, choices=TestType.choices, default=TestType.CONFIRMED
    )
    symptom_onset = models.DateField(_("symptom onset"), null=True, blank=True)
    created_at = models.DateTimeField(_("issued at"))
    expires_at = models.DateTimeField(_("short code valid until"))
    long_expires_at = models.DateTimeField(_("long code valid until"))
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    #: The id of the token the claim gave (signed into the token and the certificate).
    token_id = models.CharField(_("token id"), max_length=32, blank=True, db_index=True)
    token_used_at = models.DateTimeField(_("token exchanged at"), null=True, blank=True)
    #: The tekmac of the certificate issued (base64), and when its keys were uploaded.
    tekmac = models.CharField(_("tekmac"), max_length=64, blank=True)
    uploaded_at = models.DateTimeField(_("keys uploaded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("verification code")
        verbose_name_plural = _("verification codes")
        indexes = [models.Index(fields=["unit", "created_at"], name="verification_code_quota")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.created_at:%Y-%m-%d %H:%M}"


class ConsentedKey(models.Model):
    """A diagnosis key a confirmed case agreed to link to their case, server-side only.

    Kept only when the upload says the F0 consents: then a warned phone that chooses to share
    who it is can be added to that case's F1 list. The link never leaves the server (exports
    carry no case) and goes with the case (`retention.py`). Without consent there is no row.
    """

    case = models.ForeignKey(
        "tracing.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="+"
    )
    key_data = models.BinaryField(_("key"), max_length=16, unique=True)
    rolling_start = models.PositiveIntegerField(_("rolling start interval"))
    rolling_period = models.PositiveSmallIntegerField(_("rolling period"), default=144)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("key linked with consent")
        verbose_name_plural = _("keys linked with consent")

    def __str__(self) -> str:
        return f"{bytes(self.key_data).hex()[:8]}… → F0 #{self.case_id}"
