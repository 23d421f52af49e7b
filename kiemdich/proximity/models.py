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
